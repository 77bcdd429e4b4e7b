// Package delete is `kubectl tenant delete`.
package delete

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

var deleteLong = templates.LongDesc(`
	Remove a tenant: every object kubectl-tenant made for it (found by its
	labels: bindings, ServiceAccounts it created, its ClusterRole), then its
	record. Its IAM principals are taken out of aws-auth and their access
	entries deleted first. Its namespaces, and everything in them, are deleted only with
	--delete-namespaces; they are named before they go. Nothing the plugin
	did not make is deleted.

	--delete-cluster deletes the cluster the plugin created for the tenant
	(and no other): on EKS, its node groups, the cluster and the IAM roles
	made for them; for a cluster Cluster API makes (create --provider
	capa), its Cluster in the management cluster, waiting while Cluster API
	and CAPA delete the EKS cluster, then the tenant's identities that no
	other control plane uses, and its namespace there.`)

var deleteExample = templates.Examples(`
	# Remove acme's access objects and record, keep its namespaces
	kubectl tenant delete acme

	# Remove everything, namespaces included
	kubectl tenant delete acme --delete-namespaces

	# See what deleting acme's EKS cluster would remove, changing nothing
	kubectl tenant delete acme --delete-cluster --dry-run=server`)

// Options are the options of `delete`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Tenant           string
	DeleteNamespaces bool
	DeleteCluster    bool
	// Force lets the IAM mappings go even when that removes a node
	// role, the last system:masters mapping or the caller's own access.
	Force bool
	// Timeout bounds each wait for a node group or the cluster to go.
	Timeout        time.Duration
	DryRunStrategy cmdutil.DryRunStrategy

	registry tenant.Registry
	tenant   *tenant.Tenant
	conn     *cluster.Connection
}

// NewCmdDelete makes `kubectl tenant delete`.
func NewCmdDelete(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:               "delete TENANT [--delete-namespaces] [--delete-cluster]",
		Short:             "Remove a tenant's objects and record",
		Long:              deleteLong,
		Example:           deleteExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().BoolVar(&o.DeleteNamespaces, "delete-namespaces", false, "Also delete the tenant's namespaces and everything in them")
	cmd.Flags().BoolVar(&o.DeleteCluster, "delete-cluster", false, "Also delete the cluster, if kubectl-tenant created it: on EKS its node groups first, then the cluster, then the IAM roles it created for them; for CAPA the Cluster (CAPA deletes the EKS cluster), then the identities and namespace nothing else uses")
	cmd.Flags().BoolVar(&o.Force, "force", false, "Remove the tenant's aws-auth mappings even when one maps nodes, is the last system:masters mapping or gives you your own access; with --delete-cluster, delete the cluster even when other tenants adopted it")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 25*time.Minute, "With --delete-cluster: how long to wait for each node group, the cluster (or each Cluster API object), to be gone")
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Complete reads the tenant and makes its cluster's client.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant = args[0]
	target, err := cmdutil.OpenTarget(cmd, o.registryPath, o.Tenant)
	if err != nil {
		return err
	}
	o.registry, o.tenant, o.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	if o.DeleteCluster && o.tenant.Spec.Cluster.EKS != nil {
		return nil // the cluster takes its objects with it; one it keeps is connected to then
	}
	o.conn, err = cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	return err
}

// Validate checks that what is asked can be done to this tenant.
func (o *Options) Validate() error {
	if o.DeleteCluster && o.tenant.Spec.Cluster.EKS == nil {
		return fmt.Errorf("--delete-cluster: tenant %q adopted its cluster through a kubeconfig context; kubectl-tenant deletes only EKS clusters it created", o.Tenant)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("--timeout %s: give a positive duration, such as 25m", o.Timeout)
	}
	if o.DeleteCluster && o.DeleteNamespaces {
		return fmt.Errorf("--delete-namespaces does not go with --delete-cluster: a cluster the tenant owns goes with everything in it, and an adopted cluster keeps its namespaces")
	}
	return nil
}

