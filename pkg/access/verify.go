package access

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	rbacvalidation "k8s.io/component-helpers/auth/rbac/validation"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Probe is one verb on one resource, asked in each verified cell.
type Probe struct {
	Verb     string `json:"verb"`
	Group    string `json:"group,omitempty"`
	Resource string `json:"resource"`
}

func (p Probe) String() string {
	if p.Group == "" {
		return p.Verb + " " + p.Resource
	}
	return p.Verb + " " + p.Resource + "." + p.Group
}

// Probes tell view, edit and admin apart, and catch access to secrets
// and RBAC that nobody was given.
var Probes = []Probe{
	{Verb: "get", Resource: "pods"},
	{Verb: "list", Resource: "configmaps"},
	{Verb: "create", Resource: "pods"},
	{Verb: "delete", Group: "apps", Resource: "deployments"},
	{Verb: "get", Resource: "secrets"},
	{Verb: "create", Group: rbacv1.GroupName, Resource: "rolebindings"},
}

// Finding is a cell where the API server's answer differs from the grants.
type Finding struct {
	Subject   string `json:"subject"`
	Namespace string `json:"namespace"`
	Probe     Probe  `json:"probe"`
	Granted   bool   `json:"granted"`
	Allowed   bool   `json:"allowed"`
}

func (f Finding) String() string {
	if f.Allowed {
		return fmt.Sprintf("%s in %s: %s is allowed but not granted", f.Subject, f.Namespace, f.Probe)
	}
	return fmt.Sprintf("%s in %s: %s is granted but denied", f.Subject, f.Namespace, f.Probe)
}

// Verification is the outcome of Verify.
type Verification struct {
	Checks   int       `json:"checks"`
	Findings []Finding `json:"findings"`
	// Trust is a CAPA tenant's trust chain, as the management cluster
	// has it.
	Trust *capa.Trust `json:"trust,omitempty"`
	// Workload are the findings of the tenant's workload roles' trust
	// policies.
	Workload []WorkloadFinding `json:"workload,omitempty"`
}

// Failures counts the findings of both kinds.
func (v *Verification) Failures() int {
	n := len(v.Findings) + len(v.Workload)
	if v.Trust != nil {
		n += len(v.Trust.Findings)
	}
	return n
}

// Verify asks the API server, for every subject in the matrix and every
// tenant namespace, each probe, and compares the answer with what the
// rules of the roles the tenant grants that subject there allow. A
// difference is drift (a binding edited or removed by hand) or access from
// elsewhere. Subjects are asked as their minimal identity: a user with only
// system:authenticated, a ServiceAccount with its own groups.
func Verify(ctx context.Context, client kubernetes.Interface, t *tenant.Tenant, m *Matrix) (*Verification, error) {
	rules := map[string][]rbacv1.PolicyRule{}
	for _, g := range t.Spec.Grants {
		if _, ok := rules[g.Role]; ok {
			continue
		}
		role, err := client.RbacV1().ClusterRoles().Get(ctx, rbac.ClusterRoleFor(t, g.Role), metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading ClusterRole %s: %w", g.Role, err)
		}
		rules[g.Role] = role.Rules
	}
	granted := func(s rbacv1.Subject, ns string, p Probe) bool {
		for _, g := range t.Spec.Grants {
			if g.Subject.IsIAM() {
				// IAM principals hold their roles through groups.
				if s.Kind != rbacv1.GroupKind || !slices.Contains(rbac.IAMGroupNamespaces(t, g)[s.Name], ns) {
					continue
				}
			} else if rbac.Subject(g.Subject) != withoutSAGroup(s) {
				continue
			} else if !g.ClusterScope && !slices.Contains(t.GrantNamespaces(g), ns) {
				continue
			}
			want := []rbacv1.PolicyRule{{Verbs: []string{p.Verb}, APIGroups: []string{p.Group}, Resources: []string{p.Resource}}}
			if ok, _ := rbacvalidation.Covers(rules[g.Role], want); ok {
				return true
			}
		}
		return false
	}

	v := &Verification{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, row := range m.Rows {
		for _, ns := range t.Spec.Namespaces {
			for _, p := range Probes {
				g.Go(func() error {
					allowed, err := ask(gctx, client, row.Subject, ns, p)
					if err != nil {
						return err
					}
					want := granted(row.Subject, ns, p)
					mu.Lock()
					defer mu.Unlock()
					v.Checks++
					if allowed != want {
						v.Findings = append(v.Findings, Finding{Subject: subjectString(row.Subject), Namespace: ns, Probe: p, Granted: want, Allowed: allowed})
					}
					return nil
				})
			}
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(v.Findings, func(i, j int) bool { return v.Findings[i].String() < v.Findings[j].String() })
	return v, nil
}

// ask is one SubjectAccessReview.
func ask(ctx context.Context, client kubernetes.Interface, s rbacv1.Subject, ns string, p Probe) (bool, error) {
	spec := authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: p.Verb, Group: p.Group, Resource: p.Resource},
	}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		spec.User = "system:serviceaccount:" + s.Namespace + ":" + s.Name
		spec.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + s.Namespace, "system:authenticated"}
	case rbacv1.GroupKind:
		spec.Groups = []string{s.Name, "system:authenticated"}
	default:
		spec.User = s.Name
		spec.Groups = []string{"system:authenticated"}
	}
	sar, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("asking the API server whether %s may %s in %s: %w", subjectString(s), p, ns, err)
	}
	return sar.Status.Allowed, nil
}

func withoutSAGroup(s rbacv1.Subject) rbacv1.Subject {
	if s.Kind != rbacv1.ServiceAccountKind && s.APIGroup == "" {
		s.APIGroup = rbacv1.GroupName
	}
	return s
}
