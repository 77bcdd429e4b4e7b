// Package delete is `kubectl tenant delete`.
package delete

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kcmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var deleteLong = templates.LongDesc(`
	Remove a tenant: every object kubectl-tenant made for it (found by its
	labels: bindings, ServiceAccounts it created, its ClusterRole), then its
	record. Its IAM principals are taken out of aws-auth and their access
	entries deleted first. Its namespaces, and everything in them, are deleted only with
	--delete-namespaces; they are named before they go. Nothing the plugin
	did not make is deleted.`)

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
	DryRunStrategy   kcmdutil.DryRunStrategy

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
	cmd.Flags().BoolVar(&o.DeleteCluster, "delete-cluster", false, "EKS: also delete the cluster, if kubectl-tenant created it: its node groups first, then the cluster, then the IAM roles it created for them")
	kcmdutil.AddDryRunFlag(cmd)
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
		return nil // the cluster takes its objects with it
	}
	o.conn, err = cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	return err
}

// Validate checks that what is asked can be done to this tenant.
func (o *Options) Validate() error {
	if o.DeleteCluster && o.tenant.Spec.Cluster.EKS == nil {
		return fmt.Errorf("--delete-cluster: tenant %q adopted its cluster through a kubeconfig context; kubectl-tenant deletes only EKS clusters it created", o.Tenant)
	}
	if o.DeleteCluster && o.DeleteNamespaces {
		return fmt.Errorf("--delete-namespaces is implied by --delete-cluster: the cluster goes with everything in it")
	}
	return nil
}

// Run deletes the objects, then the namespaces if asked, then the record;
// or, with --delete-cluster, the EKS cluster. A dry run changes nothing:
// on the client it reads and reports, on the server the API server also
// checks each deletion.
func (o *Options) Run(ctx context.Context) error {
	if o.DeleteCluster {
		return o.deleteEKS(ctx)
	}
	t := o.tenant
	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRunStrategy == kcmdutil.DryRunServer, ReportOnly: o.DryRunStrategy == kcmdutil.DryRunClient}
	dryRun := o.DryRunStrategy != kcmdutil.DryRunNone
	if err := o.unmapIAM(ctx, t, dryRun); err != nil {
		return err
	}
	results := &apply.Results{}
	if err := a.DeleteTenantObjects(ctx, t.Name, t.Spec.Namespaces, results); err != nil {
		return cluster.Unreachable(t, err)
	}
	if o.DeleteNamespaces {
		fmt.Fprintf(o.ErrOut, "deleting tenant %q's namespaces and everything in them: %s\n", t.Name, strings.Join(t.Spec.Namespaces, ", "))
		for _, ns := range t.Spec.Namespaces {
			if err := a.DeleteNamespace(ctx, t.Name, ns, results); err != nil {
				return err
			}
		}
	}
	results.Print(o.ErrOut, a)
	if dryRun {
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
	return nil
}

