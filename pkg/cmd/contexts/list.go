package contexts

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var listExample = templates.Examples(`
	# The contexts of the active kubeconfig, current one marked
	kubectl tenant contexts list

	# Only the names, one a line
	kubectl tenant contexts list -o name`)

// ListOptions are the options of `contexts list`.
type ListOptions struct {
	genericiooptions.IOStreams
	getter genericclioptions.RESTClientGetter
	Output string

	paths []string
}

// NewCmdList makes `kubectl tenant contexts list`.
func NewCmdList(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ListOptions{IOStreams: streams, getter: getter}
	cmd := &cobra.Command{
		Use:          "list",
		Aliases:      []string{"ls"},
		Short:        "List the contexts of the active kubeconfig",
		Example:      listExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete()
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: yaml, json or name (default: a table)")
	return cmd
}

// Complete finds the kubeconfig files.
func (o *ListOptions) Complete() {
	o.paths = cluster.KubeconfigPaths(o.getter)
}

// Validate checks the output format.
func (o *ListOptions) Validate() error {
	switch o.Output {
	case "", "yaml", "json", "name":
		return nil
	}
	return fmt.Errorf("--output %q is not supported: use yaml, json or name", o.Output)
}

// Run prints the contexts.
func (o *ListOptions) Run(ctx context.Context) error {
	set, err := kubeconfig.ReadSet(ctx, o.paths)
	if err != nil {
		return err
	}
	contexts := set.Contexts()
	current := set.CurrentContext()
	switch o.Output {
	case "name":
		for _, c := range contexts {
			if _, err := fmt.Fprintln(o.Out, c.Name); err != nil {
				return err
			}
		}
		return nil
	case "yaml", "json":
		// A kubeconfig holding only the contexts: a document kubectl and
		// this plugin can read back.
		obj := &clientcmdv1.Config{APIVersion: "v1", Kind: "Config", Contexts: contexts, CurrentContext: current}
		if obj.Contexts == nil {
			obj.Contexts = []clientcmdv1.NamedContext{}
		}
		if o.Output == "json" {
			return (&printers.JSONPrinter{}).PrintObj(obj, o.Out)
		}
		return (&printers.YAMLPrinter{}).PrintObj(obj, o.Out)
	}
	w := printers.GetNewTabWriter(o.Out)
	fmt.Fprintln(w, "NAME\tCLUSTER\tUSER\tNAMESPACE\tCURRENT\tTENANT\tEXPIRES")
	for _, c := range contexts {
		mark := ""
		if c.Name == current {
			mark = "*"
		}
		tenant, expires := "", ""
		if ext, ok := kubeconfig.TenantExtensionOf(c.Context); ok {
			tenant = ext.Tenant
			if !ext.Expires.IsZero() {
				expires = ext.Expires.UTC().Format(time.RFC3339)
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Context.Cluster, c.Context.AuthInfo, c.Context.Namespace, mark, tenant, expires)
	}
	return w.Flush()
}