// Run deletes the objects, then the namespaces if asked, then the record;
// or, with --delete-cluster, the EKS cluster. A dry run changes nothing:
// on the client it reads and reports, on the server the API server also
// checks each deletion. The record goes last, once everything it
// describes is gone, so that a failure leaves what a re-run needs.
func (o *Options) Run(ctx context.Context) error {
	if o.DeleteCluster && o.tenant.Spec.Cluster.CAPA != nil {
		return o.deleteCAPA(ctx)
	}
	if o.DeleteCluster {
		return o.deleteEKS(ctx)
	}
	t := o.tenant
	if err := o.deleteObjects(ctx, o.DeleteNamespaces); err != nil {
		return err
	}
	if o.DryRunStrategy != cmdutil.DryRunNone {
		fmt.Fprintf(o.ErrOut, "tenant %q would be deleted (dry run)\n", t.Name)
		return nil
	}
	if err := o.registry.Delete(ctx, t.Name); err != nil {
		return err
	}
	kept := ""
	if !o.DeleteNamespaces {
		kept = fmt.Sprintf("; namespaces %s kept (--delete-namespaces removes them)", strings.Join(t.Spec.Namespaces, ", "))
	}
	fmt.Fprintf(o.ErrOut, "tenant %q deleted%s\n", t.Name, kept)
	if c := t.Spec.Cluster.CAPA; c != nil {
		fmt.Fprintf(o.ErrOut, "Cluster %s/%s and its Cluster API objects stay in the management cluster, and so does the EKS cluster CAPA made from them (--delete-cluster deletes them)\n", c.Namespace, c.Name)
	}
	return nil
}

// deleteObjects removes what the plugin made for the tenant in its
// cluster, through o.conn: the IAM mappings first, then the labelled
// objects, then, with namespaces, the tenant's namespaces.
func (o *Options) deleteObjects(ctx context.Context, namespaces bool) error {
	t := o.tenant
	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRunStrategy == cmdutil.DryRunServer, ReportOnly: o.DryRunStrategy == cmdutil.DryRunClient}
	wl, err := o.workloadSyncer(ctx, o.conn)
	if err != nil {
		return err
	}
	if err := o.deleteWorkloadRoles(ctx, wl); err != nil {
		return err
	}
	if err := o.unmapIAM(ctx, t, o.DryRunStrategy != cmdutil.DryRunNone); err != nil {
		return err
	}
	results := &apply.Results{}
	if err := a.DeleteTenantObjects(ctx, t.Name, t.Spec.Namespaces, results); err != nil {
		return cluster.Unreachable(t, err)
	}
	if namespaces {
		fmt.Fprintf(o.ErrOut, "deleting tenant %q's namespaces and everything in them: %s\n", t.Name, strings.Join(t.Spec.Namespaces, ", "))
		for _, ns := range t.Spec.Namespaces {
			if err := a.DeleteNamespace(ctx, t.Name, ns, results); err != nil {
				return err
			}
		}
	}
	results.Print(o.ErrOut, a)
	return nil
}

// workloadSyncer reaches what the plugin made for the tenant's add-ons
// and workload roles, reading its EKS cluster (its ARN and OIDC issuer,
// which their roles' trust names) before anything is deleted; conn, when
// not nil, is the cluster for IRSA's annotations. nil when there is
// nothing to remove, or for a client dry run (which says what it would
// remove, asking nothing). A cluster already gone is known by its
// recorded ARN alone.
func (o *Options) workloadSyncer(ctx context.Context, conn *cluster.Connection) (*workloadrole.Syncer, error) {
	t := o.tenant
	if eks := t.Spec.Cluster.EKS; len(t.Spec.WorkloadRoles) == 0 && len(t.Spec.Addons) == 0 && (eks == nil || !eks.OIDCProviderCreated) {
		return nil, nil
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		for _, a := range t.Spec.Addons {
			fmt.Fprintf(o.ErrOut, "add-on %s would be deleted if kubectl-tenant made it, with its role (dry run; --dry-run=server asks AWS)\n", a.Name)
		}
		for _, w := range t.Spec.WorkloadRoles {
			fmt.Fprintf(o.ErrOut, "workload role of %s would be removed, and its role %s deleted if kubectl-tenant made it (dry run; --dry-run=server asks AWS)\n", w.Key(), cmp.Or(w.RoleARN, w.RoleName))
		}
		return nil, nil
	}
	dryRun := o.DryRunStrategy == cmdutil.DryRunServer
	s, err := workloadrole.NewSyncer(ctx, t, conn, dryRun, o.ErrOut)
	if errors.Is(err, aws.ErrNoCluster) {
		return o.goneClusterSyncer(ctx, dryRun)
	}
	if err != nil {
		return nil, fmt.Errorf("tenant %q is kept: its workload roles and add-ons are removed through its AWS account: %w", t.Name, err)
	}
	return s, nil
}

