package rbac

import (
	"slices"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// IAM principals reach RBAC through groups. Their mapping (an aws-auth
// entry or an access entry) puts them in kubectl-tenant:TENANT:ROLE when
// granted ROLE in all the tenant's namespaces, or in
// kubectl-tenant:TENANT:ROLE:NS for each namespace of a narrower grant;
// the tenant binds each group where it applies. Several principals share
// a group, so the bindings follow from all of the tenant's IAM grants, not
// from any one of them.

// IAMGroup is the group of a role in the whole tenant (ns empty) or in one
// of its namespaces.
func IAMGroup(tenantName, role, ns string) string {
	g := tenant.NamePrefix + tenantName + ":" + role
	if ns != "" {
		g += ":" + ns
	}
	return g
}

// UsesRBAC reports whether an IAM grant is enforced by the tenant's
// bindings; one with an EKS access policy is enforced by EKS instead.
func UsesRBAC(g tenant.Grant) bool { return g.Subject.IsIAM() && g.AccessPolicy == "" }

// IAMGroups are the groups one IAM grant puts its principal in.
func IAMGroups(tenantName string, g tenant.Grant) []string {
	if !UsesRBAC(g) {
		return nil
	}
	if len(g.Namespaces) == 0 {
		return []string{IAMGroup(tenantName, g.Role, "")}
	}
	out := make([]string, 0, len(g.Namespaces))
	for _, ns := range g.Namespaces {
		out = append(out, IAMGroup(tenantName, g.Role, ns))
	}
	return out
}

// IAMIdentity is what a principal's mapping says in a tenant: its user
// name (TENANT:{{SessionName}} for a role, so each session is told apart
// in audit logs; TENANT:NAME for a user), the groups of all its grants,
// sorted, and the channel. ok is false when no grant names it.
func IAMIdentity(t *tenant.Tenant, s tenant.Subject) (username string, groups []string, via string, ok bool) {
	for _, g := range t.Spec.Grants {
		if g.Subject != s {
			continue
		}
		ok, via = true, g.Via
		for _, grp := range IAMGroups(t.Name, g) {
			if !slices.Contains(groups, grp) {
				groups = append(groups, grp)
			}
		}
	}
	sort.Strings(groups)
	if s.Kind == tenant.SubjectIAMRole {
		username = t.Name + ":{{SessionName}}"
	} else {
		username = t.Name + ":" + iamarn.NameOf(s.Name)
	}
	return username, groups, via, ok
}

// IAMGroupNamespaces maps each group of an IAM grant to the namespaces
// where it holds the grant's role.
func IAMGroupNamespaces(t *tenant.Tenant, g tenant.Grant) map[string][]string {
	out := map[string][]string{}
	if !UsesRBAC(g) {
		return out
	}
	if len(g.Namespaces) == 0 {
		out[IAMGroup(t.Name, g.Role, "")] = append([]string(nil), t.Spec.Namespaces...)
		return out
	}
	for _, ns := range g.Namespaces {
		out[IAMGroup(t.Name, g.Role, ns)] = []string{ns}
	}
	return out
}

// IAMBindingName names the RoleBinding of a role's IAM groups in a
// namespace: kubectl-tenant:TENANT:ROLE:iam.
func IAMBindingName(tenantName, role string) string {
	return tenant.NamePrefix + tenantName + ":" + role + ":iam"
}

// IAMRoleBindings are the bindings of role's IAM groups as the tenant's
// grants want them: one per namespace where some principal holds the
// role, binding every group that applies there. drop lists the bindings
// no grant needs any more (in the tenant's other namespaces), to delete.
func IAMRoleBindings(t *tenant.Tenant, role string) (keep, drop []*rbacv1.RoleBinding) {
	groups := map[string][]string{} // namespace -> groups
	for _, g := range t.Spec.Grants {
		if !UsesRBAC(g) || g.Role != role {
			continue
		}
		for _, ns := range t.GrantNamespaces(g) {
			grp := IAMGroup(t.Name, role, "")
			if len(g.Namespaces) > 0 {
				grp = IAMGroup(t.Name, role, ns)
			}
			if !slices.Contains(groups[ns], grp) {
				groups[ns] = append(groups[ns], grp)
			}
		}
	}
	name := IAMBindingName(t.Name, role)
	for _, ns := range t.Spec.Namespaces {
		rb := &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: Labels(t.Name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleFor(t, role)},
		}
		if len(groups[ns]) == 0 {
			drop = append(drop, rb)
			continue
		}
		sort.Strings(groups[ns])
		for _, grp := range groups[ns] {
			rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: grp})
		}
		keep = append(keep, rb)
	}
	return keep, drop
}

// grantSubjects are the RBAC subjects a grant gives access to: the
// subject itself, or an IAM principal's groups.
func grantSubjects(t *tenant.Tenant, g tenant.Grant) []rbacv1.Subject {
	if !g.Subject.IsIAM() {
		return []rbacv1.Subject{Subject(g.Subject)}
	}
	var out []rbacv1.Subject
	for _, grp := range IAMGroups(t.Name, g) {
		out = append(out, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: grp})
	}
	return out
}
