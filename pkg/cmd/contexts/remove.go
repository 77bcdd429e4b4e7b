package contexts

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var removeLong = templates.LongDesc(`
	Remove contexts from the kubeconfig files that hold them, with each
	cluster and user that no remaining context uses. If the current context
	is removed, no context is current afterwards.`)

var removeExample = templates.Examples(`
	# Remove a context and whatever only it used
	kubectl tenant contexts remove old-staging`)

// RemoveOptions are the options of `contexts remove`.
type RemoveOptions struct {
	genericiooptions.IOStreams
	getter genericclioptions.RESTClientGetter

	Contexts       []string
	DryRunStrategy cmdutil.DryRunStrategy

	paths []string
}

// NewCmdRemove makes `kubectl tenant contexts remove`.
func NewCmdRemove(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RemoveOptions{IOStreams: streams, getter: getter}
	cmd := &cobra.Command{
		Use:               "remove CONTEXT...",
		Aliases:           []string{"rm"},
		Short:             "Remove contexts, and the clusters and users only they used",
		Long:              removeLong,
		Example:           removeExample,
		Args:              cobra.MinimumNArgs(1),
		SilenceUsage:      true,
		ValidArgsFunction: cmdutil.CompleteContexts(getter),
		RunE:              cmdutil.RunE(o),
	}
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Complete records the contexts and finds the kubeconfig files.
func (o *RemoveOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Contexts = args
	o.paths = cluster.KubeconfigPaths(o.getter)
	var err error
	o.DryRunStrategy, err = cmdutil.GetDryRunStrategy(cmd)
	return err
}

// Run removes the contexts under the lock of every file in the list. A
// dry run (client or server: no server is involved) writes nothing.
func (o *RemoveOptions) Run(ctx context.Context) error {
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	removed, err := kubeconfig.RemoveContexts(ctx, o.paths, o.Contexts, dryRun)
	if err != nil {
		return err
	}
	verb := "removed"
	if dryRun {
		verb = "would remove (dry run)"
	}
	fmt.Fprintf(o.ErrOut, "%s contexts %s", verb, strings.Join(removed.Contexts, ", "))
	if len(removed.Clusters) > 0 {
		fmt.Fprintf(o.ErrOut, "; clusters %s", strings.Join(removed.Clusters, ", "))
	}
	if len(removed.Users) > 0 {
		fmt.Fprintf(o.ErrOut, "; users %s", strings.Join(removed.Users, ", "))
	}
	fmt.Fprintln(o.ErrOut)
	if removed.CurrentUnset {
		fmt.Fprintln(o.ErrOut, "the current context was removed: set another with kubectl config use-context")
	}
	return nil
}
