// Package token is `kubectl tenant token`.
package token

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
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
	registryPath *string

	Tenant         string
	ServiceAccount string
	Duration       time.Duration
	Audiences      []string
	Raw            bool

	// The IAM identity of an EKS tenant, given in full by the exec
	// plugin line of a generated kubeconfig so that a warm cache needs no
	// other input.
	Cluster    string
	Region     string
	RoleARNs   []string
	ExternalID string
	Profile    string
	NoCache    bool

	apiVersion string
	tenant     *tenant.Tenant
	subject    tenant.Subject
}

// NewCmdToken makes `kubectl tenant token`.
func NewCmdToken(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "token TENANT [--serviceaccount [NS:]NAME [--duration 1h]]",
		Short:        "Print a short-lived credential for a tenant subject",
		Long:         tokenLong,
		Example:      tokenExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd.Context(), args); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.ServiceAccount, "serviceaccount", "", "The ServiceAccount: NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().DurationVar(&o.Duration, "duration", cluster.DefaultTokenDuration, "How long the token is valid (10m to 12h)")
	cmd.Flags().StringArrayVar(&o.Audiences, "audience", nil, "An audience of the token (repeatable; default: the API server's)")
	cmd.Flags().BoolVar(&o.Raw, "raw", false, "Print only the token")
	cmd.Flags().StringVar(&o.Cluster, "cluster", "", "EKS: the cluster's name (default: the tenant's name)")
	cmd.Flags().StringVar(&o.Region, "region", "", "EKS: the cluster's AWS region")
	cmd.Flags().StringArrayVar(&o.RoleARNs, "role-arn", nil, "EKS: a role to assume (repeatable: each hop assumes the next)")
	cmd.Flags().StringVar(&o.ExternalID, "external-id", "", "EKS: the external ID of the last role")
	cmd.Flags().StringVar(&o.Profile, "profile", "", "EKS: the AWS profile of the source credentials")
	cmd.Flags().BoolVar(&o.NoCache, "no-cache", false, "EKS: sign a new token even if a cached one is valid")
	return cmd
}

// Complete checks the inputs and reads the tenant.
func (o *Options) Complete(ctx context.Context, args []string) error {
	o.Tenant = args[0]
	var err error
	if o.apiVersion, err = token.RequestedAPIVersion(os.Getenv(token.ExecInfoEnv)); err != nil {
		return err
	}
	if o.Region != "" {
		if o.ServiceAccount != "" {
			return fmt.Errorf("--serviceaccount and --region are exclusive: a ServiceAccount token, or an IAM token for an EKS cluster")
		}
		if err := tenant.ValidateName(o.Tenant); err != nil {
			return err
		}
		if o.Cluster == "" {
			o.Cluster = o.Tenant
		}
		return nil // an IAM token: everything needed is in the flags
	}
	if o.ServiceAccount == "" {
		// An EKS tenant's own identity, from the registry: the same request
		// the exec line of its kubeconfig context makes, so they share the
		// cached token.
		_, t, err := tenant.Open(ctx, *o.registryPath, o.Tenant)
		if err != nil {
			return err
		}
		if t.Spec.AWS == nil || t.Spec.Cluster.EKS == nil {
			return fmt.Errorf("tenant %q is not an EKS tenant: name a --serviceaccount", o.Tenant)
		}
		a := t.Spec.AWS
		o.Cluster, o.Region, o.RoleARNs, o.ExternalID, o.Profile = t.Spec.Cluster.EKS.Name, a.Region, a.RoleARNs, a.ExternalID, a.Profile
		return nil
	}
	if err := cluster.ValidateTokenDuration(o.Duration); err != nil {
		return err
	}
	if _, o.tenant, err = tenant.Open(ctx, *o.registryPath, o.Tenant); err != nil {
		return err
	}
	if o.subject, err = o.tenant.ServiceAccountSubject(o.ServiceAccount); err != nil {
		return err
	}
	return nil
}

// Run requests the token and prints it.
func (o *Options) Run(ctx context.Context) error {
	if o.Region != "" {
		return o.runIAM(ctx)
	}
	conn, err := cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	tok, expiry, err := cluster.ServiceAccountToken(ctx, conn.Client, o.subject.Namespace, o.subject.Name, o.Duration, o.Audiences)
	if err != nil {
		return err
	}
	if o.Raw {
		_, err := fmt.Fprintln(o.Out, tok)
		return err
	}
	out, err := token.ExecCredential(o.apiVersion, tok, expiry)
	if err != nil {
		return err
	}
	_, err = o.Out.Write(out)
	return err
}

// runIAM prints an EKS token for the tenant's role, from the cache while
// one is valid for more than a minute, else newly signed and cached.
func (o *Options) runIAM(ctx context.Context) error {
	e, err := aws.IAMToken(ctx, token.IAMRequest{
		Tenant: o.Tenant, Cluster: o.Cluster, Region: o.Region, RoleARNs: o.RoleARNs,
		ExternalID: o.ExternalID, Profile: o.Profile, NoCache: o.NoCache,
	})
	if err != nil {
		return err
	}
	return token.Print(o.Out, o.apiVersion, e, o.Raw)
}
