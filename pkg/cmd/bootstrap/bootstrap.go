// Package bootstrap is `kubectl tenant bootstrap`.
package bootstrap

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/fieldflag"
)

var iamLong = templates.LongDesc(`
	Print, or with --create make in the account of your current AWS
	credentials, the IAM role a tenant account gives kubectl-tenant: a trust
	policy that lets the management principal assume it (with the external
	ID, when given), and the least permissions the plugin needs there: EKS
	cluster lifecycle and access entries, the cluster roles it creates and
	passes to EKS only (named kubectl-tenant-*), and reading the default
	VPC's subnets. Running it again brings an existing role to these
	documents.

	With --for capa it is the role CAPA's controller assumes instead
	(through the AWSClusterRoleIdentity that create --provider capa makes):
	trusted the same way, by the controller's principal, and with the
	permissions CAPA's clusterawsadm gives its controllers (EKS on), named
	kubectl-tenant-capa unless --role-name says otherwise.`)

var iamExample = templates.Examples(`
	# Show the documents for the platform team's role
	kubectl tenant bootstrap iam --trusted-principal arn:aws:iam::111122223333:role/platform --external-id acme-x1

	# Create the role, run with the tenant account's credentials
	kubectl tenant bootstrap iam --trusted-principal arn:aws:iam::111122223333:role/platform --external-id acme-x1 --create --profile acme-admin

	# The role for CAPA's controller instead, with CAPA's own controller permissions
	kubectl tenant bootstrap iam --for capa --trusted-principal arn:aws:iam::111122223333:role/controllers.cluster-api-provider-aws.sigs.k8s.io \
	  --external-id acme-x1 --create --profile acme-admin`)

var bootstrapLong = templates.LongDesc(`
	Prepare what a tenant needs outside Kubernetes: for now, the IAM role a
	tenant account gives kubectl-tenant (bootstrap iam).`)

// NewCmdBootstrap makes `kubectl tenant bootstrap`.
func NewCmdBootstrap(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "bootstrap", Short: "Prepare what a tenant needs outside Kubernetes", Long: bootstrapLong, Example: iamExample}
	cmd.AddCommand(NewCmdIAM(streams))
	return cmd
}

// IAMOptions are the options of `bootstrap iam`.
type IAMOptions struct {
	genericiooptions.IOStreams
	TrustedPrincipal string
	ExternalID       string
	RoleName         string
	// For is who assumes the role: kubectl-tenant or capa.
	For    string
	Create bool
	// Force takes over a role of that name the plugin did not create.
	Force          bool
	Profile        string
	Region         string
	DryRunStrategy cmdutil.DryRunStrategy

	role *aws.TenantRole
}

