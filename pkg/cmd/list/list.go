// Package list is `kubectl tenant list`.
package list

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Options are the options of `list`.
type Options struct {
	genericiooptions.IOStreams
	registryPath *string
	Output       string
}

// NewCmdList makes `kubectl tenant list`.
func NewCmdList(registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "list",
		Aliases:      []string{"ls"},
		Short:        "List the tenants in the registry",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: yaml, json or name (default: a table)")
	return cmd
}

// Run prints the tenants.
func (o *Options) Run(ctx context.Context) error {
	switch o.Output {
	case "", "yaml", "json", "name":
	default:
		return fmt.Errorf("--output %q is not supported: use yaml, json or name", o.Output)
	}
	reg, err := tenant.OpenRegistry(*o.registryPath)
	if err != nil {
		return err
	}
	tenants, err := reg.List(ctx)
	if err != nil {
		return err
	}
	switch o.Output {
	case "name":
		for _, t := range tenants {
			fmt.Fprintln(o.Out, t.Name)
		}
		return nil
	case "yaml", "json":
		list := &tenant.List{Items: tenants}
		list.APIVersion, list.Kind = tenant.APIVersion, tenant.ListKind
		if list.Items == nil {
			list.Items = []tenant.Tenant{}
		}
		if o.Output == "json" {
			return (&printers.JSONPrinter{}).PrintObj(list, o.Out)
		}
		return (&printers.YAMLPrinter{}).PrintObj(list, o.Out)
	}
	w := printers.GetNewTabWriter(o.Out)
	fmt.Fprintln(w, "NAME\tCONTEXT\tSERVER\tNAMESPACES\tGRANTS")
	for _, t := range tenants {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", t.Name, t.Spec.Cluster.Context, t.Spec.Cluster.Server, strings.Join(t.Spec.Namespaces, ","), len(t.Spec.Grants))
	}
	return w.Flush()
}
