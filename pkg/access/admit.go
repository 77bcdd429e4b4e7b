package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	// Warn hears what is allowed but worth saying: a subject granted
	// across tenants as asked, an external ServiceAccount, a check that
	// could not be made with the caller's rights.
	Warn io.Writer
}

// Admit checks the subjects of grants, about to be given in tenant t,
// before anything changes: a ServiceAccount, user or group that belongs
// to another tenant is refused unless AllowCrossTenant; a ServiceAccount
// in a namespace no tenant owns is allowed and said to be external. IAM
// principals are left to their channel (aws-auth and access entries
// refuse another tenant's mapping). When the caller may not list the
// registry, the subjects are checked by what the cluster says alone
// (namespace labels, tenant group names), and Warn hears so.
func (a Admission) Admit(ctx context.Context, t *tenant.Tenant, grants []tenant.Grant) error {
	var subjects []tenant.Subject
	for _, g := range grants {
		if !g.Subject.IsIAM() && !slices.Contains(subjects, g.Subject) {
			subjects = append(subjects, g.Subject)
		}
	}
	if len(subjects) == 0 {
		return nil
	}
	if a.Warn == nil {
		a.Warn = io.Discard
	}
	all, err := a.Registry.List(ctx)
	if apierrors.IsForbidden(err) {
		fmt.Fprintf(a.Warn, "warning: you may not list the registry's tenants, so %s checked only by what tenant %q's cluster says (namespace labels, tenant group names), not by other tenants' grants\n",
			subjectNames(subjects), t.Name)
		all, err = []tenant.Tenant{*t}, nil
	}
	if err != nil {
		return fmt.Errorf("listing the tenants, to see whose subjects tenant %q grants: %w", t.Name, err)
	}
	for _, b := range a.Batch {
		all = append(all, *b) // beside its record, if any: what either grants is its
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

func subjectNames(subjects []tenant.Subject) string {
	if len(subjects) == 1 {
		return subjects[0].String() + " is"
	}
	return fmt.Sprintf("%d subjects are", len(subjects))
}
