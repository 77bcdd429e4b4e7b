package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/provision"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// newEKSCluster reports whether applying next makes or adopts its EKS
// cluster: a tenant applied for the first time with spec.cluster.eks.
// A recorded tenant's cluster is the one it has.
func newEKSCluster(current, next *tenant.Tenant) bool {
	return current == nil && next.Spec.Cluster.EKS != nil && next.Spec.Cluster.CAPA == nil
}

// newNodegroup reports whether next names a node group current's record
// does not have (the cluster exists; the node group may not).
func newNodegroup(current, next *tenant.Tenant) bool {
	n := next.Spec.Cluster.EKS
	if current == nil || n == nil || n.Nodegroup == nil || next.Spec.Cluster.CAPA != nil { // CAPA's machine pool is an object of the tenant's
		return false
	}
	c := current.Spec.Cluster.EKS
	return c == nil || c.Nodegroup == nil || c.Nodegroup.Name != n.Nodegroup.Name
}

func (o Options) provisionOptions() provision.Options {
	return provision.Options{Adopt: o.AdoptClusters, AdoptHint: "--adopt-clusters", Wait: true, Timeout: o.CreateTimeout, Progress: o.Progress}
}

func (o Options) awsConfig(ctx context.Context, t *tenant.Tenant) (aws.Config, error) {
	cfg, err := aws.TenantConfig(ctx, t, o.AWSOptions...)
	if err != nil {
		return aws.Config{}, err
	}
	return cfg, aws.CheckRegion(ctx, cfg)
}

func (o Options) preflight(reg tenant.Registry) provision.Preflight {
	return provision.Preflight{Kubeconfig: o.Kubeconfig, Registry: reg}
}

// provisionEKS makes or adopts t's EKS cluster and its node group
// (package provision, waiting until each is ACTIVE within
// o.CreateTimeout), then writes into t what was found: the cluster's
// record, its server and the status its kubeconfig context is made
// from. Before the first AWS write it checks what create checks
// (provision.Preflight). It logs what it did to log.
func provisionEKS(ctx context.Context, reg tenant.Registry, t *tenant.Tenant, o Options, log io.Writer) error {
	cfg, err := o.awsConfig(ctx, t)
	if err != nil {
		return err
	}
	if err := o.preflight(reg).Check(ctx, cfg, t, log); err != nil {
		return err
	}
	po := o.provisionOptions()
	rec, c, outcome, err := provision.Cluster(ctx, cfg, t, po)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "EKS cluster %s %s (%s, Kubernetes %s)\n", c.Name, outcome, c.ARN, c.Version)
	if err := provision.Nodegroup(ctx, cfg, t.Name, c, rec, po); err != nil {
		return fmt.Errorf("EKS cluster %s exists; its node group: %w (apply again to finish)", c.Name, err)
	}
	t.Spec.Cluster.EKS = rec
	t.Spec.Cluster.Server = c.Endpoint
	t.Status = tenant.Status{Server: c.Endpoint, KubernetesVersion: c.Version, CAData: c.CAData, AuthenticationMode: c.AuthMode}
	return nil
}

// addNodegroup creates the node group a recorded EKS tenant's document
// now names, unless it exists.
func addNodegroup(ctx context.Context, t *tenant.Tenant, o Options, log io.Writer) error {
	cfg, err := o.awsConfig(ctx, t)
	if err != nil {
		return err
	}
	e := t.Spec.Cluster.EKS
	c, err := aws.DescribeCluster(ctx, cfg, e.Name)
	if err != nil {
		return err
	}
	if err := provision.Nodegroup(ctx, cfg, t.Name, c, e, o.provisionOptions()); err != nil {
		return err
	}
	fmt.Fprintf(log, "EKS node group %s/%s in place\n", c.Name, e.Nodegroup.Name)
	return nil
}

// previewEKS is the dry run of a tenant whose EKS cluster does not exist
// yet for it: what the run itself would check first (a server dry run
// all of it; a client dry run the kubeconfig alone), what would be made
// or adopted (a server dry run reads AWS to say it; a client dry run
// makes no call), then every object the tenant would get in the
// cluster, as new, and its IAM mappings.
func previewEKS(ctx context.Context, reg tenant.Registry, t *tenant.Tenant, o Options, w io.Writer) error {
	e := t.Spec.Cluster.EKS
	if o.Mode == ServerDryRun {
		cfg, err := o.awsConfig(ctx, t)
		if err != nil {
			return err
		}
		if err := o.preflight(reg).Check(ctx, cfg, t, w); err != nil {
			return err
		}
		if err := provision.Preview(ctx, cfg, t, o.provisionOptions(), w); err != nil {
			return err
		}
	} else {
		if err := o.preflight(reg).Context(ctx, t); err != nil {
			return err
		}
		verb := "create (or pick up)"
		if o.AdoptClusters {
			verb = "create (or pick up, or adopt)"
		}
		fmt.Fprintf(w, "would %s EKS cluster %s in %s (--dry-run=server asks AWS)\n", verb, e.Name, t.Spec.AWS.Region)
		if n := e.Nodegroup; n != nil {
			fmt.Fprintf(w, "would create node group %s unless it exists\n", n.Name)
		}
	}
	return previewInCluster(t, w)
}

// previewInCluster is what a new cluster gets for tenant t once it is
// made: its context, every object the tenant gets in it, as new, and
// its IAM mappings.
func previewInCluster(t *tenant.Tenant, w io.Writer) error {
	fmt.Fprintf(w, "would add kubeconfig context %q for it\n", t.Spec.Cluster.Context)
	var results []apply.Result
	for _, obj := range rbac.ForTenant(t).List() {
		k := apply.KeyOf(obj)
		results = append(results, apply.Result{Kind: k.Kind, Namespace: k.Namespace, Name: k.Name, Outcome: apply.Created, Merged: obj})
	}
	for _, r := range sorted(results) {
		if err := apply.WriteDiff(w, r); err != nil {
			return err
		}
	}
	for _, g := range t.Spec.Grants {
		if g.Subject.IsIAM() {
			fmt.Fprintf(w, "would map %s into the new cluster (%s) for role %s\n", g.Subject.Name, g.Via, g.Role)
		}
	}
	return nil
}

// errNoMove refuses a tenant that would move to another cluster.
var errNoMove = errors.New("a tenant does not move between clusters (delete it and apply again)")
