// Package rbac says what a tenant and its grants mean as Kubernetes
// objects: namespaces, ServiceAccounts, RoleBindings, ClusterRoles and
// ClusterRoleBindings, all labelled, with deterministic names. It is pure:
// a spec in, objects out.
package rbac

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Labels mark an object as the plugin's, for one tenant.
func Labels(tenantName string) map[string]string {
	return map[string]string{tenant.LabelManagedBy: tenant.ManagedBy, tenant.LabelTenant: tenantName}
}

// Selector selects the plugin's objects of one tenant.
func Selector(tenantName string) string {
	return tenant.LabelManagedBy + "=" + tenant.ManagedBy + "," + tenant.LabelTenant + "=" + tenantName
}

// IsManaged reports whether an object carries the plugin's label for the tenant.
func IsManaged(obj metav1.Object, tenantName string) bool {
	l := obj.GetLabels()
	return l[tenant.LabelManagedBy] == tenant.ManagedBy && l[tenant.LabelTenant] == tenantName
}

// ClusterRoleFor is the ClusterRole a grant's role binds in tenant t: one
// of the tenant's own roles (TenantRoleName), else admin, edit and view,
// Kubernetes' own aggregated roles, or any other ClusterRole, which must
// exist.
func ClusterRoleFor(t *tenant.Tenant, role string) string {
	if t.Role(role) != nil {
		return TenantRoleName(t.Name, role)
	}
	return role
}

// TenantRoleName is the ClusterRole of a tenant's own role:
// kubectl-tenant:TENANT:ROLE.
func TenantRoleName(tenantName, role string) string {
	return tenant.NamePrefix + tenantName + ":" + role
}

// TenantRoles are the ClusterRoles of the tenant's own roles, labelled.
// They are bound only by RoleBindings in the tenant's namespaces.
func TenantRoles(t *tenant.Tenant) []*rbacv1.ClusterRole {
	var out []*rbacv1.ClusterRole
	for _, r := range t.Spec.Roles {
		out = append(out, TenantRole(t.Name, r))
	}
	return out
}

// TenantRole is the ClusterRole of one of the tenant's roles, labelled.
func TenantRole(tenantName string, r tenant.Role) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: TenantRoleName(tenantName, r.Name), Labels: Labels(tenantName)},
		Rules:      r.Rules,
	}
}

// Namespaces are the tenant's namespaces, labelled.
func Namespaces(t *tenant.Tenant) []*corev1.Namespace {
	var out []*corev1.Namespace
	for _, ns := range t.Spec.Namespaces {
		out = append(out, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: Labels(t.Name)},
		})
	}
	return out
}

// NamespaceReaderName names the ClusterRole, and its binding, that let a
// tenant's subjects get the tenant's namespaces by name.
func NamespaceReaderName(tenantName string) string {
	return tenant.NamePrefix + tenantName + ":namespaces"
}

// NamespaceReader is the tenant's ClusterRole: get on its own namespaces
// by name, and nothing else. (A RoleBinding cannot grant access to the
// namespace object itself, which kubectl and many tools read.)
func NamespaceReader(t *tenant.Tenant) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: NamespaceReaderName(t.Name), Labels: Labels(t.Name)},
		Rules: []rbacv1.PolicyRule{{
			APIGroups:     []string{""},
			Resources:     []string{"namespaces"},
			Verbs:         []string{"get"},
			ResourceNames: append([]string(nil), t.Spec.Namespaces...),
		}},
	}
}

// NamespaceReaderBinding binds NamespaceReader to every subject the
// tenant's grants name.
func NamespaceReaderBinding(t *tenant.Tenant) *rbacv1.ClusterRoleBinding {
	seen := map[rbacv1.Subject]bool{}
	subjects := []rbacv1.Subject{}
	for _, g := range t.Spec.Grants {
		for _, s := range grantSubjects(t, g) {
			if !seen[s] {
				seen[s] = true
				subjects = append(subjects, s)
			}
		}
	}
	sort.Slice(subjects, func(i, j int) bool { return subjectKey(subjects[i]) < subjectKey(subjects[j]) })
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: NamespaceReaderName(t.Name), Labels: Labels(t.Name)},
		Subjects:   subjects,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: NamespaceReaderName(t.Name)},
	}
}

// Subject is the RBAC subject of a grant's subject.
func Subject(s tenant.Subject) rbacv1.Subject {
	switch s.Kind {
	case tenant.SubjectServiceAccount:
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: s.Name, Namespace: s.Namespace}
	case tenant.SubjectGroup:
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: s.Name}
	default:
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: s.Name}
	}
}

// TenantSubject is the grant subject an RBAC subject names (the inverse
// of Subject for ServiceAccounts, users and groups).
func TenantSubject(s rbacv1.Subject) tenant.Subject {
	return tenant.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
}

