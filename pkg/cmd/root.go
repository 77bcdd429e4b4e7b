// Package cmd builds the kubectl-tenant command tree.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/contexts"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/version"
)

var rootLong = templates.LongDesc(`
	Manage multi-tenant access to Kubernetes and EKS clusters: tenants, who may
	do what in them, short-lived credentials, and kubeconfig files.

	Every command takes kubectl's connection flags (--kubeconfig, --context,
	-n). Data goes to stdout, messages to stderr.`)

// NewCmdTenant makes the root command. Its kubectl flags are shared by
// every subcommand.
func NewCmdTenant(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	cmd := &cobra.Command{
		Use:   "kubectl-tenant",
		Short: "Manage multi-tenant access to Kubernetes and EKS clusters",
		Long:  rootLong,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl tenant",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	flags.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		contexts.NewCmdContexts(flags, streams),
		version.NewCmdVersion(streams),
	)
	return cmd
}
