package delete

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// capaInterval is how often delete reads an object it waits for.
var capaInterval = 2 * time.Second

// deleteCAPA deletes a CAPA tenant's cluster the Cluster API way: the
// Cluster the plugin made for it goes, and Cluster API and CAPA delete
// the control plane, the node groups and the EKS cluster with it; then
// the identities no one else uses, and the namespace. Each object is
// checked at the point of deletion (the plugin's and this tenant's
// labels, and the record says the plugin made them). A cluster the
// tenant adopted (--from-capa) stays, and only the tenant's own objects
// in it go; so does one other tenants reach, unless --force. The record
// and the context go last; on any failure both stay, so that a re-run
// continues.
func (o *Options) deleteCAPA(ctx context.Context) error {
	t, c := o.tenant, o.tenant.Spec.Cluster.CAPA
	if !c.CreatedByPlugin {
		fmt.Fprintf(o.ErrOut, "Cluster %s/%s was adopted by tenant %q, not made for it (its record says so); it stays, and only tenant %q's own objects in it are removed\n", c.Namespace, c.Name, t.Name, t.Name)
		conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
		if err != nil {
			return fmt.Errorf("tenant %q is kept: its objects in its cluster are removed through context %q, which does not work: %w", t.Name, t.Spec.Cluster.Context, err)
		}
		o.conn = conn
		if err := o.deleteObjects(ctx, false); err != nil {
			return fmt.Errorf("tenant %q is kept, re-run to finish: %w", t.Name, err)
		}
		return o.forget(ctx)
	}
	adopted := func(x *tenant.Tenant) bool {
		xc := x.Spec.Cluster.CAPA
		return xc != nil && xc.Namespace == c.Namespace && xc.Name == c.Name
	}
	if err := o.refuseShared(ctx, "the Cluster "+c.Namespace+"/"+c.Name, t.Spec.Cluster.Server, adopted); err != nil {
		return err
	}
	_, docs, err := capa.Documents(t)
	if err != nil {
		return err
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		var names []string
		for _, d := range docs {
			if d.GetKind() != "Cluster" {
				names = append(names, d.GetKind()+" "+d.GetName())
			}
		}
		fmt.Fprintf(o.ErrOut, "Cluster %s/%s would be deleted, and with it EKS cluster %s, then %s, each if it is kubectl-tenant's for tenant %q and, for an identity or the namespace, nothing else uses it (dry run; --dry-run=server asks the management cluster)\n",
			c.Namespace, c.Name, t.Spec.Cluster.EKS.Name, strings.Join(names, ", "), t.Name)
		if _, err := o.workloadSyncer(ctx, nil); err != nil {
			return err
		}
		return o.forget(ctx)
	}
	// Read now what the workload roles' trust names; they go after the
	// cluster, which takes their annotations.
	wl, err := o.workloadSyncer(ctx, nil)
	if err != nil {
		return err
	}
	mgmt, err := cmdutil.ManagementCluster(o.getter, o.registryPath, c.ManagementContext, "spec.cluster.capa.managementContext")
	if err != nil {
		return o.kept(err, "Cluster "+c.Namespace+"/"+c.Name)
	}
	client, err := dynamic.NewForConfig(mgmt.Config)
	if err != nil {
		return err
	}
	d := capa.Deleter{Client: client, DryRun: o.DryRunStrategy == cmdutil.DryRunServer, Timeout: o.Timeout, Interval: capaInterval,
		Progress: func(s string) { fmt.Fprintln(o.ErrOut, s) }}
	kept, err := d.Delete(ctx, t.Name, docs)
	for _, k := range kept {
		fmt.Fprintf(o.ErrOut, "%s stays\n", k)
	}
	if err != nil {
		return o.kept(err, "Cluster "+c.Namespace+"/"+c.Name)
	}
	if err := o.deleteWorkloadRoles(ctx, wl); err != nil {
		return err
	}
	return o.forget(ctx)
}
