// Package delete is `kubectl tenant delete`.
package delete

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/grant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
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
	kubectl tenant delete acme --delete-namespaces`)

// Options are the options of `delete`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *string

	Tenant           string
	DeleteNamespaces bool
	DeleteCluster    bool
	DryRun           string
}

// NewCmdDelete makes `kubectl tenant delete`.
func NewCmdDelete(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "delete TENANT [--delete-namespaces]",
		Short:        "Remove a tenant's objects and record",
		Long:         deleteLong,
		Example:      deleteExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Tenant = args[0]
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.DeleteNamespaces, "delete-namespaces", false, "Also delete the tenant's namespaces and everything in them")
	cmd.Flags().StringVar(&o.DryRun, "dry-run", "none", `"server": have the API server check the deletions and change nothing`)
	cmd.Flags().BoolVar(&o.DeleteCluster, "delete-cluster", false, "EKS: also delete the cluster, if kubectl-tenant created it (and its IAM role, if it created that)")
	return cmd
}

// Run deletes the objects, then the namespaces if asked, then the record.
func (o *Options) Run(ctx context.Context) error {
	if o.DryRun != "none" && o.DryRun != "server" {
		return fmt.Errorf(`--dry-run %q: use "none" or "server"`, o.DryRun)
	}
	reg, t, err := tenant.Open(ctx, *o.registryPath, o.Tenant)
	if err != nil {
		return err
	}
	if t.Spec.Cluster.EKS != nil && o.DeleteCluster {
		return o.deleteEKS(ctx, reg, t)
	}
	if o.DeleteCluster {
		return fmt.Errorf("tenant %q adopted its cluster through a kubeconfig context; kubectl-tenant deletes only EKS clusters it created", t.Name)
	}
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	a := &apply.Applier{Client: conn.Client, DryRun: o.DryRun == "server"}
	if err := o.unmapIAM(ctx, t, conn, a.DryRun); err != nil {
		return err
	}
	results := &apply.Results{}
	if err := a.DeleteTenantObjects(ctx, t.Name, t.Spec.Namespaces, results); err != nil {
		return grant.Unreachable(t, err)
	}
	if o.DeleteNamespaces {
		fmt.Fprintf(o.ErrOut, "deleting tenant %q's namespaces and everything in them: %s\n", t.Name, strings.Join(t.Spec.Namespaces, ", "))
		for _, ns := range t.Spec.Namespaces {
			if err := a.DeleteNamespace(ctx, t.Name, ns, results); err != nil {
				return err
			}
		}
	}
	results.Print(o.ErrOut, a.DryRun)
	if a.DryRun {
		return nil
	}
	if err := reg.Delete(ctx, t.Name); err != nil {
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
func (o *Options) unmapIAM(ctx context.Context, t *tenant.Tenant, conn *cluster.Connection, dryRun bool) error {
	after := t.DeepCopy()
	after.Spec.Grants = nil
	s := grant.NewSyncer(t, conn, nil, dryRun, o.Out)
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

// deleteEKS deletes the tenant's EKS cluster if the plugin created it (the
// cluster takes every in-cluster object with it), the cluster role if the
// plugin created that, then the record and the kubeconfig context. A
// cluster the plugin did not create is left, and said so.
func (o *Options) deleteEKS(ctx context.Context, reg tenant.Registry, t *tenant.Tenant) error {
	a, eks := t.Spec.AWS, t.Spec.Cluster.EKS
	cfg, err := cluster.AWSIdentity(a).Config(ctx)
	if err != nil {
		return err
	}
	if err := aws.DeleteCluster(ctx, cfg, eks.Name); err != nil {
		fmt.Fprintf(o.ErrOut, "%v; removing only tenant %q's record and context\n", err, t.Name)
	} else {
		fmt.Fprintf(o.ErrOut, "deleting EKS cluster %s\n", eks.Name)
		if eks.ClusterRoleCreated {
			if err := aws.DeleteClusterRole(ctx, cfg, eks.ClusterRoleARN); err != nil {
				return err
			}
			fmt.Fprintf(o.ErrOut, "deleted IAM role %s\n", eks.ClusterRoleARN)
		}
	}
	if err := reg.Delete(ctx, t.Name); err != nil {
		return err
	}
	if err := o.removeContext(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "tenant %q deleted\n", t.Name)
	return nil
}

// removeContext removes the tenant's kubeconfig context if it is the
// plugin's for this tenant.
func (o *Options) removeContext(ctx context.Context, t *tenant.Tenant) error {
	paths := cluster.KubeconfigPaths(o.getter)
	unlock, err := atomicfile.LockAll(ctx, paths)
	if err != nil {
		return err
	}
	defer unlock()
	set, err := kubeconfig.ReadSet(ctx, paths)
	if err != nil {
		return err
	}
	c, _ := set.Context(t.Spec.Cluster.Context)
	if c == nil {
		return nil
	}
	if ext, ok := kubeconfig.TenantExtensionOf(c.Context); !ok || ext.Tenant != t.Name {
		return nil // the user's own context of that name
	}
	if _, err := set.Remove([]string{t.Spec.Cluster.Context}); err != nil {
		return err
	}
	return set.WriteChanged()
}
