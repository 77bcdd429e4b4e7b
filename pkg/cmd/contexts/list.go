package contexts

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var listLong = templates.LongDesc(`
	List the contexts of the active kubeconfig as kubectl reads it, the
	current one marked, with the tenant and the credential's expiry of
	those kubectl-tenant made.`)

var listExample = templates.Examples(`
	# The contexts of the active kubeconfig, current one marked
	kubectl tenant contexts list

	# Only the names, one a line
	kubectl tenant contexts list -o name`)

// ListOptions are the options of `contexts list`.
type ListOptions struct {
	genericiooptions.IOStreams
	getter     genericclioptions.RESTClientGetter
	PrintFlags *genericclioptions.PrintFlags
	NoHeaders  bool

	paths   []string
	printer printers.ResourcePrinter
}

// NewCmdList makes `kubectl tenant contexts list`.
func NewCmdList(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ListOptions{IOStreams: streams, getter: getter, PrintFlags: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:          "list",
		Aliases:      []string{"ls"},
		Short:        "List the contexts of the active kubeconfig",
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

// Complete finds the kubeconfig files and the printer: a table by
// default, bare names for -o name (as kubectl config get-contexts), else
// kubectl's printer of a kubeconfig holding the contexts.
func (o *ListOptions) Complete(*cobra.Command, []string) error {
	o.paths = cluster.KubeconfigPaths(o.getter)
	switch *o.PrintFlags.OutputFormat {
	case "", "name":
		return nil
	}
	var err error
	o.printer, err = o.PrintFlags.ToPrinter()
	return err
}

// Run prints the contexts.
func (o *ListOptions) Run(ctx context.Context) error {
	set, err := kubeconfig.ReadSet(ctx, o.paths)
	if err != nil {
		return err
	}
	contexts := set.Contexts()
	current := set.CurrentContext()
	switch {
	case *o.PrintFlags.OutputFormat == "name":
		for _, c := range contexts {
			if _, err := fmt.Fprintln(o.Out, c.Name); err != nil {
				return err
			}
		}
		return nil
	case o.printer != nil:
		// A kubeconfig holding only the contexts: a document kubectl and
		// this plugin can read back.
		obj := &clientcmdv1.Config{APIVersion: "v1", Kind: "Config", Contexts: contexts, CurrentContext: current}
		if obj.Contexts == nil {
			obj.Contexts = []clientcmdv1.NamedContext{}
		}
		return o.printer.PrintObj(obj, o.Out)
	}
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		fmt.Fprintln(w, strings.Join(kubeconfig.ContextColumns, "\t"))
	}
	for _, c := range contexts {
		fmt.Fprintln(w, strings.Join(kubeconfig.ContextRow(c, current), "\t"))
	}
	return w.Flush()
}
