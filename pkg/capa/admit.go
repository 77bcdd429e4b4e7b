package capa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Management is a management cluster, as the checks before a write read
// it.
type Management struct {
	Context string
	Client  dynamic.Interface
	// Core is the typed client of the same cluster (discovery, Secrets).
	Core kubernetes.Interface
	// Records are the registry's tenants.
	Records []tenant.Tenant
	Warn    io.Writer
}

// NewManagement is the management cluster conn reaches, with the
// registry's records.
func NewManagement(conn *cluster.Connection, records []tenant.Tenant, warn io.Writer) (Management, error) {
	client, err := dynamic.NewForConfig(conn.Config)
	if err != nil {
		return Management{}, err
	}
	return Management{Context: conn.Context, Client: client, Core: conn.Client, Records: records, Warn: warn}, nil
}

// AdmitCreate checks, before anything is written, what the management
// cluster must hold, and must not, for s's objects: CAPA's CRDs; no
// other tenant's Cluster API objects in s's namespace (an identity that
// admits it would admit theirs); and a source chain CAPA can assume for
// s's namespace: each hop admitting it, none another tenant's, and no
// role identity admitting every namespace. The plugin's own objects are
// checked for ownership as they are applied, also before the first
// write.
func (m Management) AdmitCreate(ctx context.Context, s Spec) error {
	if err := m.CheckCRDs(); err != nil {
		return err
	}
	for _, x := range m.Records {
		c := x.Spec.Cluster.CAPA
		if x.Name == s.Tenant || c == nil {
			continue
		}
		if c.Namespace == s.namespace() {
			return fmt.Errorf("namespace %s of the management cluster holds tenant %q's Cluster API objects; an identity that admits it would admit %q's clusters too: choose another (--management-namespace, or spec.cluster.capa.namespace)", s.namespace(), x.Name, x.Name)
		}
		if err := sameIdentityNames(s, &x); err != nil {
			return err
		}
	}
	source := s.Source
	if source == nil {
		source = controllerIdentity()
	}
	hops, err := Chain(ctx, m.Client, source)
	if errors.Is(err, ErrIdentityNotFound) && s.Source == nil {
		fmt.Fprintf(m.Warn, "warning: the management cluster has no AWSClusterControllerIdentity default yet: CAPA's controller makes it when it starts, admitting every namespace (access --verify flags that)\n")
		return nil
	}
	if err != nil && s.Source != nil {
		return fmt.Errorf("source identity (--source-identity, or spec.cluster.capa.sourceIdentity): %w", err)
	}
	if err != nil {
		return fmt.Errorf("reading CAPA's controller identity: %w", err)
	}
	labels := rbac.Labels(s.Tenant)
	for _, h := range hops {
		ok, err := Admits(h.Allowed, s.namespace(), labels)
		if err != nil {
			return fmt.Errorf("identity %s: %w", h.Ref(), err)
		}
		if !ok {
			return fmt.Errorf("identity %s does not admit namespace %s, and CAPA checks every hop of a chain against the cluster's namespace: add %s to its spec.allowedNamespaces.list, or start the chain elsewhere (--source-identity, or spec.cluster.capa.sourceIdentity)",
				h.Ref(), s.namespace(), s.namespace())
		}
		if owner := ownerOf(h.Labels); owner != "" && owner != s.Tenant {
			return fmt.Errorf("identity %s belongs to tenant %q: a chain through it acts in %q's account; start the chain elsewhere (--source-identity, or spec.cluster.capa.sourceIdentity)", h.Ref(), owner, owner)
		}
		if h.Kind == string(infrav1.ClusterRoleIdentityKind) && AdmitsEvery(h.Allowed) {
			return fmt.Errorf("identity %s admits every namespace (allowedNamespaces: {}), so a Cluster anywhere acts as %s: give it spec.allowedNamespaces.list of the tenants' namespaces before chaining from it", h.Ref(), h.RoleARN)
		}
	}
	return nil
}

// sameIdentityNames refuses s when one of its identities would have the
// name of one another tenant's record declares (tenant acme's second
// hop and a tenant named acme-hop-1, say): both would write the same
// object, and the second would rewire the first one's chain.
func sameIdentityNames(s Spec, other *tenant.Tenant) error {
	if !other.Spec.Cluster.CAPA.CreatedByPlugin {
		return nil
	}
	o, err := SpecOf(other)
	if err != nil {
		return nil // a record that declares no chain names no identity
	}
	for i := range s.AWS.RoleARNs {
		for j := range o.AWS.RoleARNs {
			if name := s.IdentityName(i); name == o.IdentityName(j) {
				return fmt.Errorf("AWSClusterRoleIdentity %s is a hop of tenant %q's chain; tenant %q's would have the same name: choose another tenant name", name, other.Name, s.Tenant)
			}
		}
	}
	return nil
}

