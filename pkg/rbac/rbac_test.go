package rbac

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

func acme() *tenant.Tenant {
	t := tenant.New("acme")
	t.Spec.Namespaces = []string{"acme", "acme-ci"}
	t.Spec.Grants = []tenant.Grant{
		{Subject: tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: "acme", Name: "deployer"}, Role: "edit"},
		{Subject: tenant.Subject{Kind: tenant.SubjectUser, Name: "alice@example.com"}, Role: "view", Namespaces: []string{"acme-ci"}},
		{Subject: tenant.Subject{Kind: tenant.SubjectGroup, Name: "sre"}, Role: "cluster-reader", ClusterScope: true},
		{Subject: tenant.Subject{Kind: tenant.SubjectUser, Name: "alice@example.com"}, Role: "edit", Namespaces: []string{"acme"}},
	}
	return t
}

func TestForGrant(t *testing.T) {
	tn := acme()
	type binding struct{ Kind, Namespace, Name, Role string }
	tests := []struct {
		grant tenant.Grant
		want  []binding
	}{
		{tn.Spec.Grants[0], []binding{
			{"RoleBinding", "acme", "kubectl-tenant:acme:edit:sa:acme:deployer", "edit"},
			{"RoleBinding", "acme-ci", "kubectl-tenant:acme:edit:sa:acme:deployer", "edit"},
		}},
		{tn.Spec.Grants[1], []binding{{"RoleBinding", "acme-ci", "kubectl-tenant:acme:view:user:alice@example.com", "view"}}},
		{tn.Spec.Grants[2], []binding{{"ClusterRoleBinding", "", "kubectl-tenant:acme:cluster-reader:group:sre", "cluster-reader"}}},
	}
	for _, tt := range tests {
		objs := ForGrant(tn, tt.grant)
		var got []binding
		for _, rb := range objs.RoleBindings {
			got = append(got, binding{"RoleBinding", rb.Namespace, rb.Name, rb.RoleRef.Name})
			if diff := cmp.Diff(Labels("acme"), rb.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		}
		for _, crb := range objs.ClusterRoleBindings {
			got = append(got, binding{"ClusterRoleBinding", "", crb.Name, crb.RoleRef.Name})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("grant %+v (-want +got):\n%s", tt.grant, diff)
		}
	}
}

func TestNamespaceReader(t *testing.T) {
	tn := acme()
	role := NamespaceReader(tn)
	want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}, ResourceNames: []string{"acme", "acme-ci"}}}
	if diff := cmp.Diff(want, role.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	b := NamespaceReaderBinding(tn)
	wantSubjects := []rbacv1.Subject{
		{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "sre"},
		{Kind: "ServiceAccount", Namespace: "acme", Name: "deployer"},
		{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice@example.com"}, // once, though granted twice
	}
	if diff := cmp.Diff(wantSubjects, b.Subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
}

func TestBindingNameStaysShortAndDistinct(t *testing.T) {
	long := strings.Repeat("x", 300)
	a := BindingName("acme", tenant.Grant{Role: "view", Subject: tenant.Subject{Kind: tenant.SubjectUser, Name: long + "a"}})
	b := BindingName("acme", tenant.Grant{Role: "view", Subject: tenant.Subject{Kind: tenant.SubjectUser, Name: long + "b"}})
	if len(a) > 253 || len(b) > 253 || a == b {
		t.Errorf("long names: %d %d equal=%v", len(a), len(b), a == b)
	}
}
