// Package access reads who can do what in a tenant from the cluster itself
// (its RoleBindings and the tenant's ClusterRoleBindings, whoever made
// them), and verifies it against the tenant's grants by asking the API
// server (SubjectAccessReview).
package access

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// ClusterWide is the column of cluster-scoped bindings.
const ClusterWide = "*"

// Binding is one way a subject holds a role somewhere.
type Binding struct {
	Role    string `json:"role"`
	Kind    string `json:"kind"` // RoleBinding or ClusterRoleBinding
	Name    string `json:"name"`
	Managed bool   `json:"managed"` // made by kubectl-tenant for this tenant
}

// Row is one subject's access, by namespace (ClusterWide for cluster-scoped).
type Row struct {
	Subject rbacv1.Subject       `json:"subject"`
	Access  map[string][]Binding `json:"access"`
	// Missing lists, by namespace, roles the registry grants that no
	// binding in the cluster gives.
	Missing map[string][]string `json:"missing,omitempty"`
}

// Matrix is a tenant's access as the cluster has it.
type Matrix struct {
	Tenant     string   `json:"tenant"`
	Namespaces []string `json:"namespaces"`
	Rows       []Row    `json:"rows"`
}

// Read builds the matrix from the bindings in the tenant's namespaces and
// the tenant's own cluster-wide bindings, and marks what the registry
// grants that the cluster lacks.
func Read(ctx context.Context, client kubernetes.Interface, t *tenant.Tenant) (*Matrix, error) {
	rows := map[rbacv1.Subject]*Row{}
	row := func(s rbacv1.Subject) *Row {
		if s.Kind == rbacv1.ServiceAccountKind {
			s.APIGroup = ""
		}
		r := rows[s]
		if r == nil {
			r = &Row{Subject: s, Access: map[string][]Binding{}}
			rows[s] = r
		}
		return r
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, ns := range t.Spec.Namespaces {
		g.Go(func() error {
			list, err := client.RbacV1().RoleBindings(ns).List(gctx, metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("listing RoleBindings in %s: %w", ns, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, rb := range list.Items {
				b := Binding{Role: rb.RoleRef.Name, Kind: "RoleBinding", Name: rb.Name, Managed: rbac.IsManaged(&rb, t.Name)}
				if rb.RoleRef.Kind == "Role" {
					b.Role = "Role/" + rb.RoleRef.Name
				}
				for _, s := range rb.Subjects {
					r := row(s)
					r.Access[ns] = append(r.Access[ns], b)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	crbs, err := client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{LabelSelector: rbac.Selector(t.Name)})
	if err != nil {
		return nil, fmt.Errorf("listing the tenant's ClusterRoleBindings: %w", err)
	}
	for _, crb := range crbs.Items {
		if crb.Name == rbac.NamespaceReaderName(t.Name) {
			continue // lets subjects get their namespaces; not a grant of its own
		}
		for _, s := range crb.Subjects {
			r := row(s)
			r.Access[ClusterWide] = append(r.Access[ClusterWide], Binding{Role: crb.RoleRef.Name, Kind: "ClusterRoleBinding", Name: crb.Name, Managed: true})
		}
	}

	for _, gr := range t.Spec.Grants {
		if gr.Subject.IsIAM() {
			markMissingIAM(t, gr, row)
			continue
		}
		r := row(rbac.Subject(gr.Subject))
		where := t.GrantNamespaces(gr)
		if gr.ClusterScope {
			where = []string{ClusterWide}
		}
		role := rbac.ClusterRoleFor(t, gr.Role) // what the binding's roleRef names
		for _, ns := range where {
			name := rbac.BindingName(t.Name, gr)
			found := slices.ContainsFunc(r.Access[ns], func(b Binding) bool { return b.Managed && b.Name == name && b.Role == role })
			if !found {
				if r.Missing == nil {
					r.Missing = map[string][]string{}
				}
				r.Missing[ns] = append(r.Missing[ns], role)
			}
		}
	}

	m := &Matrix{Tenant: t.Name, Namespaces: t.Spec.Namespaces}
	for _, r := range rows {
		m.Rows = append(m.Rows, *r)
	}
	sort.Slice(m.Rows, func(i, j int) bool { return subjectString(m.Rows[i].Subject) < subjectString(m.Rows[j].Subject) })
	return m, nil
}

// markMissingIAM marks the bindings an IAM grant's groups lack.
func markMissingIAM(t *tenant.Tenant, gr tenant.Grant, row func(rbacv1.Subject) *Row) {
	if !rbac.UsesRBAC(gr) {
		return
	}
	name, role := rbac.IAMBindingName(t.Name, gr.Role), rbac.ClusterRoleFor(t, gr.Role)
	for group, namespaces := range rbac.IAMGroupNamespaces(t, gr) {
		r := row(rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: group})
		for _, ns := range namespaces {
			if !slices.ContainsFunc(r.Access[ns], func(b Binding) bool { return b.Managed && b.Name == name && b.Role == role }) {
				if r.Missing == nil {
					r.Missing = map[string][]string{}
				}
				r.Missing[ns] = append(r.Missing[ns], role)
			}
		}
	}
}

// subjectString names a subject as the plugin's flags would, through the
// one renderer, tenant.Subject's.
func subjectString(s rbacv1.Subject) string { return rbac.TenantSubject(s).String() }
