// Package get is `kubectl tenant get`.
package get

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var getLong = templates.LongDesc(`
	Print a tenant's record as the registry keeps it (YAML by default), in
	a form 'kubectl tenant apply -f' takes back. Every kubectl output
	format works: -o json, -o name, -o jsonpath=..., -o go-template=....`)

var getExample = templates.Examples(`
	# The record of tenant acme
	kubectl tenant get acme

	# The names of its namespaces
	kubectl tenant get acme -o jsonpath='{.spec.namespaces[*]}'`)

// Options are the options of `get`.
type Options struct {
	genericiooptions.IOStreams
	registryPath *registry.Flag
	PrintFlags   *genericclioptions.PrintFlags

	Name    string
	printer printers.ResourcePrinter
}

// NewCmdGet makes `kubectl tenant get`.
func NewCmdGet(registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("").WithDefaultOutput("yaml")}
	cmd := &cobra.Command{
		Use:               "get NAME",
		Short:             "Print a tenant's record",
		Long:              getLong,
		Example:           getExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Complete takes the name (tenant/NAME as -o name prints it, too) and
// the printer.
func (o *Options) Complete(_ *cobra.Command, args []string) error {
	o.Name = strings.TrimPrefix(strings.TrimPrefix(args[0], "tenant/"), tenant.ObjectName(""))
	var err error
	o.printer, err = cmdutil.TenantPrinter(o.PrintFlags)
	return err
}

// Run prints the record.
func (o *Options) Run(ctx context.Context) error {
	_, t, err := o.registryPath.OpenTenant(ctx, o.Name)
	if err != nil {
		return err
	}
	return o.printer.PrintObj(t, o.Out)
}
