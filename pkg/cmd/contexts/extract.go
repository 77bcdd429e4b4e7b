package contexts

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var extractLong = templates.LongDesc(`
	Write a self-contained kubeconfig holding only the given contexts and the
	clusters and users they use, with certificate and key files inlined: what
	kubectl config view --minify --flatten gives for one context, for several.
	Its current context is the first one named; with no name, the current
	context (or --context) is extracted.

	The result goes to stdout, or to -o FILE, which is written safely (lock,
	atomic rename, mode 0600, the previous content kept in
	FILE` + kubeconfig.BackupSuffix + `).`)

var extractExample = templates.Examples(`
	# Hand one context to a CI job
	kubectl tenant contexts extract prod-admin -o ci-kubeconfig.yaml

	# Two contexts from a long KUBECONFIG list, to stdout
	KUBECONFIG=a.yaml:b.yaml kubectl tenant contexts extract dev staging`)

// ExtractOptions are the options of `contexts extract`.
type ExtractOptions struct {
	genericiooptions.IOStreams
	getter genericclioptions.RESTClientGetter

	Contexts []string
	OutFile  string

	paths []string
}

// NewCmdExtract makes `kubectl tenant contexts extract`.
func NewCmdExtract(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExtractOptions{IOStreams: streams, getter: getter}
	cmd := &cobra.Command{
		Use:               "extract [CONTEXT...] [-o FILE]",
		Short:             "Write a minified, flattened kubeconfig of some contexts",
		Long:              extractLong,
		Example:           extractExample,
		SilenceUsage:      true,
		ValidArgsFunction: completeContextNames(getter),
		RunE: func(cmd *cobra.Command, args []string) error {
			context, _ := cmd.Flags().GetString("context")
			o.Complete(args, context)
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.OutFile, "output", "o", "", "Write to this file instead of stdout")
	return cmd
}

// Complete records the contexts; with none, the --context flag's.
func (o *ExtractOptions) Complete(args []string, contextFlag string) {
	o.Contexts = args
	if len(o.Contexts) == 0 && contextFlag != "" {
		o.Contexts = []string{contextFlag}
	}
	o.paths = cluster.KubeconfigPaths(o.getter)
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
	if o.OutFile == "" {
		data, err := kubeconfig.Encode(out)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(data)
		return err
	}

	path, err := kubeconfig.AbsPath(o.OutFile)
	if err != nil {
		return err
	}
	unlock, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := kubeconfig.ReadFile(path)
	if err != nil {
		return fmt.Errorf("not overwriting %s: %w; choose another file", path, err)
	}
	previous := f.Exists
	f.Config = out
	if err := kubeconfig.Write(f); err != nil {
		return err
	}
	if previous {
		fmt.Fprintf(o.ErrOut, "wrote %d context(s) to %s (its previous content is in %s%s)\n", len(out.Contexts), path, path, kubeconfig.BackupSuffix)
	} else {
		fmt.Fprintf(o.ErrOut, "wrote %d context(s) to %s\n", len(out.Contexts), path)
	}
	return nil
}