// goneClusterSyncer reaches what the plugin made for the tenant's add-ons
// and workload roles once its EKS cluster is gone: the cluster is known
// by its recorded ARN (or the one EKS gave it, in the tenant's account
// and region); its OIDC issuer went with it.
func (o *Options) goneClusterSyncer(ctx context.Context, dryRun bool) (*workloadrole.Syncer, error) {
	t := o.tenant
	cfg, err := aws.TenantConfig(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("tenant %q is kept: its workload roles and add-ons are removed through its AWS account: %w", t.Name, err)
	}
	eks := t.Spec.Cluster.EKS
	gone := &aws.Cluster{Name: eks.Name, ARN: eks.ARN}
	if gone.ARN == "" {
		caller, err := aws.CallerARN(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("tenant %q is kept: %w", t.Name, err)
		}
		gone.ARN = "arn:aws:eks:" + cfg.Region + ":" + strings.SplitN(caller, ":", 6)[4] + ":cluster/" + eks.Name
	}
	return &workloadrole.Syncer{Tenant: t, Config: cfg, Cluster: gone, DryRun: dryRun, Log: o.ErrOut}, nil
}

// deleteWorkloadRoles removes, through s (nil: nothing to do), what the
// plugin made for the tenant's add-ons and workload roles (add-ons,
// associations, annotations, roles, the cluster's OIDC provider), each
// checked at the point of deletion, before the record that names them
// goes; what it keeps it says. A server dry run reads and says what
// would go.
func (o *Options) deleteWorkloadRoles(ctx context.Context, s *workloadrole.Syncer) error {
	if s == nil {
		return nil
	}
	kept, err := s.DeleteAll(ctx, o.Timeout)
	for _, k := range kept {
		fmt.Fprintf(o.ErrOut, "kept: %s\n", k)
	}
	if err != nil {
		return fmt.Errorf("tenant %q is kept, re-run to finish: %w", o.tenant.Name, err)
	}
	return nil
}

// unmapIAM takes the tenant's IAM principals out of aws-auth and deletes
// their access entries, before their groups' bindings go.
func (o *Options) unmapIAM(ctx context.Context, t *tenant.Tenant, dryRun bool) error {
	after := t.DeepCopy()
	after.Spec.Grants = nil
	s := iamgrant.NewSyncer(t, o.conn.Client, nil, dryRun, o.Out)
	s.Warn = o.ErrOut
	s.ServerDryRun = o.DryRunStrategy == cmdutil.DryRunServer
	s.Force = o.Force
	seen := map[tenant.Subject]bool{}
	for _, g := range t.Spec.Grants {
		if !g.Subject.IsIAM() || seen[g.Subject] {
			continue
		}
		seen[g.Subject] = true
		if _, err := s.Sync(ctx, t, after, g.Subject, g.Via); err != nil {
			return fmt.Errorf("removing the mapping of %s (re-run to finish; the tenant is kept): %w", g.Subject, err)
		}
	}
	return nil
}

