package access

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// forbiddenList is a registry whose List the caller may not make, as a
// cluster registry answers a user whose RBAC names single tenants.
type forbiddenList struct{ tenant.Registry }

func (forbiddenList) List(context.Context) ([]tenant.Tenant, error) {
	return nil, apierrors.NewForbidden(schema.GroupResource{Group: tenant.Group, Resource: "tenants"}, "", nil)
}

// The admission every path that grants passes: grant and apply reach it
// with the grants they add. The cluster is not needed here (nil client:
// namespace labels are covered end to end).
func TestAdmit(t *testing.T) {
	ctx := context.Background()
	reg, err := tenant.OpenRegistry(filepath.Join(t.TempDir(), "tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, grants ...tenant.Grant) *tenant.Tenant {
		x := tenant.New(name)
		x.Spec.Cluster.Context = "shared"
		x.Spec.Namespaces = []string{name}
		x.Spec.Grants = grants
		return x
	}
	bob := tenant.Subject{Kind: tenant.SubjectUser, Name: "bob"}
	for _, x := range []*tenant.Tenant{mk("xa"), mk("xb", tenant.Grant{Subject: bob, Role: "view"})} {
		if err := reg.Put(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	xa := mk("xa")
	// xc is applied in the same run as xa and not recorded yet.
	carol := tenant.Subject{Kind: tenant.SubjectUser, Name: "carol"}
	batch := []*tenant.Tenant{xa, mk("xc", tenant.Grant{Subject: carol, Role: "edit"})}
	for _, tc := range []struct {
		name    string
		reg     tenant.Registry
		batch   []*tenant.Tenant
		subject tenant.Subject
		allow   bool
		err     string
		warn    string
	}{
		{"own ServiceAccount", reg, nil, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: "xa", Name: "ci"}, false, "", ""},
		{"another tenant's ServiceAccount", reg, nil, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: "xb", Name: "ci"}, false, `belongs to tenant "xb" (its namespace xb is tenant "xb"'s)`, ""},
		{"allowed across tenants", reg, nil, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: "xb", Name: "ci"}, true, "", "granted across tenants as asked"},
		{"an external ServiceAccount", reg, nil, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: "ci-system", Name: "runner"}, false, "", "granted as an external subject"},
		{"a user another tenant grants", reg, nil, bob, false, `tenant "xb" grants it`, ""},
		{"another tenant's group", reg, nil, tenant.Subject{Kind: tenant.SubjectGroup, Name: "kubectl-tenant:xb:view"}, false, `it is tenant "xb"'s kubectl-tenant group`, ""},
		{"an IAM role is its channel's", reg, nil, tenant.Subject{Kind: tenant.SubjectIAMRole, Name: "arn:aws:iam::1:role/x"}, false, "", ""},
		{"registry not listable: the group name still counts", forbiddenList{reg}, nil, tenant.Subject{Kind: tenant.SubjectGroup, Name: "kubectl-tenant:xb:view"}, false, "kubectl-tenant group", "you may not list the registry's tenants"},
		{"registry not listable: a user is let through, said so", forbiddenList{reg}, nil, bob, false, "", "not by other tenants' records"},
		{"another tenant's ServiceAccount named as a user", reg, nil, tenant.Subject{Kind: tenant.SubjectUser, Name: "system:serviceaccount:xb:ci"}, false, `its namespace xb is tenant "xb"'s`, ""},
		{"another tenant's ServiceAccounts as a group", reg, nil, tenant.Subject{Kind: tenant.SubjectGroup, Name: "system:serviceaccounts:xb"}, false, `its namespace xb is tenant "xb"'s`, ""},
		{"every ServiceAccount", reg, nil, tenant.Subject{Kind: tenant.SubjectGroup, Name: "system:serviceaccounts"}, false, "the group holds the subjects of every tenant", ""},
		{"everyone authenticated, allowed", reg, nil, tenant.Subject{Kind: tenant.SubjectGroup, Name: "system:authenticated"}, true, "", "granted across tenants as asked"},
		{"a new tenant of the same apply: its ServiceAccount", reg, batch, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: "xc", Name: "ci"}, false, `its namespace xc is tenant "xc"'s`, ""},
		{"a new tenant of the same apply: a user it grants", reg, batch, carol, false, `tenant "xc" grants it`, ""},
		{"registry not listable: the same apply's tenants still count", forbiddenList{reg}, batch, carol, false, `tenant "xc" grants it`, "you may not list the registry's tenants"},
		{"own ServiceAccounts as a group", reg, nil, tenant.Subject{Kind: tenant.SubjectGroup, Name: "system:serviceaccounts:xa"}, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var warn bytes.Buffer
			a := Admission{Registry: tc.reg, Batch: tc.batch, AllowCrossTenant: tc.allow, Warn: &warn}
			err := a.Admit(ctx, xa, []tenant.Grant{{Subject: tc.subject, Role: "view"}})
			if (err == nil) != (tc.err == "") || err != nil && (!strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "--allow-cross-tenant")) {
				t.Errorf("Admit: %v, want %q", err, tc.err)
			}
			if !strings.Contains(warn.String(), tc.warn) || tc.warn == "" && warn.Len() > 0 {
				t.Errorf("warned %q, want %q", warn.String(), tc.warn)
			}
		})
	}
}

// A namespace is one tenant's: a change that names a namespace another
// tenant of the cluster lists is refused, also between documents of one
// apply, and with no override.
func TestAdmitNamespaces(t *testing.T) {
	ctx := context.Background()
	reg, err := tenant.OpenRegistry(filepath.Join(t.TempDir(), "tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, namespaces ...string) *tenant.Tenant {
		x := tenant.New(name)
		x.Spec.Cluster.Context = "shared"
		x.Spec.Namespaces = namespaces
		return x
	}
	if err := reg.Put(ctx, mk("xb", "xb")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		t     *tenant.Tenant
		batch []*tenant.Tenant
		err   string
	}{
		{"its own", mk("xa", "xa"), nil, ""},
		{"another tenant's, recorded", mk("xa", "xa", "xb"), nil, `namespace xb belongs to tenant "xb" (it lists it)`},
		{"another tenant's, in the same apply", mk("xa", "xa", "xc"), []*tenant.Tenant{mk("xc", "xc")}, `namespace xc belongs to tenant "xc"`},
		{"the same name on another cluster", func() *tenant.Tenant { x := mk("xa", "xb"); x.Spec.Cluster.Context = "other"; return x }(), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Admission{Registry: reg, Batch: tc.batch, AllowCrossTenant: true}
			err := a.Admit(ctx, tc.t, nil)
			if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Admit: %v, want %q", err, tc.err)
			}
		})
	}
}