// GrantObjects are the bindings one grant makes: a RoleBinding in each of
// its namespaces, or one ClusterRoleBinding for a cluster-scoped grant.
type GrantObjects struct {
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// ForGrant returns the bindings of a grant of the tenant. For an IAM
// grant they are the shared bindings of its role's groups (IAMRoleBindings)
// in the grant's namespaces.
func ForGrant(t *tenant.Tenant, g tenant.Grant) GrantObjects {
	if g.Subject.IsIAM() {
		var out GrantObjects
		keep, _ := IAMRoleBindings(t, g.Role)
		for _, rb := range keep {
			if slices.Contains(t.GrantNamespaces(g), rb.Namespace) {
				out.RoleBindings = append(out.RoleBindings, rb)
			}
		}
		return out
	}
	name := BindingName(t.Name, g)
	subject := Subject(g.Subject)
	roleRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleFor(t, g.Role)}
	if g.ClusterScope {
		return GrantObjects{ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: Labels(t.Name)},
			Subjects:   []rbacv1.Subject{subject},
			RoleRef:    roleRef,
		}}}
	}
	var out GrantObjects
	for _, ns := range t.GrantNamespaces(g) {
		out.RoleBindings = append(out.RoleBindings, &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: Labels(t.Name)},
			Subjects:   []rbacv1.Subject{subject},
			RoleRef:    roleRef,
		})
	}
	return out
}

// ServiceAccount is the ServiceAccount a grant creates when it is missing.
func ServiceAccount(t *tenant.Tenant, s tenant.Subject) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, Labels: Labels(t.Name)},
	}
}

// BindingName is the deterministic name of a grant's bindings:
// kubectl-tenant:TENANT:ROLE:SUBJECT, shortened with a hash when it would
// be too long for an object name.
func BindingName(tenantName string, g tenant.Grant) string {
	name := tenant.NamePrefix + tenantName + ":" + g.Role + ":" + subjectKey(Subject(g.Subject))
	const max = 253
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:max-17] + "-" + hex.EncodeToString(sum[:8])
}

// subjectKey is a subject in one string: sa:NS:NAME, user:NAME or group:NAME.
func subjectKey(s rbacv1.Subject) string {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return "sa:" + s.Namespace + ":" + s.Name
	default:
		return strings.ToLower(s.Kind) + ":" + s.Name
	}
}

// Objects are everything a tenant's spec means in its cluster.
type Objects struct {
	Namespaces          []*corev1.Namespace
	ServiceAccounts     []*corev1.ServiceAccount
	ClusterRoles        []*rbacv1.ClusterRole
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	RoleBindings        []*rbacv1.RoleBinding
}

// List is every object, namespaces first and cluster-wide ones last.
func (o Objects) List() []runtime.Object {
	var out []runtime.Object
	for _, x := range o.Namespaces {
		out = append(out, x)
	}
	for _, x := range o.ServiceAccounts {
		out = append(out, x)
	}
	for _, x := range o.RoleBindings {
		out = append(out, x)
	}
	for _, x := range o.ClusterRoles {
		out = append(out, x)
	}
	for _, x := range o.ClusterRoleBindings {
		out = append(out, x)
	}
	return out
}

// ForTenant returns every object tenant t's spec asks for: its
// namespaces, the namespace reader and its binding, the ServiceAccounts
// its grants name in its namespaces, and every grant's bindings (an IAM
// role's shared bindings once per role).
func ForTenant(t *tenant.Tenant) Objects {
	out := Objects{
		Namespaces:          Namespaces(t),
		ClusterRoles:        append(TenantRoles(t), NamespaceReader(t)),
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{NamespaceReaderBinding(t)},
	}
	seen := map[string]bool{}
	for _, g := range t.Spec.Grants {
		if g.Subject.IsIAM() {
			if !UsesRBAC(g) || seen["iam:"+g.Role] {
				continue
			}
			seen["iam:"+g.Role] = true
			keep, _ := IAMRoleBindings(t, g.Role)
			out.RoleBindings = append(out.RoleBindings, keep...)
			continue
		}
		if s := g.Subject; s.Kind == tenant.SubjectServiceAccount && slices.Contains(t.Spec.Namespaces, s.Namespace) && !seen["sa:"+s.Namespace+"/"+s.Name] {
			seen["sa:"+s.Namespace+"/"+s.Name] = true
			out.ServiceAccounts = append(out.ServiceAccounts, ServiceAccount(t, s))
		}
		objs := ForGrant(t, g)
		out.RoleBindings = append(out.RoleBindings, objs.RoleBindings...)
		out.ClusterRoleBindings = append(out.ClusterRoleBindings, objs.ClusterRoleBindings...)
	}
	return out
}