// deleteEKS deletes the tenant's EKS cluster if it is the tenant's
// (aws.Owned: the plugin's and this tenant's tags, and the record says
// the plugin made it): its node groups, the cluster, waited for until it
// is gone, then the IAM roles the plugin made for them. A cluster that is
// not the tenant's stays, and the tenant's own objects in it are removed
// through its context instead. The record and the context go only when
// all that is done; on any failure both are kept, so that a re-run
// continues. A client dry run makes no AWS call (but for an adopted
// cluster, whose access entries it reads); a server dry run makes only
// the reads.
func (o *Options) deleteEKS(ctx context.Context) error {
	t := o.tenant
	eks := t.Spec.Cluster.EKS
	if o.DryRunStrategy == cmdutil.DryRunClient && !eks.CreatedByPlugin {
		// What a run does with a cluster the record says it adopted.
		return o.leaveCluster(ctx, aws.Config{}, fmt.Errorf("EKS cluster %s was adopted by tenant %q, not created for it (its record says so)", eks.Name, t.Name))
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		fmt.Fprintf(o.ErrOut, "EKS cluster %s would be deleted, with its node groups, if kubectl-tenant made it for tenant %q (recorded: %v)", eks.Name, t.Name, eks.CreatedByPlugin)
		if roles := o.ownedRoles(true); len(roles) > 0 {
			fmt.Fprintf(o.ErrOut, ", with IAM roles %s", strings.Join(roles, ", "))
		}
		fmt.Fprintf(o.ErrOut, " (dry run; --dry-run=server asks EKS)\n")
		if _, err := o.workloadSyncer(ctx, nil); err != nil {
			return err
		}
		return o.forget(ctx)
	}
	if t.Spec.AWS == nil {
		return fmt.Errorf("tenant %q is on EKS but its record has no spec.aws to act in its account with: add it (kubectl tenant apply) and delete again", t.Name)
	}
	cfg, err := aws.TenantConfig(ctx, t)
	if err != nil {
		return o.kept(err, "EKS cluster "+eks.Name)
	}
	if err := aws.CheckRecordedPlace(ctx, cfg, append([]string{eks.ARN}, o.ownedRoles(true)...)...); err != nil {
		return o.kept(err, "EKS cluster "+eks.Name)
	}
	claim := aws.Claim{Tenant: t.Name, Made: eks.CreatedByPlugin}
	c, err := aws.DescribeCluster(ctx, cfg, eks.Name)
	switch {
	case errors.Is(err, aws.ErrNoCluster):
		fmt.Fprintf(o.ErrOut, "EKS cluster %s is gone already\n", eks.Name)
		wl, err := o.workloadSyncer(ctx, nil)
		if err != nil {
			return err
		}
		if err := o.deleteWorkloadRoles(ctx, wl); err != nil {
			return err
		}
	case err != nil:
		return o.kept(err, "EKS cluster "+eks.Name)
	default:
		if notOurs := aws.Owned("EKS cluster "+eks.Name, c.Tags, claim); notOurs != nil {
			return o.leaveCluster(ctx, cfg, notOurs)
		}
		adopted := func(x *tenant.Tenant) bool {
			e := x.Spec.Cluster.EKS
			return e != nil && (e.ARN == c.ARN || e.ARN == "" && e.Name == c.Name && x.Spec.AWS != nil && t.Spec.AWS != nil && x.Spec.AWS.Region == t.Spec.AWS.Region)
		}
		if err := o.refuseShared(ctx, "EKS cluster "+eks.Name, c.Endpoint, adopted); err != nil {
			return err
		}
		// Read now what the workload roles' trust names; they go after
		// the cluster, which takes their associations and annotations.
		wl, err := o.workloadSyncer(ctx, nil)
		if err != nil {
			return err
		}
		if err := o.deleteCluster(ctx, cfg, claim); err != nil {
			return o.kept(err, "EKS cluster "+eks.Name)
		}
		if err := o.deleteWorkloadRoles(ctx, wl); err != nil {
			return err
		}
	}
	if err := o.deleteOwnedRoles(ctx, cfg, o.ownedRoles(true)); err != nil {
		return err
	}
	return o.forget(ctx)
}

