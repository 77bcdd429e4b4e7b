// Package list is `kubectl tenant list`.
package list

import (
	"context"
	"fmt"
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

var listLong = templates.LongDesc(`
	List the tenants in the registry: a table by default, or the whole
	TenantList in any kubectl output format (-o yaml, json, name,
	jsonpath=..., go-template=...).`)

var listExample = templates.Examples(`
	# Every tenant, one a line
	kubectl tenant list

	# Only the names, as kubectl prints them
	kubectl tenant list -o name`)

// Options are the options of `list`.
type Options struct {
	genericiooptions.IOStreams
	registryPath *string
	PrintFlags   *genericclioptions.PrintFlags
	NoHeaders    bool

	printer printers.ResourcePrinter // nil: the table
}

// NewCmdList makes `kubectl tenant list`.
func NewCmdList(registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:          "list",
		Aliases:      []string{"ls"},
		Short:        "List the tenants in the registry",
		Long:         listLong,
		Example:      listExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	o.PrintFlags.AddFlags(cmd)
	cmdutil.AddNoHeadersFlag(cmd, &o.NoHeaders)
	return cmd
}

// Complete picks the printer.
func (o *Options) Complete(*cobra.Command, []string) error {
	if *o.PrintFlags.OutputFormat == "" {
		return nil
	}
	var err error
	o.printer, err = cmdutil.TenantPrinter(o.PrintFlags)
	return err
}

// Run prints the tenants.
func (o *Options) Run(ctx context.Context) error {
	reg, err := registry.Open(*o.registryPath)
	if err != nil {
		return err
	}
	tenants, err := reg.List(ctx)
	if err != nil {
		return err
	}
	if o.printer != nil {
		list := &tenant.List{Items: tenants}
		list.APIVersion, list.Kind = tenant.APIVersion, tenant.ListKind
		if list.Items == nil {
			list.Items = []tenant.Tenant{}
		}
		return o.printer.PrintObj(list, o.Out)
	}
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		fmt.Fprintln(w, "NAME\tCONTEXT\tSERVER\tNAMESPACES\tGRANTS")
	}
	for _, t := range tenants {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", t.Name, t.Spec.Cluster.Context, t.Spec.Cluster.Server, strings.Join(t.Spec.Namespaces, ","), len(t.Spec.Grants))
	}
	return w.Flush()
}
