// Package token is `kubectl tenant token`.
package token

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/fieldflag"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

var tokenLong = templates.LongDesc(`
	Print a short-lived credential for a tenant subject as a
	client.authentication.k8s.io ExecCredential (in the version kubectl asks
	for through KUBERNETES_EXEC_INFO, v1 otherwise), so that it can serve as
	a kubeconfig exec plugin; --raw prints the token alone.

	For an EKS tenant (no --serviceaccount) the token is an STS
	GetCallerIdentity request presigned with the tenant role's credentials,
	as aws-iam-authenticator makes it, valid 14 minutes. It is cached under
	${XDG_CACHE_HOME:-~/.cache}/kubectl-tenant/tokens per cluster, region,
	role chain and profile, and reused until a minute before it expires
	(--no-cache signs anew); a warm cache answers without reading any AWS
	configuration or touching the network.

	With --serviceaccount the token comes from the API server's TokenRequest:
	bound to the ServiceAccount, valid for --duration (default 1h, from 10m
	to 12h), and never stored in the cluster.`)

var tokenExample = templates.Examples(`
	# An ExecCredential for acme's deployer, valid one hour
	kubectl tenant token acme --serviceaccount deployer

	# The bare token, for a CI job, valid 30 minutes
	kubectl tenant token acme --serviceaccount deployer --duration 30m --raw`)

// Options are the options of `token`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Tenant         string
	ServiceAccount string
	Duration       time.Duration
	Audiences      []string
	Raw            bool
	// IAM is the request for an EKS tenant's token, given in full by the
	// exec plugin line of a generated kubeconfig so that a warm cache
	// needs no other input, or read from the tenant's record.
	IAM token.IAMRequest
	// RoleARNs and ExternalIDs are the flags the IAM chain is made of.
	RoleARNs, ExternalIDs []string

	cmd        *cobra.Command
	apiVersion string
	tenant     *tenant.Tenant
	subject    tenant.Subject
	conn       *cluster.Connection
}

// NewCmdToken makes `kubectl tenant token`.
func NewCmdToken(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:               "token TENANT [--serviceaccount [NS:]NAME [--duration 1h]]",
		Short:             "Print a short-lived credential for a tenant subject",
		Long:              tokenLong,
		Example:           tokenExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.ServiceAccount, "serviceaccount", "", "The ServiceAccount: NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().DurationVar(&o.Duration, "duration", cluster.DefaultTokenDuration, "How long the token is valid (10m to 12h)")
	cmd.Flags().StringArrayVar(&o.Audiences, "audience", nil, "An audience of the token (repeatable; default: the API server's)")
	cmd.Flags().BoolVar(&o.Raw, "raw", false, "Print only the token")
	cmd.Flags().StringVar(&o.IAM.Cluster, "cluster", "", "EKS: the cluster's name (default: the tenant's name)")
	cmd.Flags().StringVar(&o.IAM.Region, "region", "", "EKS: the cluster's AWS region")
	cmd.Flags().StringArrayVar(&o.RoleARNs, "role-arn", nil, "EKS: a role to assume (repeatable: each hop assumes the next)")
	cmd.Flags().StringArrayVar(&o.ExternalIDs, "external-id", nil, "EKS: the external ID of the --role-arn before it (of the last role, when only one is given)")
	cmd.Flags().StringVar(&o.IAM.Profile, "profile", "", "EKS: the AWS profile of the source credentials")
	cmd.Flags().BoolVar(&o.IAM.NoCache, "no-cache", false, "EKS: sign a new token even if a cached one is valid")
	cmdutil.CompleteGrantedSubjectFlags(cmd, registryPath)
	return cmd
}

// Complete reads what kubectl asks for, and the tenant's record unless
// the flags name the whole IAM identity.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant, o.cmd = args[0], cmd
	o.IAM.Tenant, o.IAM.Raw = o.Tenant, o.Raw
	var err error
	if o.apiVersion, err = token.RequestedAPIVersion(os.Getenv(token.ExecInfoEnv)); err != nil {
		return err
	}
	if o.IAM.Region != "" {
		if o.IAM.Cluster == "" {
			o.IAM.Cluster = o.Tenant
		}
		// The front reads each --external-id after its --role-arn and
		// signs through the signer; flags parsed here have no order.
		if len(o.ExternalIDs) > 0 && len(o.RoleARNs) == 0 {
			return fmt.Errorf("--external-id: an external ID needs the --role-arn it belongs to")
		}
		if len(o.ExternalIDs) > 1 {
			return fmt.Errorf("--external-id given %d times: run it as 'kubectl tenant token', which gives each to the --role-arn before it", len(o.ExternalIDs))
		}
		o.IAM.Chain = token.Chain(o.RoleARNs, strings.Join(o.ExternalIDs, ""))
		return nil // an IAM token: everything needed is in the flags
	}
	if _, o.tenant, err = o.registryPath.OpenTenant(cmd.Context(), o.Tenant); err != nil {
		return err
	}
	if o.ServiceAccount == "" {
		// An EKS tenant's own identity, from the registry: the same request
		// the exec line of its kubeconfig context makes, so they share the
		// cached token.
		if o.tenant.Spec.AWS == nil || o.tenant.Spec.Cluster.EKS == nil {
			return fmt.Errorf("tenant %q is not an EKS tenant: name a --serviceaccount", o.Tenant)
		}
		a := o.tenant.Spec.AWS
		o.IAM.Cluster, o.IAM.Region, o.IAM.Chain, o.IAM.Profile = o.tenant.Spec.Cluster.EKS.Name, a.Region, token.Chain(a.RoleARNs, a.ExternalID), a.Profile
		return nil
	}
	if o.subject, err = o.tenant.ServiceAccountSubject(o.ServiceAccount); err != nil {
		return err
	}
	o.conn, err = cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	return err
}

// Validate checks the inputs; it makes no call.
func (o *Options) Validate() error {
	if err := tenant.ValidateName(o.Tenant); err != nil {
		return err
	}
	if o.ServiceAccount != "" && o.IAM.Region != "" {
		return fmt.Errorf("--serviceaccount and --region are exclusive: a ServiceAccount token, or an IAM token for an EKS cluster")
	}
	if o.ServiceAccount != "" {
		if err := cluster.ValidateTokenDuration(o.Duration); err != nil {
			return fmt.Errorf("--duration %w", err)
		}
		return nil
	}
	if err := aws.ValidateIAMRequest(o.IAM); err != nil {
		return fieldflag.AWSIdentity.Rename(err, o.cmd.Flags().Changed)
	}
	return nil
}

// Run requests the token and prints it.
func (o *Options) Run(ctx context.Context) error {
	if o.ServiceAccount == "" {
		// An EKS token for the tenant's role, from the cache while one is
		// valid for more than a minute, else newly signed and cached.
		e, err := aws.IAMToken(ctx, o.IAM)
		if err != nil {
			return fieldflag.AWSIdentity.Rename(err, o.cmd.Flags().Changed)
		}
		return token.Print(o.Out, o.apiVersion, e, o.Raw)
	}
	tok, expiry, err := cluster.ServiceAccountToken(ctx, o.conn.Client, o.subject.Namespace, o.subject.Name, o.Duration, o.Audiences)
	if err != nil {
		return err
	}
	return token.Print(o.Out, o.apiVersion, token.Entry{Token: tok, Expires: expiry}, o.Raw)
}
