// Package cmd builds the kubectl-tenant command tree.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/addon"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/applycmd"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/bootstrap"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/contexts"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/create"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/delete"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/describe"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/get"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/grant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/initcmd"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/list"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/registrycmd"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/revoke"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/role"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/token"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/version"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/workloadrole"
	reg "github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
)

var rootLong = templates.LongDesc(`
	Manage multi-tenant access to Kubernetes and EKS clusters: tenants, who may
	do what in them, short-lived credentials, and kubeconfig files.

	Every command takes kubectl's connection flags (--kubeconfig, --context,
	-n). Data goes to stdout, messages to stderr.`)

var rootExample = templates.Examples(`
	# A tenant on a cluster you reach, and a role for a ServiceAccount in it
	kubectl tenant create acme --from-context kind-dev
	kubectl tenant grant acme --serviceaccount deployer --role edit

	# Who can do what there, checked against the API server
	kubectl tenant access acme --verify`)

// NewCmdTenant makes the root command. Its kubectl flags are shared by
// every subcommand.
func NewCmdTenant(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	cmd := &cobra.Command{
		Use:     "kubectl-tenant",
		Short:   "Manage multi-tenant access to Kubernetes and EKS clusters",
		Long:    rootLong,
		Example: rootExample,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl tenant",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	flags.AddFlags(cmd.PersistentFlags())
	registry := &reg.Flag{Flags: flags} // a cluster registry is reached with kubectl's flags too
	cmd.PersistentFlags().StringVar(&registry.Spec, "registry", "",
		"Where tenant records are kept: "+reg.Usage+" (default $"+reg.Env+", else the config file's registry, else the file ${XDG_CONFIG_HOME:-~/.config}/kubectl-tenant/tenants.yaml)")
	cmd.AddCommand(
		create.NewCmdCreate(flags, registry, streams),
		applycmd.NewCmdApply(flags, registry, streams),
		list.NewCmdList(flags, registry, streams),
		get.NewCmdGet(registry, streams),
		describe.NewCmdDescribe(flags, registry, streams),
		delete.NewCmdDelete(flags, registry, streams),
		grant.NewCmdGrant(flags, registry, streams),
		revoke.NewCmdRevoke(flags, registry, streams),
		workloadrole.NewCmdWorkloadRole(flags, registry, streams),
		addon.NewCmdAddon(flags, registry, streams),
		role.NewCmdRole(flags, registry, streams),
		awsauth.NewCmdAWSAuth(flags, registry, streams),
		access.NewCmdAccess(flags, registry, streams),
		token.NewCmdToken(flags, registry, streams),
		kubeconfig.NewCmdKubeconfig(flags, registry, streams),
		contexts.NewCmdContexts(flags, streams),
		bootstrap.NewCmdBootstrap(streams),
		initcmd.NewCmdInit(flags, streams),
		registrycmd.NewCmdRegistry(registry, streams),
		version.NewCmdVersion(streams),
	)
	_ = cmd.RegisterFlagCompletionFunc("context", cmdutil.CompleteContexts(flags))
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	addHelpAndCompletion(cmd)
	return cmd
}

// completionExamples are the examples of cobra's completion commands, by
// shell. kubectl itself completes `kubectl tenant ...` through
// kubectl_complete-tenant; these scripts complete the binary run alone.
var completionExamples = map[string]string{
	"completion": `  # kubectl (1.26+) completes kubectl tenant through this link, beside the plugin
  ln -s kubectl-tenant "$(dirname "$(command -v kubectl-tenant)")/kubectl_complete-tenant"

  # The binary's own script, in this shell
  source <(kubectl-tenant completion bash)`,
	"bash":       `  source <(kubectl-tenant completion bash)`,
	"zsh":        `  kubectl-tenant completion zsh > "${fpath[1]}/_kubectl-tenant"`,
	"fish":       `  kubectl-tenant completion fish > ~/.config/fish/completions/kubectl-tenant.fish`,
	"powershell": `  kubectl-tenant completion powershell | Out-String | Invoke-Expression`,
}

// addHelpAndCompletion adds cobra's help and completion commands now,
// rather than when the command runs, so that they carry examples like
// every other command.
func addHelpAndCompletion(cmd *cobra.Command) {
	cmd.InitDefaultHelpCmd()
	cmd.InitDefaultCompletionCmd()
	for _, c := range cmd.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  kubectl tenant help grant"
		case "completion":
			c.Example = completionExamples["completion"]
			for _, shell := range c.Commands() {
				shell.Example = completionExamples[shell.Name()]
			}
		}
	}
}