// deleteOwnedRoles deletes the IAM roles the record says the plugin made
// for the tenant (aws.Owned checks each at the point of deletion); a
// server dry run reads their tags and says what would go.
func (o *Options) deleteOwnedRoles(ctx context.Context, cfg aws.Config, roles []string) error {
	t := o.tenant
	for i, role := range roles {
		if o.DryRunStrategy == cmdutil.DryRunClient {
			fmt.Fprintf(o.ErrOut, "IAM role %s would be deleted if it is kubectl-tenant's for tenant %q (dry run; --dry-run=server asks IAM)\n", role, t.Name)
			continue
		}
		if o.DryRunStrategy == cmdutil.DryRunServer {
			owned, err := aws.RoleOwned(ctx, cfg, iamarn.NameOf(role), t.Name)
			switch {
			case err != nil:
				return err
			case owned:
				fmt.Fprintf(o.ErrOut, "IAM role %s would be deleted\n", role)
			default:
				fmt.Fprintf(o.ErrOut, "IAM role %s would be left: it is gone, or not kubectl-tenant's for tenant %q\n", role, t.Name)
			}
			continue
		}
		if err := aws.DeleteOwnedRole(ctx, cfg, role, aws.Claim{Tenant: t.Name, Made: true}); err != nil {
			return o.kept(err, roles[i:]...)
		}
		fmt.Fprintf(o.ErrOut, "deleted IAM role %s\n", role)
	}
	return nil
}

// refuseShared refuses to delete cluster (named so for the error)
// another tenant's record is on, unless --force: one that adopted it
// (adopted says which), or reaches it through the same context or at
// its endpoint. That tenant would be left describing nothing.
func (o *Options) refuseShared(ctx context.Context, cluster, endpoint string, adopted func(x *tenant.Tenant) bool) error {
	all, err := o.registry.List(ctx)
	if err != nil {
		return fmt.Errorf("listing the tenants, to see who else is on %s: %w", cluster, err)
	}
	same := func(a, b string) bool { return a != "" && strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }
	var others []string
	for i := range all {
		x := &all[i]
		if x.Name == o.tenant.Name {
			continue
		}
		reached := same(x.Spec.Cluster.Server, endpoint) || same(x.Status.Server, endpoint) || x.Spec.Cluster.Context == o.tenant.Spec.Cluster.Context
		if adopted(x) || reached {
			others = append(others, x.Name)
		}
	}
	if len(others) > 0 && !o.Force {
		return fmt.Errorf("%s is also the cluster of tenant(s) %s, which adopted it or reach it: delete them first, or pass --force to delete it under them", cluster, strings.Join(others, ", "))
	}
	return nil
}

// deleteCluster deletes the tenant's own cluster with its node groups,
// and waits until EKS no longer knows it; a server dry run reads and
// reports instead.
func (o *Options) deleteCluster(ctx context.Context, cfg aws.Config, claim aws.Claim) error {
	name := o.tenant.Spec.Cluster.EKS.Name
	if o.DryRunStrategy == cmdutil.DryRunServer {
		groups, err := aws.ListNodegroups(ctx, cfg, name)
		if err != nil {
			return err
		}
		for _, ng := range groups {
			if err := aws.Owned("node group "+ng.Name+" of EKS cluster "+name, ng.Tags, claim); err != nil {
				return fmt.Errorf("%w: delete it first, then delete the tenant", err)
			}
			fmt.Fprintf(o.ErrOut, "node group %s would be deleted\n", ng.Name)
		}
		fmt.Fprintf(o.ErrOut, "EKS cluster %s would be deleted (server dry run: EKS was only read)\n", name)
		return nil
	}
	fmt.Fprintf(o.ErrOut, "deleting EKS cluster %s\n", name)
	progress := func(msg string) { fmt.Fprintln(o.ErrOut, msg) }
	if err := aws.DeleteCluster(ctx, cfg, name, claim, o.Timeout, progress); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "deleted EKS cluster %s\n", name)
	return nil
}

