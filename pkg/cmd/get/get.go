// Package get is `kubectl tenant get`.
package get

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Options are the options of `get`.
type Options struct {
	genericiooptions.IOStreams
	registryPath *string
	Output       string
}

// NewCmdGet makes `kubectl tenant get`.
func NewCmdGet(registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "get NAME",
		Short:        "Print a tenant's record",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run(cmd.Context(), args[0])
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "yaml", "Output format: yaml, json or name")
	return cmd
}

// Run prints the record.
func (o *Options) Run(ctx context.Context, name string) error {
	var p printers.ResourcePrinter
	switch o.Output {
	case "yaml":
		p = &printers.YAMLPrinter{}
	case "json":
		p = &printers.JSONPrinter{}
	case "name":
	default:
		return fmt.Errorf("--output %q is not supported: use yaml, json or name", o.Output)
	}
	_, t, err := tenant.Open(ctx, *o.registryPath, name)
	if err != nil {
		return err
	}
	if p == nil {
		_, err := fmt.Fprintln(o.Out, "tenant/"+t.Name)
		return err
	}
	return p.PrintObj(t, o.Out)
}
