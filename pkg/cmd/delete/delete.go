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
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/grant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var deleteLong = templates.LongDesc(`
	Remove a tenant: every object kubectl-tenant made for it (found by its
	labels: bindings, ServiceAccounts it created, its ClusterRole), then its
	record. Its namespaces, and everything in them, are deleted only with
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
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	a := &apply.Applier{Client: conn.Client, DryRun: o.DryRun == "server"}
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
