package reconcile

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// newCAPACluster reports whether applying next has CAPA make its
// cluster: a tenant applied for the first time with spec.cluster.capa.
func newCAPACluster(current, next *tenant.Tenant) bool {
	return current == nil && next.Spec.Cluster.CAPA != nil
}

// declaredCAPA reports whether next is a recorded tenant whose Cluster
// API objects the plugin made: an apply keeps them what the record
// declares (a tenant adopted with --from-capa has objects someone else
// declared, which apply leaves alone).
func declaredCAPA(current, next *tenant.Tenant) bool {
	return current != nil && next.Spec.Cluster.CAPA != nil && next.Spec.Cluster.CAPA.CreatedByPlugin
}

// management is the management cluster of CAPA tenant t, as the checks
// before a write read it: the registry's records and the documents of
// the same run, each a tenant whose namespace is not another's.
func (o Options) management(ctx context.Context, reg tenant.Registry, t *tenant.Tenant) (capa.Management, error) {
	if o.Management == nil {
		return capa.Management{}, fmt.Errorf("spec.cluster.capa: tenant %q's cluster is made by CAPA, and this command does not reach a management cluster", t.Name)
	}
	conn, err := o.Management(t)
	if err != nil {
		return capa.Management{}, err
	}
	records, err := reg.List(ctx)
	if err != nil {
		return capa.Management{}, err
	}
	for _, b := range o.Batch {
		records = append(records, *b)
	}
	return capa.NewManagement(conn, records, o.Warn)
}

// capaPlan is what an apply of CAPA tenant t's record sends to its
// management cluster, checked there before any write (AdmitCreate). It
// records the management cluster's context as resolved, so that later
// commands find it whatever the registry flag says.
func (o Options) capaPlan(ctx context.Context, reg tenant.Registry, t *tenant.Tenant) (capa.Management, capa.Spec, []*unstructured.Unstructured, error) {
	spec, docs, err := capa.Documents(t)
	if err != nil {
		return capa.Management{}, spec, nil, err
	}
	m, err := o.management(ctx, reg, t)
	if err != nil {
		return m, spec, nil, err
	}
	t.Spec.Cluster.CAPA.ManagementContext = m.Context
	return m, spec, docs, m.AdmitCreate(ctx, spec)
}

// applyNewCAPA checks what create checks before its first write (the
// management cluster, then the kubeconfig, the registry and the tenant's
// role chain) and applies a new tenant's Cluster API objects (dryRun:
// the server checks them and keeps nothing), logging each written to w.
func (o Options) applyNewCAPA(ctx context.Context, reg tenant.Registry, t *tenant.Tenant, dryRun bool, w io.Writer) (capa.Management, capa.Spec, error) {
	m, spec, docs, err := o.capaPlan(ctx, reg, t)
	if err != nil {
		return m, spec, err
	}
	cfg, err := o.awsConfig(ctx, t)
	if err != nil {
		return m, spec, err
	}
	if err := o.preflight(reg).Check(ctx, cfg, t, w); err != nil {
		return m, spec, err
	}
	suffix := ""
	if dryRun {
		suffix = " (server dry run)"
	}
	results, err := m.Apply(ctx, spec, docs, dryRun, w)
	logChanged(w, results.List(), suffix)
	return m, spec, err
}

