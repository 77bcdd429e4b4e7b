// Package initcmd is `kubectl tenant init`.
package initcmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/dynamic"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/clusterregistry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
)

var initLong = templates.LongDesc(`
	Install the tenant registry into the current context's cluster, the
	management cluster: the Tenant custom resource definition
	(tenants.tenancy.kubectl-tenant.io, cluster-scoped, with the same
	validation every command applies) and the ClusterRoles for its users,
	kubectl-tenant:registry-admin and kubectl-tenant:registry-viewer. To let
	someone get only some tenants, bind a ClusterRole that names them with
	resourceNames.

	Objects are applied server-side as field manager kubectl-tenant, so
	running init again changes nothing that is already in place, and a field
	someone else manages is reported as a conflict, not taken over. init
	then waits for the definition to be Established.`)

var initExample = templates.Examples(`
	# Install the registry into the management cluster
	kubectl tenant init --context management

	# See exactly what would be installed
	kubectl tenant init --dry-run=client -o yaml

	# Let alice read only tenant acme
	kubectl create clusterrole kubectl-tenant:registry-tenant:acme --verb get --resource tenants.tenancy.kubectl-tenant.io --resource-name acme
	kubectl create clusterrolebinding alice-reads-acme --clusterrole kubectl-tenant:registry-tenant:acme --user alice`)

// Options are the options of `kubectl tenant init`.
type Options struct {
	genericiooptions.IOStreams
	PrintFlags *genericclioptions.PrintFlags
	Timeout    time.Duration

	flags   *genericclioptions.ConfigFlags
	dryRun  cmdutil.DryRunStrategy
	objects []*unstructured.Unstructured
	client  dynamic.Interface
	printer printers.ResourcePrinter
}

// NewCmdInit makes `kubectl tenant init`.
func NewCmdInit(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, flags: flags, PrintFlags: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:          "init",
		Short:        "Install the tenant registry (CRD and ClusterRoles) into the management cluster",
		Long:         initLong,
		Example:      initExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	o.PrintFlags.AddFlags(cmd)
	cmdutil.AddDryRunFlag(cmd)
	cmd.Flags().DurationVar(&o.Timeout, "timeout", time.Minute, "How long to wait for the Tenant definition to be Established")
	return cmd
}

// Complete reads the dry-run strategy and the embedded objects, and makes
// the client (no call).
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	var err error
	if o.dryRun, err = cmdutil.GetDryRunStrategy(cmd); err != nil {
		return err
	}
	if o.objects, err = clusterregistry.Objects(); err != nil {
		return err
	}
	if o.printer, err = o.PrintFlags.ToPrinter(); err != nil {
		return err
	}
	if o.dryRun == cmdutil.DryRunClient {
		return nil
	}
	cfg, err := o.flags.ToRESTConfig()
	if err != nil {
		return err
	}
	o.client, err = dynamic.NewForConfig(cfg)
	return err
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %s: give a positive duration, such as 1m", o.Timeout)
	}
	return nil
}

// Run installs the objects, or with a client dry run prints them.
func (o *Options) Run(ctx context.Context) error {
	if o.dryRun == cmdutil.DryRunClient {
		for _, obj := range o.objects {
			if err := o.print(obj, "serverside-applied (dry run)"); err != nil {
				return err
			}
		}
		return nil
	}
	results, err := clusterregistry.Install(ctx, o.client, o.objects, o.dryRun == cmdutil.DryRunServer, o.Timeout)
	for _, r := range results {
		action := r.Action
		if o.dryRun == cmdutil.DryRunServer {
			action += " (server dry run)"
		}
		if perr := o.print(r.Object, action); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// print prints obj with -o, or as kubectl apply reports it.
func (o *Options) print(obj *unstructured.Unstructured, action string) error {
	if o.PrintFlags.OutputFormat != nil && *o.PrintFlags.OutputFormat != "" {
		return o.printer.PrintObj(obj, o.Out)
	}
	p := &printers.NamePrinter{Operation: action}
	return p.PrintObj(obj, o.Out)
}
