// Package contexts is `kubectl tenant contexts`: list, merge, extract and
// remove kubeconfig contexts, writing files safely.
package contexts

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

var contextsLong = templates.LongDesc(`
	Work with the contexts of your kubeconfig files, more safely than
	kubectl config.

	The kubeconfig is read as kubectl reads it: --kubeconfig, else every file
	in $KUBECONFIG (the first file that defines a name wins), else
	~/.kube/config. A change is written to the file that holds the entry and
	new entries go to the first file.

	Every write takes kubectl's lock (FILE.lock), goes through a synced
	temporary file renamed into place, leaves the file with mode 0600, and
	keeps the previous content in FILE` + kubeconfig.BackupSuffix + `. Entries a
	command does not mean to change are kept as they were.`)

// NewCmdContexts makes `kubectl tenant contexts` and its subcommands.
func NewCmdContexts(getter genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "contexts",
		Short:   "List, merge, extract and remove kubeconfig contexts safely",
		Long:    contextsLong,
		Example: listExample + "\n\n" + mergeExample,
	}
	cmd.AddCommand(
		NewCmdList(getter, streams),
		NewCmdMerge(getter, streams),
		NewCmdExtract(getter, streams),
		NewCmdRemove(getter, streams),
	)
	return cmd
}