// provisionCAPA has CAPA make t's cluster, as create --provider capa
// does: it checks what create checks (the management cluster, then the
// kubeconfig, the registry and the tenant's role chain), applies the
// tenant's Cluster API objects, waits within o.CreateTimeout for CAPA's
// controller to make the control plane, and writes into t the endpoint
// CAPA's user kubeconfig gives; t's context is then made from it as an
// EKS tenant's is. It logs each object it wrote to log.
func provisionCAPA(ctx context.Context, reg tenant.Registry, t *tenant.Tenant, o Options, log io.Writer) error {
	m, spec, err := o.applyNewCAPA(ctx, reg, t, false, log)
	if err != nil {
		return err
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	ep, err := m.Ready(ctx, spec, o.CreateTimeout, o.capaInterval(), progress)
	if err != nil {
		return fmt.Errorf("%w; tenant %q is not recorded: once CAPA makes the cluster, apply again to record it, or remove its objects with `kubectl --context %s delete cluster -n %s %s` and then its identities (label %s=%s)",
			err, t.Name, m.Context, spec.Namespace, t.Name, tenant.LabelTenant, t.Name)
	}
	c := t.Spec.Cluster.CAPA
	fmt.Fprintf(log, "EKS cluster %s made by CAPA from Cluster %s/%s (%s)\n", spec.EKS.Name, c.Namespace, c.Name, ep.Server)
	t.Spec.Cluster.Server = ep.Server
	t.Status = tenant.Status{Server: ep.Server, CAData: ep.CAData}
	return nil
}

// previewCAPA is the dry run of a new CAPA tenant: a server dry run
// checks what the run would check and has the management cluster check
// the objects; a client dry run checks the kubeconfig alone and shows
// the objects as new. Then, as for any new EKS tenant, the context and
// the objects the tenant would get in its cluster.
func previewCAPA(ctx context.Context, reg tenant.Registry, t *tenant.Tenant, o Options, w io.Writer) error {
	if o.Mode == ServerDryRun {
		if _, _, err := o.applyNewCAPA(ctx, reg, t, true, w); err != nil {
			return err
		}
	} else {
		_, docs, err := capa.Documents(t)
		if err != nil {
			return err
		}
		if err := o.preflight(reg).Context(ctx, t); err != nil {
			return err
		}
		fmt.Fprintf(w, "would apply %d Cluster API objects to the management cluster (--dry-run=server has it check them)\n", len(docs))
		for _, d := range docs {
			r := apply.Result{Kind: d.GetKind(), Namespace: d.GetNamespace(), Name: d.GetName(), Outcome: apply.Created, Merged: d}
			if err := apply.WriteDiff(w, r); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "would wait for CAPA to make EKS cluster %s in %s\n", t.Spec.Cluster.EKS.Name, t.Spec.AWS.Region)
	return previewInCluster(t, w)
}

// reapplyCAPA writes what differs between the Cluster API objects
// recorded tenant next's record declares and those in its management
// cluster (a resized node group, a new Kubernetes version, other roles
// in a chain of the same length), and returns how many it changed (a
// server dry run: would change). The Cluster must be there and be the
// tenant's: a management context that now reaches another cluster gets
// no second set of objects. A changed chain must first be one the
// caller can assume. A client dry run reads no management cluster and
// says so. It does not wait: CAPA acts on the change as on any.
func reapplyCAPA(ctx context.Context, reg tenant.Registry, current, next *tenant.Tenant, o Options, w io.Writer) (int, error) {
	if o.Mode == ClientDryRun {
		fmt.Fprintf(w, "would apply tenant %q's Cluster API objects again; --dry-run=server shows which would change\n", next.Name)
		return 0, nil
	}
	m, spec, docs, err := o.capaPlan(ctx, reg, next)
	if err != nil {
		return 0, err
	}
	c := next.Spec.Cluster.CAPA
	if err := m.OwnCluster(ctx, spec, c.Name); err != nil {
		return 0, err
	}
	if !reflect.DeepEqual(current.Spec.AWS, next.Spec.AWS) || current.Spec.Cluster.CAPA.SourceIdentity != c.SourceIdentity {
		cfg, err := o.awsConfig(ctx, next)
		if err != nil {
			return 0, err
		}
		if err := o.preflight(reg).Check(ctx, cfg, next, w); err != nil {
			return 0, err
		}
	}
	results, err := m.Apply(ctx, spec, docs, o.Mode == ServerDryRun, w)
	suffix := ""
	if o.Mode == ServerDryRun {
		suffix = " (server dry run)"
	}
	logChanged(w, results.List(), suffix)
	return results.Writes(), err
}

func (o Options) capaInterval() time.Duration {
	if o.CAPAInterval > 0 {
		return o.CAPAInterval
	}
	return 2 * time.Second
}
