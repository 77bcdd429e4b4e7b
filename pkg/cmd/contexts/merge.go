package contexts

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var mergeLong = templates.LongDesc(`
	Merge the clusters, users and contexts of kubeconfig files into the active
	kubeconfig, or into --into FILE.

	An incoming entry identical to one already there is not added twice. One
	whose name is taken by an entry with different content is a conflict,
	handled by --on-conflict:

	* error (default): name every conflict and change nothing
	* rename: add it as NAME-2 (NAME-3, ...) and rewrite the references to it
	* skip: keep what is there; incoming contexts that refer to a skipped
	  cluster or user are skipped too, so none points at the wrong cluster
	* overwrite: replace the entry, in the file that holds it

	Relative file paths in the incoming files (certificates, keys, token
	files, exec commands) are made absolute, so the merged entries work from
	their new place.`)

var mergeExample = templates.Examples(`
	# Add a colleague's cluster to your kubeconfig
	kubectl tenant contexts merge ./team-b.yaml

	# Merge several files into a new one, renaming clashing names
	kubectl tenant contexts merge a.yaml b.yaml --into all.yaml --on-conflict=rename

	# Prefix every incoming name
	kubectl tenant contexts merge staging.yaml --prefix staging-`)

// MergeOptions are the options of `contexts merge`.
type MergeOptions struct {
	genericiooptions.IOStreams
	getter genericclioptions.RESTClientGetter

	Files          []string
	Into           string
	OnConflict     string
	Prefix         string
	DryRunStrategy cmdutil.DryRunStrategy

	policy  kubeconfig.ConflictPolicy
	targets []string
}

// NewCmdMerge makes `kubectl tenant contexts merge`.
func NewCmdMerge(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &MergeOptions{IOStreams: streams, getter: getter}
	cmd := &cobra.Command{
		Use:          "merge FILE... [--into FILE] [--on-conflict error|rename|skip|overwrite] [--prefix P]",
		Short:        "Merge kubeconfig files into the active kubeconfig or another file",
		Long:         mergeLong,
		Example:      mergeExample,
		Args:         cobra.MinimumNArgs(1),
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.Into, "into", "", "Merge into this file instead of the active kubeconfig")
	cmd.Flags().StringVar(&o.OnConflict, "on-conflict", string(kubeconfig.OnConflictError), "What to do with an incoming entry whose name is taken: error, rename, skip or overwrite")
	cmd.Flags().StringVar(&o.Prefix, "prefix", "", "Put this before every incoming cluster, user and context name")
	cmdutil.AddDryRunFlag(cmd)
	_ = cmd.RegisterFlagCompletionFunc("on-conflict", cobra.FixedCompletions(
		[]string{"error", "rename", "skip", "overwrite"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete records the files and finds the target.
func (o *MergeOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Files = args
	if o.Into != "" {
		o.targets = []string{o.Into}
	} else {
		o.targets = cluster.KubeconfigPaths(o.getter)
	}
	var err error
	o.DryRunStrategy, err = cmdutil.GetDryRunStrategy(cmd)
	return err
}

// Validate checks the policy and the target.
func (o *MergeOptions) Validate() error {
	p, err := kubeconfig.ParseConflictPolicy(o.OnConflict)
	if err != nil {
		return fmt.Errorf("--on-conflict: %w", err)
	}
	o.policy = p
	if len(o.targets) == 0 {
		return errors.New("no kubeconfig to merge into: pass --into FILE or --kubeconfig FILE")
	}
	return nil
}

// Run merges (kubeconfig.MergeFiles). A dry run (client or server: no
// server is involved) writes nothing.
func (o *MergeOptions) Run(ctx context.Context) error {
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	changes, into, files, err := kubeconfig.MergeFiles(ctx, o.targets, o.Files, kubeconfig.MergeOptions{OnConflict: o.policy, Prefix: o.Prefix}, dryRun)
	if err != nil {
		return err
	}
	fmt.Fprint(o.ErrOut, kubeconfig.MergeReport(changes, files, into, dryRun))
	return nil
}
