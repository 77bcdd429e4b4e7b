package contexts

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var extractLong = templates.LongDesc(`
	Write a self-contained kubeconfig holding only the given contexts and the
	clusters and users they use, with certificate and key files inlined: what
	kubectl config view --minify --flatten gives for one context, for several.
	Its current context is the first one named; with no name, the current
	context (or --context) is extracted.

	The result goes to stdout (-o yaml, the default, or json), or to
	--output-file FILE, which is written safely (lock, atomic rename, mode
	0600, the previous content kept in FILE` + kubeconfig.BackupSuffix + `).`)

var extractExample = templates.Examples(`
	# Hand one context to a CI job
	kubectl tenant contexts extract prod-admin --output-file ci-kubeconfig.yaml

	# Two contexts from a long KUBECONFIG list, to stdout
	KUBECONFIG=a.yaml:b.yaml kubectl tenant contexts extract dev staging`)

// ExtractOptions are the options of `contexts extract`.
type ExtractOptions struct {
	genericiooptions.IOStreams
	getter     genericclioptions.RESTClientGetter
	PrintFlags *genericclioptions.PrintFlags
	OutputFile cmdutil.OutputFile

	Contexts []string

	paths  []string
	format string
}

// NewCmdExtract makes `kubectl tenant contexts extract`.
func NewCmdExtract(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExtractOptions{IOStreams: streams, getter: getter, PrintFlags: cmdutil.NewKubeconfigPrintFlags()}
	cmd := &cobra.Command{
		Use:               "extract [CONTEXT...] [--output-file FILE]",
		Short:             "Write a minified, flattened kubeconfig of some contexts",
		Long:              extractLong,
		Example:           extractExample,
		SilenceUsage:      true,
		ValidArgsFunction: cmdutil.CompleteContexts(getter),
		RunE:              cmdutil.RunE(o),
	}
	o.OutputFile.AddFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Complete records the contexts (with none, the --context flag's) and
// where the result goes.
func (o *ExtractOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Contexts = args
	if contextFlag, _ := cmd.Flags().GetString("context"); len(o.Contexts) == 0 && contextFlag != "" {
		o.Contexts = []string{contextFlag}
	}
	o.paths = cluster.KubeconfigPaths(o.getter)
	var err error
	o.format, err = o.OutputFile.Resolve(*o.PrintFlags.OutputFormat, o.PrintFlags.AllowedFormats(), o.ErrOut)
	return err
}

// Run extracts.
func (o *ExtractOptions) Run(ctx context.Context) error {
	set, err := kubeconfig.ReadSetToExtract(ctx, o.paths)
	if err != nil {
		return err
	}
	names := o.Contexts
	if len(names) == 0 {
		cur := set.CurrentContext()
		if cur == "" {
			return fmt.Errorf("no context named and no current context: name the contexts to extract")
		}
		names = []string{cur}
	}
	out, err := set.Extract(names)
	if err != nil {
		return err
	}
	if o.OutputFile.Path == "" {
		return cmdutil.PrintKubeconfig(o.Out, o.PrintFlags, o.format, out)
	}
	replaced, err := kubeconfig.WriteFile(ctx, o.OutputFile.Path, out)
	if err != nil {
		return err
	}
	kept := ""
	if replaced {
		kept = fmt.Sprintf(" (its previous content is in %s%s)", o.OutputFile.Path, kubeconfig.BackupSuffix)
	}
	fmt.Fprintf(o.ErrOut, "wrote %d context(s) to %s%s\n", len(out.Contexts), o.OutputFile.Path, kept)
	return nil
}
