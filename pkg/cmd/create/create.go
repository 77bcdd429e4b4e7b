// Package create is `kubectl tenant create`.
package create

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var createLong = templates.LongDesc(`
	Create a tenant on a cluster you reach through a kubeconfig context: its
	namespaces (default: one named after the tenant), labelled as the
	tenant's, and a ClusterRole that lets the tenant's subjects get their own
	namespaces by name. The tenant is recorded in the registry.

	Running it again changes nothing. A namespace that belongs to another
	tenant is an error; one that exists without an owner is adopted only with
	--adopt-namespaces.`)

var createExample = templates.Examples(`
	# A tenant on the cluster behind the kind-dev context
	kubectl tenant create acme --from-context kind-dev

	# With two namespaces, adopting one that already exists
	kubectl tenant create acme --from-context kind-dev --namespace acme --namespace acme-ci --adopt-namespaces`)

// Options are the options of `create`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *string

	Name            string
	FromContext     string
	Namespaces      []string
	AdoptNamespaces bool
	DryRun          string
	EKS             EKSOptions

	registry tenant.Registry
	conn     *cluster.Connection
	tenant   *tenant.Tenant
}

// NewCmdCreate makes `kubectl tenant create`.
func NewCmdCreate(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "create NAME --from-context CONTEXT [--namespace NS]...",
		Short:        "Create a tenant on a cluster",
		Long:         createLong,
		Example:      createExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(cmd.Context()); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.FromContext, "from-context", "", "The kubeconfig context of the cluster to adopt")
	cmd.Flags().StringArrayVar(&o.Namespaces, "namespace", nil, "A namespace of the tenant (repeatable; default: the tenant's name)")
	cmd.Flags().BoolVar(&o.AdoptNamespaces, "adopt-namespaces", false, "Adopt namespaces that exist and belong to no tenant")
	cmd.Flags().StringVar(&o.DryRun, "dry-run", "none", `"client" prints what would be created; "server" also has the API server check it; nothing is changed`)

	e := &o.EKS
	cmd.Flags().StringArrayVar(&e.RoleARNs, "role-arn", nil, "EKS: the tenant's IAM role (repeatable: a chain, each hop assuming the next)")
	cmd.Flags().StringVar(&e.Region, "region", "", "EKS: the AWS region of the cluster")
	cmd.Flags().StringVar(&e.ExternalID, "external-id", "", "EKS: the external ID the tenant role's trust policy requires")
	cmd.Flags().StringVar(&e.SessionName, "session-name", "", "EKS: the role session name (default: derived from your user)")
	cmd.Flags().DurationVar(&e.Duration, "duration", 0, "EKS: the role session duration (15m to 12h)")
	cmd.Flags().StringVar(&e.Profile, "profile", "", "EKS: the AWS profile of the source credentials")
	cmd.Flags().StringVar(&e.Cluster, "cluster", "", "EKS: the cluster's name (default: the tenant's)")
	cmd.Flags().StringVar(&e.KubernetesVersion, "kubernetes-version", "", "EKS: the Kubernetes version (default: EKS's)")
	cmd.Flags().StringSliceVar(&e.SubnetIDs, "subnet-ids", nil, "EKS: subnets (default: the default VPC's, in at least two zones)")
	cmd.Flags().StringSliceVar(&e.SecurityGroupIDs, "security-group-ids", nil, "EKS: security groups")
	cmd.Flags().StringVar(&e.EndpointAccess, "endpoint-access", "public", "EKS: public, private or public-and-private")
	cmd.Flags().StringSliceVar(&e.PublicAccessCIDRs, "public-access-cidrs", nil, "EKS: CIDRs allowed to reach the public endpoint")
	cmd.Flags().StringVar(&e.AuthMode, "authentication-mode", "API_AND_CONFIG_MAP", "EKS: API, API_AND_CONFIG_MAP or CONFIG_MAP")
	cmd.Flags().StringVar(&e.ClusterRoleARN, "cluster-role-arn", "", "EKS: the cluster's IAM role (default: one created with the AWS-managed cluster policy)")
	cmd.Flags().StringToStringVar(&e.Tags, "tags", nil, "EKS: tags k=v,... (the plugin adds created-by and the tenant)")
	cmd.Flags().BoolVar(&e.Wait, "wait", true, "EKS: wait until the cluster is ACTIVE")
	cmd.Flags().DurationVar(&e.Timeout, "timeout", 25*time.Minute, "EKS: how long to wait")
	cmd.Flags().BoolVar(&e.Adopt, "adopt", false, "EKS: adopt the existing cluster of that name")
	return cmd
}

