package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Rules groups resources by API group as kubectl create role does.
func TestRules(t *testing.T) {
	var resources []schema.GroupResource
	var subs []string
	for _, r := range []string{"pods", "deployments.apps", "pods/log", "replicasets.apps", "pods"} {
		gr, sub, err := ParseResource(r)
		if err != nil {
			t.Fatal(err)
		}
		resources, subs = append(resources, gr), append(subs, sub)
	}
	got := Rules([]string{"get", "list"}, resources, subs, []string{"web"})
	want := []rbacv1.PolicyRule{
		{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, ResourceNames: []string{"web"}},
		{Verbs: []string{"get", "list"}, APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, ResourceNames: []string{"web"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Rules (-want +got):\n%s", d)
	}
	if _, _, err := ParseResource(".apps"); err == nil {
		t.Error("ParseResource of a group without a resource: no error")
	}
}

// A grant of the tenant's own role binds its ClusterRole; the same name
// without the role binds the ClusterRole of that name.
func TestTenantRoleResolvesFirst(t *testing.T) {
	tn := tenant.New("acme")
	tn.Spec.Namespaces = []string{"acme"}
	g := tenant.Grant{Subject: tenant.Subject{Kind: tenant.SubjectUser, Name: "bob"}, Role: "view"}
	tn.Spec.Grants = []tenant.Grant{g}
	if ref := ForGrant(tn, g).RoleBindings[0].RoleRef.Name; ref != "view" {
		t.Errorf("without a tenant role: roleRef %q, want view", ref)
	}
	tn.Spec.Roles = []tenant.Role{{Name: "view", Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}}
	if ref := ForGrant(tn, g).RoleBindings[0].RoleRef.Name; ref != "kubectl-tenant:acme:view" {
		t.Errorf("with the tenant's role view: roleRef %q, want kubectl-tenant:acme:view", ref)
	}
	objs := ForTenant(tn)
	var names []string
	for _, cr := range objs.ClusterRoles {
		names = append(names, cr.Name)
		if !IsManaged(cr, "acme") {
			t.Errorf("ClusterRole %s is not labelled for the tenant", cr.Name)
		}
	}
	if d := cmp.Diff([]string{"kubectl-tenant:acme:view", "kubectl-tenant:acme:namespaces"}, names); d != "" {
		t.Errorf("the tenant's ClusterRoles (-want +got):\n%s", d)
	}
}