// NewCmdIAM makes `kubectl tenant bootstrap iam`.
func NewCmdIAM(streams genericiooptions.IOStreams) *cobra.Command {
	o := &IAMOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:          "iam --trusted-principal ARN [--external-id X] [--create [--role-name NAME]]",
		Short:        "Print or create the IAM role a tenant account gives kubectl-tenant",
		Long:         iamLong,
		Example:      iamExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.TrustedPrincipal, "trusted-principal", "", "The management identity allowed to assume the role (role or user ARN, or account ID)")
	cmd.Flags().StringVar(&o.ExternalID, "external-id", "", "The external ID the management identity must present")
	cmd.Flags().StringVar(&o.RoleName, "role-name", "kubectl-tenant", "The role's name (with --for capa, default kubectl-tenant-capa)")
	cmd.Flags().StringVar(&o.For, "for", "kubectl-tenant", "Who assumes the role: kubectl-tenant, or capa (Cluster API Provider AWS's controller, with CAPA's own controller permissions)")
	_ = cmd.RegisterFlagCompletionFunc("for", cobra.FixedCompletions([]string{"kubectl-tenant", "capa"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVar(&o.RoleName, "role-arn-name", "kubectl-tenant", "The role's name (same as --role-name)")
	cmd.Flags().BoolVar(&o.Create, "create", false, "Create the role in the account of the current credentials")
	cmd.Flags().BoolVar(&o.Force, "force", false, "With --create: take over a role of that name that kubectl-tenant did not create, replacing its trust policy (the old one is printed)")
	cmd.Flags().StringVar(&o.Profile, "profile", "", "The AWS profile of the tenant account's credentials (with --create)")
	cmd.Flags().StringVar(&o.Region, "region", "us-east-1", "The region to reach IAM through (IAM itself is global)")
	_ = cmd.Flags().MarkHidden("role-arn-name")
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Complete reads the dry-run strategy.
func (o *IAMOptions) Complete(cmd *cobra.Command, _ []string) error {
	if o.For == "capa" && !cmd.Flags().Changed("role-name") && !cmd.Flags().Changed("role-arn-name") {
		o.RoleName = "kubectl-tenant-capa" // not the plugin's own role, whose permissions differ
	}
	var err error
	o.DryRunStrategy, err = cmdutil.GetDryRunStrategy(cmd)
	return err
}

// Validate checks the inputs and renders the documents; it makes no call.
func (o *IAMOptions) Validate() error {
	if o.TrustedPrincipal == "" {
		return fmt.Errorf("--trusted-principal is required: the management identity's ARN (see 'aws sts get-caller-identity')")
	}
	if err := iamarn.ValidateTrustedPrincipal(o.TrustedPrincipal); err != nil {
		return fmt.Errorf("--trusted-principal %q: %w", o.TrustedPrincipal, err)
	}
	if _, err := iamarn.ParseRole("arn:aws:iam::000000000000:role/" + o.RoleName); err != nil {
		return fmt.Errorf("--role-name %q: 1 to 64 letters, digits and +=,.@_-", o.RoleName)
	}
	if err := fieldflag.AWSIdentity.Rename((aws.Identity{Region: o.Region}).Validate(), func(string) bool { return true }); err != nil {
		return err
	}
	var err error
	switch o.For {
	case "kubectl-tenant":
		o.role, err = aws.NewTenantRole(o.RoleName, o.TrustedPrincipal, o.ExternalID)
	case "capa":
		o.role, err = aws.NewCAPARole(o.RoleName, o.TrustedPrincipal, o.ExternalID)
	default:
		return fmt.Errorf("--for %q: use kubectl-tenant or capa", o.For)
	}
	return err
}

// Run prints or creates the role. A client dry run prints the documents
// and makes no call; a server dry run reads whether the role exists.
func (o *IAMOptions) Run(ctx context.Context) error {
	if !o.Create || o.DryRunStrategy == cmdutil.DryRunClient {
		if o.Create {
			fmt.Fprintf(o.ErrOut, "would create or update role %s in the account of the current credentials (dry run)\n", o.RoleName)
		}
		data, err := json.MarshalIndent(o.role, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Out, "%s\n", data)
		return err
	}
	cfg, err := aws.Identity{Profile: o.Profile, Region: o.Region}.Config(ctx)
	if err != nil {
		return err
	}
	if o.DryRunStrategy == cmdutil.DryRunServer {
		existing, err := aws.ReadRole(ctx, cfg, o.RoleName)
		switch {
		case err != nil:
			return err
		case existing != nil && !existing.Ours && !o.Force:
			return aws.ForeignRoleError(o.RoleName, existing)
		case existing != nil && !existing.Ours:
			fmt.Fprintf(o.ErrOut, "would take over role %s, replacing its trust policy %s (server dry run: IAM was only read)\n", existing.ARN, existing.TrustPolicy)
		case existing != nil:
			fmt.Fprintf(o.ErrOut, "would update role %s to these documents (server dry run: IAM was only read)\n", existing.ARN)
		default:
			fmt.Fprintf(o.ErrOut, "would create role %s (server dry run: IAM was only read)\n", o.RoleName)
		}
		return nil
	}
	arn, created, replaced, err := aws.CreateTenantRole(ctx, cfg, o.role, o.Force)
	if err != nil {
		return err
	}
	if replaced != "" {
		fmt.Fprintf(o.ErrOut, "took over role %s, which kubectl-tenant did not create (--force); its trust policy was: %s\n", arn, replaced)
	}
	verb := "updated"
	if created {
		verb = "created"
	}
	fmt.Fprintf(o.ErrOut, "%s role %s: %s may assume it%s\n", verb, arn, o.TrustedPrincipal, externalIDSuffix(o.ExternalID))
	_, err = fmt.Fprintln(o.Out, arn)
	return err
}

func externalIDSuffix(id string) string {
	if id == "" {
		return " (no external ID: consider --external-id)"
	}
	return " with external ID " + id
}