// leaveCluster keeps a cluster that is not the tenant's to delete
// (notOurs says why) and removes what is the tenant's in and beside it:
// its objects in the cluster, through its context (without the context it
// refuses), and a node group and IAM roles the plugin made for it there.
// Then the record goes.
func (o *Options) leaveCluster(ctx context.Context, cfg aws.Config, notOurs error) error {
	t, eks := o.tenant, o.tenant.Spec.Cluster.EKS
	fmt.Fprintf(o.ErrOut, "%v; the cluster stays, and only tenant %q's own objects in it are removed\n", notOurs, t.Name)
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return fmt.Errorf("tenant %q is kept: its objects in EKS cluster %s are removed through context %q, which does not work: %w", t.Name, eks.Name, t.Spec.Cluster.Context, err)
	}
	o.conn = conn
	if err := o.deleteObjects(ctx, false); err != nil {
		return fmt.Errorf("tenant %q is kept, re-run to finish: %w", t.Name, err)
	}
	nodesStay := false
	if ng := eks.Nodegroup; ng != nil && o.DryRunStrategy != cmdutil.DryRunNone {
		fmt.Fprintf(o.ErrOut, "node group %s would be deleted if kubectl-tenant made it for tenant %q (dry run)\n", ng.Name, t.Name)
	}
	if ng := eks.Nodegroup; ng != nil && o.DryRunStrategy == cmdutil.DryRunNone {
		err := aws.DeleteNodegroup(ctx, cfg, eks.Name, ng.Name, aws.Claim{Tenant: t.Name, Made: true}, o.Timeout, func(s string) { fmt.Fprintf(o.ErrOut, "node group %s is %s\n", ng.Name, s) })
		switch {
		case errors.Is(err, aws.ErrNotOwned):
			fmt.Fprintf(o.ErrOut, "%v; it stays, and so does its node role\n", err)
			nodesStay = true
		case err != nil:
			return o.kept(err, "node group "+ng.Name)
		}
	}
	if err := o.deleteOwnedRoles(ctx, cfg, o.ownedRoles(!nodesStay)); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "namespaces %s are kept in EKS cluster %s, with what runs in them\n", strings.Join(t.Spec.Namespaces, ", "), eks.Name)
	return o.forget(ctx)
}

// kept is the error of a delete that stopped with left still in place:
// the record and the context stay, and a re-run continues.
func (o *Options) kept(err error, left ...string) error {
	return fmt.Errorf("%w; left: %s; tenant %q's record and context are kept: re-run 'kubectl tenant delete %s --delete-cluster' to continue",
		err, strings.Join(left, ", "), o.Tenant, o.Tenant)
}

// forget removes the record and the tenant's kubeconfig context, last,
// or says it would. The record goes first: a re-run needs the context to
// reach the cluster, and once the record is gone nothing is left in the
// cluster that the context would be needed for.
func (o *Options) forget(ctx context.Context) error {
	t := o.tenant
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	would := ""
	if dryRun {
		would = "would be "
	} else if err := o.registry.Delete(ctx, t.Name); err != nil {
		return err
	}
	removed, err := kcfg.RemoveTenantContext(ctx, cluster.KubeconfigPaths(o.getter), t.Spec.Cluster.Context, t.Name, dryRun)
	if err != nil && !dryRun {
		return fmt.Errorf("tenant %q deleted, but its context %q is still in the kubeconfig (%w); remove it with 'kubectl tenant contexts remove %s'",
			t.Name, t.Spec.Cluster.Context, err, t.Spec.Cluster.Context)
	}
	if err != nil {
		return err
	}
	if removed {
		fmt.Fprintf(o.ErrOut, "context %q %sremoved\n", t.Spec.Cluster.Context, would)
	}
	fmt.Fprintf(o.ErrOut, "tenant %q %sdeleted\n", t.Name, would)
	return nil
}

// ownedRoles are the IAM roles the record says the plugin created for
// the tenant's cluster and (with nodeRole) its node group, which go after
// the cluster.
func (o *Options) ownedRoles(nodeRole bool) []string {
	var roles []string
	if eks := o.tenant.Spec.Cluster.EKS; eks.ClusterRoleCreated {
		roles = append(roles, eks.ClusterRoleARN)
	}
	if eks := o.tenant.Spec.Cluster.EKS; eks.NodeRoleCreated && nodeRole {
		roles = append(roles, eks.NodeRoleARN)
	}
	return roles
}