// Complete opens the registry and connects to the cluster.
func (o *Options) Complete(args []string) error {
	o.Name = args[0]
	if len(o.Namespaces) == 0 {
		o.Namespaces = []string{o.Name}
	}
	var err error
	if o.registry, err = tenant.OpenRegistry(*o.registryPath); err != nil {
		return err
	}
	return nil
}

// Validate checks every input before anything changes.
func (o *Options) Validate(ctx context.Context) error {
	if o.EKS.Region != "" || len(o.EKS.RoleARNs) > 0 {
		if o.FromContext != "" {
			return errors.New("--from-context and --region/--role-arn are exclusive: adopt a cluster by kubeconfig context, or create one in EKS")
		}
		if o.DryRun != "none" {
			return errors.New("--dry-run is not supported for EKS clusters yet")
		}
		return o.validateEKS(ctx)
	}
	if o.FromContext == "" {
		return errors.New("name the cluster: --from-context CONTEXT for any cluster, or --region REGION [--role-arn ARN] for EKS")
	}
	switch o.DryRun {
	case "none", "client", "server":
	default:
		return fmt.Errorf(`--dry-run %q: use "none", "client" or "server"`, o.DryRun)
	}
	t := tenant.New(o.Name)
	t.Spec.Namespaces = o.Namespaces
	t.Spec.Cluster.Context = o.FromContext
	if existing, err := o.registry.Get(ctx, o.Name); err == nil {
		if existing.Spec.Cluster.Context != o.FromContext {
			return fmt.Errorf("tenant %q exists on context %q, not %q", o.Name, existing.Spec.Cluster.Context, o.FromContext)
		}
		if !slices.Equal(existing.Spec.Namespaces, o.Namespaces) {
			return fmt.Errorf("tenant %q exists with namespaces %v; it cannot be re-created with %v", o.Name, existing.Spec.Namespaces, o.Namespaces)
		}
		t = existing
	} else if !errors.Is(err, tenant.ErrNotFound) {
		return err
	}
	if errs := tenant.Validate(t); len(errs) > 0 {
		return fmt.Errorf("tenant %q: %w", o.Name, errs.ToAggregate())
	}
	conn, err := cluster.Connect(o.getter, o.FromContext)
	if err != nil {
		return err
	}
	o.conn, o.tenant = conn, t
	o.tenant.Spec.Cluster.Server = conn.Server
	return nil
}

// Run creates the tenant's objects, then records it.
func (o *Options) Run(ctx context.Context) error {
	if o.EKS.Region != "" {
		return o.runEKS(ctx)
	}
	t := o.tenant
	if o.DryRun == "client" {
		p := &printers.YAMLPrinter{}
		for _, ns := range rbac.Namespaces(t) {
			if err := p.PrintObj(ns, o.Out); err != nil {
				return err
			}
		}
		if err := p.PrintObj(rbac.NamespaceReader(t), o.Out); err != nil {
			return err
		}
		return p.PrintObj(rbac.NamespaceReaderBinding(t), o.Out)
	}
	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRun == "server"}
	results := &apply.Results{}
	for _, ns := range rbac.Namespaces(t) {
		if err := a.Namespace(ctx, t.Name, ns, o.AdoptNamespaces, results); err != nil {
			return err
		}
	}
	if err := a.ClusterRole(ctx, rbac.NamespaceReader(t), results); err != nil {
		return err
	}
	if err := a.ClusterRoleBinding(ctx, rbac.NamespaceReaderBinding(t), results); err != nil {
		return err
	}
	results.Print(o.ErrOut, o.DryRun == "server")
	if o.DryRun == "server" {
		return nil
	}
	if err := o.registry.Put(ctx, t); err != nil {
		return fmt.Errorf("recording tenant %q: %w (the cluster objects exist; re-run to record it)", t.Name, err)
	}
	fmt.Fprintf(o.ErrOut, "tenant %q created on context %q (%s), namespaces %v\n", t.Name, o.conn.Context, o.conn.Server, t.Spec.Namespaces)
	return nil
}