// unmapIAM takes the tenant's IAM principals out of aws-auth and deletes
// their access entries, before their groups' bindings go.
func (o *Options) unmapIAM(ctx context.Context, t *tenant.Tenant, dryRun bool) error {
	after := t.DeepCopy()
	after.Spec.Grants = nil
	s := iamgrant.NewSyncer(t, o.conn.Client, nil, dryRun, o.Out)
	s.Warn = o.ErrOut
	s.ServerDryRun = o.DryRunStrategy == kcmdutil.DryRunServer
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

// deleteEKS deletes the tenant's EKS cluster if the plugin created it (its
// node groups first; the cluster takes every in-cluster object with it),
// the IAM roles the plugin created for them, then the record and the
// kubeconfig context. A
// cluster the plugin did not create is left, and said so. A client dry run
// makes no AWS call; a server dry run makes only the reads.
func (o *Options) deleteEKS(ctx context.Context) error {
	t := o.tenant
	eks := t.Spec.Cluster.EKS
	would := ""
	if o.DryRunStrategy != kcmdutil.DryRunNone {
		would = "would be "
	}
	if o.DryRunStrategy == kcmdutil.DryRunClient {
		fmt.Fprintf(o.ErrOut, "EKS cluster %s would be deleted, with its node groups, if kubectl-tenant created it (recorded: %v)", eks.Name, eks.CreatedByPlugin)
		if roles := o.ownedRoles(); len(roles) > 0 {
			fmt.Fprintf(o.ErrOut, ", with IAM roles %s", strings.Join(roles, ", "))
		}
		fmt.Fprintf(o.ErrOut, " (dry run; --dry-run=server asks EKS)\n")
	} else if err := o.deleteCluster(ctx, would); err != nil {
		return err
	}
	dryRun := o.DryRunStrategy != kcmdutil.DryRunNone
	if !dryRun {
		if err := o.registry.Delete(ctx, t.Name); err != nil {
			return err
		}
	}
	removed, err := kcfg.RemoveTenantContext(ctx, cluster.KubeconfigPaths(o.getter), t.Spec.Cluster.Context, t.Name, dryRun)
	if err != nil {
		return err
	}
	if removed {
		fmt.Fprintf(o.ErrOut, "context %q %sremoved\n", t.Spec.Cluster.Context, would)
	}
	fmt.Fprintf(o.ErrOut, "tenant %q %sdeleted\n", t.Name, would)
	return nil
}

// deleteCluster deletes the cluster, if the plugin created it (aws
// checks its tags), and the role the plugin created for it; with would set
// (a server dry run) it only reads and reports.
func (o *Options) deleteCluster(ctx context.Context, would string) error {
	t, eks := o.tenant, o.tenant.Spec.Cluster.EKS
	cfg, err := aws.TenantIdentity(t.Spec.AWS).Config(ctx)
	if err != nil {
		return err
	}
	if would != "" {
		c, err := aws.DescribeCluster(ctx, cfg, eks.Name)
		switch {
		case err != nil:
			fmt.Fprintf(o.ErrOut, "%v; only tenant %q's record and context %sremoved\n", err, t.Name, would)
		case !c.CreatedByPlugin():
			fmt.Fprintf(o.ErrOut, "EKS cluster %s was not created by kubectl-tenant; it is left alone, and only tenant %q's record and context %sremoved\n", eks.Name, t.Name, would)
		default:
			groups, err := aws.NodegroupNames(ctx, cfg, eks.Name)
			if err != nil {
				return err
			}
			for _, ng := range groups {
				fmt.Fprintf(o.ErrOut, "node group %s %sdeleted\n", ng, would)
			}
			fmt.Fprintf(o.ErrOut, "EKS cluster %s %sdeleted (server dry run: EKS was only read)\n", eks.Name, would)
			for _, role := range o.ownedRoles() {
				fmt.Fprintf(o.ErrOut, "IAM role %s %sdeleted\n", role, would)
			}
		}
		return nil
	}
	progress := func(msg string) { fmt.Fprintln(o.ErrOut, msg) }
	if err := aws.DeleteCluster(ctx, cfg, eks.Name, progress); err != nil {
		fmt.Fprintf(o.ErrOut, "%v; removing only tenant %q's record and context\n", err, t.Name)
		return nil
	}
	fmt.Fprintf(o.ErrOut, "deleting EKS cluster %s\n", eks.Name)
	for _, role := range o.ownedRoles() {
		if err := aws.DeleteOwnedRole(ctx, cfg, role); err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "deleted IAM role %s\n", role)
	}
	return nil
}

// ownedRoles are the IAM roles the plugin created for the tenant's
// cluster and node group, which go with the cluster.
func (o *Options) ownedRoles() []string {
	var roles []string
	if eks := o.tenant.Spec.Cluster.EKS; eks.ClusterRoleCreated {
		roles = append(roles, eks.ClusterRoleARN)
	}
	if eks := o.tenant.Spec.Cluster.EKS; eks.NodeRoleCreated {
		roles = append(roles, eks.NodeRoleARN)
	}
	return roles
}