// CheckCRDs refuses a management cluster that does not serve every CRD
// of CRDs, naming those it lacks and how to install them.
func (m Management) CheckCRDs() error {
	missing, err := MissingCRDs(m.Core.Discovery())
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return CRDsError(m.Context, missing)
	}
	return nil
}

// AdmitAdoption refuses to adopt Cluster ns/name for tenantName when it
// is another tenant's: another record adopted or made it, or it or an
// identity of its chain carries another tenant's label. A second tenant
// on it would act through the first one's role chain.
func (m Management) AdmitAdoption(tenantName, ns, name string, a *Adopted) error {
	for _, x := range m.Records {
		if c := x.Spec.Cluster.CAPA; x.Name != tenantName && c != nil && c.Namespace == ns && c.Name == name {
			return fmt.Errorf("the Cluster %s/%s is tenant %q's: a second tenant on it would act as %q's roles; grant what is needed on tenant %q instead", ns, name, x.Name, x.Name, x.Name)
		}
	}
	for _, h := range a.Hops {
		if owner := ownerOf(h.Labels); owner != "" && owner != tenantName {
			return fmt.Errorf("the control plane of Cluster %s/%s acts through identity %s, which belongs to tenant %q: adopting it would hand out %q's roles", ns, name, h.Ref(), owner, owner)
		}
	}
	return nil
}

// ownerOf is the tenant whose objects carry labels, by the plugin's
// labels ("" for an object the plugin did not make).
func ownerOf(labels map[string]string) string {
	if labels[tenant.LabelManagedBy] != tenant.ManagedBy {
		return ""
	}
	return labels[tenant.LabelTenant]
}

// controllerIdentity is the reference to CAPA's controller identity.
func controllerIdentity() *infrav1.AWSIdentityReference {
	return &infrav1.AWSIdentityReference{Kind: infrav1.ControllerIdentityKind, Name: infrav1.AWSClusterControllerIdentityName}
}

// Apply applies s's documents (Documents) for its tenant with the
// Applier and returns each object's outcome. A dry run has the
// server check what it can: objects in a namespace that does not exist
// yet cannot be (a dry run does not make the namespace), so only the
// cluster-scoped ones are sent, and w hears so.
func (m Management) Apply(ctx context.Context, s Spec, docs []*unstructured.Unstructured, dryRun bool, w io.Writer) (*apply.Results, error) {
	results, sent := &apply.Results{}, docs
	if dryRun {
		if _, err := m.Core.CoreV1().Namespaces().Get(ctx, s.namespace(), metav1.GetOptions{}); apierrors.IsNotFound(err) {
			sent = slices.DeleteFunc(slices.Clone(docs), func(d *unstructured.Unstructured) bool { return d.GetNamespace() != "" })
			fmt.Fprintf(w, "namespace %s does not exist yet: the server checks only the cluster-scoped objects (--dry-run=client prints them all)\n", s.namespace())
		} else if err != nil {
			return results, fmt.Errorf("reading namespace %s: %w", s.namespace(), err)
		}
	}
	return results, Applier{Client: m.Client, DryRun: dryRun}.Apply(ctx, s.Tenant, sent, results)
}

// OwnCluster refuses a recorded tenant's objects when their Cluster is
// not in this management cluster as the tenant's: the context the record
// names may now reach another cluster, where an apply would make a
// second set of objects for the same EKS cluster.
func (m Management) OwnCluster(ctx context.Context, s Spec, name string) error {
	cluster, err := m.Client.Resource(resources["Cluster"]).Namespace(s.namespace()).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("spec.cluster.capa: tenant %q's Cluster %s/%s is not in the management cluster of context %q: point the context back at the cluster it was made in, or delete the tenant", s.Tenant, s.namespace(), name, m.Context)
	}
	if err != nil {
		return fmt.Errorf("reading Cluster %s/%s: %w", s.namespace(), name, err)
	}
	if owner := ownerOf(cluster.GetLabels()); owner != s.Tenant {
		return notTheTenants(cluster, s.Tenant, owner)
	}
	return nil
}

// Ready waits, within timeout, until CAPA reports s's control plane
// ready (WaitReady), and reads the endpoint its user kubeconfig gives.
func (m Management) Ready(ctx context.Context, s Spec, timeout, interval time.Duration, progress func(string)) (*Endpoint, error) {
	cp, err := WaitReady(ctx, m.Client, m.Core, s.namespace(), s.Tenant, s.ControlPlaneName(), timeout, interval, progress)
	if err != nil {
		return nil, err
	}
	return UserKubeconfig(ctx, m.Core, s.namespace(), s.Tenant, cp)
}
