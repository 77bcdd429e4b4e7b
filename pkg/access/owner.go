package access

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Belonging is whose a grant subject is, seen from the tenant it is
// granted in.
type Belonging struct {
	// Tenant is the other tenant the subject belongs to ("" for none).
	Tenant string
	// Why says how, for an error or a mark.
	Why string
	// External marks a ServiceAccount in a namespace no tenant owns (a CI
	// system, a GitOps controller): allowed, and shown as such.
	External bool
	// Everyone marks a group that holds every tenant's subjects
	// (system:serviceaccounts, system:authenticated).
	Everyone bool
}

// Mark is how access shows the belonging next to a subject: "" for the
// tenant's own subjects.
func (b Belonging) Mark() string {
	switch {
	case b.Everyone:
		return "(every tenant)"
	case b.Tenant != "":
		return "(tenant " + b.Tenant + ")"
	case b.External:
		return "(external)"
	}
	return ""
}

// SubjectBelonging finds whether subject s, granted in tenant t, belongs
// to another tenant of the same cluster: a ServiceAccount by its
// namespace (its tenant label, or another tenant's record), a group by a
// kubectl-tenant group name of another tenant, a user or group by another
// tenant's grants. all is every tenant in the registry; client reads the
// namespace. IAM principals are left out: aws-auth and access entries
// keep one mapping per principal, which already refuses another
// tenant's.
func SubjectBelonging(ctx context.Context, client kubernetes.Interface, all []tenant.Tenant, t *tenant.Tenant, s tenant.Subject) (Belonging, error) {
	others := sameCluster(all, t)
	// The names Kubernetes gives ServiceAccounts as users and groups
	// reach the same subjects, and are judged as they are.
	switch {
	case s.Kind == tenant.SubjectUser && strings.HasPrefix(s.Name, serviceAccountUser):
		if ns, name, ok := strings.Cut(strings.TrimPrefix(s.Name, serviceAccountUser), ":"); ok {
			return SubjectBelonging(ctx, client, all, t, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: ns, Name: name})
		}
	case s.Kind == tenant.SubjectGroup && strings.HasPrefix(s.Name, serviceAccountsGroup+":"):
		ns := strings.TrimPrefix(s.Name, serviceAccountsGroup+":")
		b, err := SubjectBelonging(ctx, client, all, t, tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: ns, Name: "*"})
		b.External = false // a namespace no tenant owns: its ServiceAccounts, none of a tenant's
		return b, err
	case s.Kind == tenant.SubjectGroup && slices.Contains([]string{serviceAccountsGroup, "system:authenticated", "system:unauthenticated"}, s.Name):
		return Belonging{Everyone: true, Why: "the group holds the subjects of every tenant"}, nil
	}
	switch s.Kind {
	case tenant.SubjectServiceAccount:
		// The namespace's label first: a record may list a namespace that
		// is another tenant's.
		if client != nil { // nil: a cluster not made yet, which has no namespaces
			ns, err := client.CoreV1().Namespaces().Get(ctx, s.Namespace, metav1.GetOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return Belonging{}, fmt.Errorf("reading namespace %s, to see whose ServiceAccount %s is: %w", s.Namespace, s.Name, err)
			}
			if err == nil {
				if owner := ns.Labels[tenant.LabelTenant]; owner != "" && owner != t.Name {
					return Belonging{Tenant: owner, Why: fmt.Sprintf("its namespace %s is tenant %q's", s.Namespace, owner)}, nil
				}
			}
		}
		if slices.Contains(t.Spec.Namespaces, s.Namespace) {
			return Belonging{}, nil
		}
		for _, o := range others {
			if slices.Contains(o.Spec.Namespaces, s.Namespace) {
				return Belonging{Tenant: o.Name, Why: fmt.Sprintf("its namespace %s is tenant %q's", s.Namespace, o.Name)}, nil
			}
		}
		return Belonging{External: true}, nil
	case tenant.SubjectUser, tenant.SubjectGroup:
		if s.Kind == tenant.SubjectGroup && strings.HasPrefix(s.Name, tenant.NamePrefix) {
			if owner, _, _ := strings.Cut(strings.TrimPrefix(s.Name, tenant.NamePrefix), ":"); owner != t.Name {
				return Belonging{Tenant: owner, Why: fmt.Sprintf("it is tenant %q's kubectl-tenant group", owner)}, nil
			}
		}
		for _, o := range others {
			if slices.ContainsFunc(o.Spec.Grants, func(g tenant.Grant) bool { return g.Subject == s }) {
				return Belonging{Tenant: o.Name, Why: fmt.Sprintf("tenant %q grants it", o.Name)}, nil
			}
		}
	}
	return Belonging{}, nil
}

// How Kubernetes names ServiceAccounts as a user
// (system:serviceaccount:NS:NAME) and as groups
// (system:serviceaccounts:NS, system:serviceaccounts).
const (
	serviceAccountUser   = "system:serviceaccount:"
	serviceAccountsGroup = "system:serviceaccounts"
)

// sameCluster are the tenants other than t on t's cluster: the same
// kubeconfig context, or the same recorded server.
func sameCluster(all []tenant.Tenant, t *tenant.Tenant) []tenant.Tenant {
	var out []tenant.Tenant
	for _, o := range all {
		if o.Name == t.Name {
			continue
		}
		// Recorded servers decide when both have one: two people's
		// contexts of the same name may reach different clusters.
		same := o.Spec.Cluster.Context == t.Spec.Cluster.Context
		if o.Spec.Cluster.Server != "" && t.Spec.Cluster.Server != "" {
			same = o.Spec.Cluster.Server == t.Spec.Cluster.Server
		}
		if same {
			out = append(out, o)
		}
	}
	return out
}
