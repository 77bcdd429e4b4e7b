package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Admission is what checks the subjects a change grants in a tenant.
// Every path that adds grants (grant, apply, and whatever comes next)
// admits them here, with the same override.
type Admission struct {
	// Client reads the tenant's cluster (namespace labels).
	Client kubernetes.Interface
	// Registry lists the other tenants (their namespaces and grants).
	Registry tenant.Registry
	// Batch holds the tenants applied together with this one (the
	// documents of one 'apply -f'): they count as tenants whether or not
	// the registry holds them yet, so that two new tenants of one run
	// cannot grant each other's subjects.
	Batch []*tenant.Tenant
	// AllowCrossTenant lets a subject of another tenant be granted
	// (--allow-cross-tenant).
	AllowCrossTenant bool
	// OwnNamespaces requires every namespace a grant binds in to be
	// labelled as the tenant's already (grant, which makes no
	// namespace; apply makes or adopts them first).
	OwnNamespaces bool
	// Warn hears what is allowed but worth saying: a subject granted
	// across tenants as asked, an external ServiceAccount, a check that
	// could not be made with the caller's rights.
	Warn io.Writer
}

// Admit checks a change to tenant t before anything changes: that the
// namespaces it names are no other tenant's, and the subjects of grants,
// about to be given in t.
//
// A namespace another tenant owns (its label says so, or another tenant
// of the same cluster lists it) is refused, with no override: a
// namespace is one tenant's. With OwnNamespaces, each namespace a grant
// binds in must also be labelled as t's already.
//
// A ServiceAccount, user or group that belongs to another tenant is
// refused unless AllowCrossTenant; a ServiceAccount in a namespace no
// tenant owns is allowed and said to be external. IAM principals are
// left to their channel (aws-auth and access entries refuse another
// tenant's mapping). When the caller may not list the registry (or the
// namespaces), what can be is checked, and Warn hears what was not.
func (a Admission) Admit(ctx context.Context, t *tenant.Tenant, grants []tenant.Grant) error {
	if a.Warn == nil {
		a.Warn = io.Discard
	}
	all, err := a.Registry.List(ctx)
	if apierrors.IsForbidden(err) {
		fmt.Fprintf(a.Warn, "warning: you may not list the registry's tenants, so tenant %q's namespaces and subjects are checked only by what its cluster says (namespace labels, tenant group names), not by other tenants' records\n", t.Name)
		all, err = []tenant.Tenant{*t}, nil
	}
	if err != nil {
		return fmt.Errorf("listing the tenants, to see whose namespaces and subjects tenant %q names: %w", t.Name, err)
	}
	for _, b := range a.Batch {
		all = append(all, *b) // beside its record, if any: what either names is its
	}
	if err := a.namespaces(ctx, t, all, grants); err != nil {
		return err
	}

	var subjects []tenant.Subject
	for _, g := range grants {
		if !g.Subject.IsIAM() && !slices.Contains(subjects, g.Subject) {
			subjects = append(subjects, g.Subject)
		}
	}
	var refused []error
	for _, s := range subjects {
		b, err := SubjectBelonging(ctx, a.Client, all, t, s)
		switch {
		case err != nil:
			return err
		case b.Everyone && !a.AllowCrossTenant:
			refused = append(refused, fmt.Errorf("%s: %s, so granting it in tenant %q crosses tenants; pass --allow-cross-tenant if you mean it", s, b.Why, t.Name))
		case b.Tenant != "" && !a.AllowCrossTenant:
			refused = append(refused, fmt.Errorf("%s belongs to tenant %q (%s): granting it in tenant %q crosses tenants; pass --allow-cross-tenant if you mean it", s, b.Tenant, b.Why, t.Name))
		case b.Everyone:
			fmt.Fprintf(a.Warn, "%s: %s; granted across tenants as asked\n", s, b.Why)
		case b.Tenant != "":
			fmt.Fprintf(a.Warn, "%s belongs to tenant %q (%s); granted across tenants as asked\n", s, b.Tenant, b.Why)
		case b.External:
			fmt.Fprintf(a.Warn, "%s is in namespace %s, which no tenant owns: granted as an external subject\n", s, s.Namespace)
		}
	}
	return errors.Join(refused...)
}

// namespaces refuses t's namespaces that another tenant owns, by the
// cluster's labels (one list of the namespaces that carry a tenant
// label) and by the records of the tenants of t's cluster; with
// OwnNamespaces, also a namespace a grant binds in that is not labelled
// as t's.
func (a Admission) namespaces(ctx context.Context, t *tenant.Tenant, all []tenant.Tenant, grants []tenant.Grant) error {
	owners := map[string]string{} // namespace -> the tenant its label names
	labelled := false
	if a.Client != nil {
		list, err := a.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: tenant.LabelTenant})
		if apierrors.IsForbidden(err) && a.OwnNamespaces {
			// A tenant's subjects may get its namespaces by name, not list
			// them: read each one.
			list, err = a.getEach(ctx, t.Spec.Namespaces)
		}
		switch {
		case err != nil && a.OwnNamespaces:
			return fmt.Errorf("reading the namespaces, to see that tenant %q's are its own: %w", t.Name, err)
		case apierrors.IsForbidden(err):
			fmt.Fprintf(a.Warn, "warning: you may not list namespaces, so tenant %q's namespaces are checked against other tenants' records here, and each one's label only before anything is written in it\n", t.Name)
		case err != nil:
			// apply records what it is given and reports the cluster
			// unreachable; it checks each namespace's label before it
			// writes in it.
			fmt.Fprintf(a.Warn, "warning: tenant %q's namespaces are checked against other tenants' records only, for now: %v\n", t.Name, err)
		default:
			labelled = true
			for _, n := range list.Items {
				owners[n.Name] = n.Labels[tenant.LabelTenant]
			}
		}
	}
	var refused []error
	for _, ns := range t.Spec.Namespaces {
		if owner := owners[ns]; owner != "" && owner != t.Name {
			refused = append(refused, fmt.Errorf("namespace %s belongs to tenant %q (its label says so): a namespace is one tenant's; remove it from tenant %q's namespaces", ns, owner, t.Name))
			continue
		}
		for _, o := range sameCluster(all, t) {
			if slices.Contains(o.Spec.Namespaces, ns) {
				refused = append(refused, fmt.Errorf("namespace %s belongs to tenant %q (it lists it): a namespace is one tenant's; remove it from tenant %q's namespaces", ns, o.Name, t.Name))
				break
			}
		}
	}
	if a.OwnNamespaces && labelled {
		for _, g := range grants {
			if g.ClusterScope { // an access policy is scoped to the namespaces too
				continue
			}
			for _, ns := range t.GrantNamespaces(g) {
				if owners[ns] == "" {
					refused = append(refused, fmt.Errorf("namespace %s is not labelled as tenant %q's (it is missing, or no tenant owns it): a grant binds only in the tenant's namespaces; 'kubectl tenant apply' makes a missing one, and with --adopt-namespaces adopts one no tenant owns", ns, t.Name))
				}
			}
		}
	}
	return errors.Join(refused...)
}

// getEach reads the namespaces one by one, as a list of those that exist.
func (a Admission) getEach(ctx context.Context, names []string) (*corev1.NamespaceList, error) {
	list := &corev1.NamespaceList{}
	for _, name := range names {
		ns, err := a.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, err
		default:
			list.Items = append(list.Items, *ns)
		}
	}
	return list, nil
}
