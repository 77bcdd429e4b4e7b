// Package create is `kubectl tenant create`.
package create

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var createLong = templates.LongDesc(`
	Create a tenant on a cluster you reach through a kubeconfig context: its
	namespaces (default: one named after the tenant), labelled as the
	tenant's, and a ClusterRole that lets the tenant's subjects get their own
	namespaces by name. The tenant is recorded in the registry.

	With --region (and --role-arn, a chain of roles ending in the tenant's)
	the tenant gets an EKS cluster in its own account instead: created, or
	adopted with --adopt, then waited for until ACTIVE; a kubeconfig context
	named after the tenant reaches it with short-lived IAM tokens.

	With --provider capa, Cluster API Provider AWS makes the EKS cluster
	instead: create applies the tenant's Cluster API objects to the
	management cluster (--management-context, default: the cluster
	registry's), an AWSClusterRoleIdentity per --role-arn, each admitting
	only the tenant's namespace there, then waits for CAPA's controller
	and adopts the cluster with a context that takes the same role chain.
	--dry-run=client -o yaml prints those objects, ready for a GitOps
	repository.

	Running it again changes nothing. A namespace that belongs to another
	tenant is an error; one that exists without an owner is adopted only with
	--adopt-namespaces. --dry-run=client prints what would be created;
	--dry-run=server has the API server check it, or for EKS makes only
	EKS's read calls.`)

var createExample = templates.Examples(`
	# A tenant on the cluster behind the kind-dev context
	kubectl tenant create acme --from-context kind-dev

	# With two namespaces, adopting one that already exists
	kubectl tenant create acme --from-context kind-dev --namespace acme --namespace acme-ci --adopt-namespaces

	# An EKS cluster in the tenant's account, through the platform role
	kubectl tenant create acme --region eu-west-1 --role-arn arn:aws:iam::111122223333:role/platform \\
	  --role-arn arn:aws:iam::444455556666:role/kubectl-tenant --external-id acme-x1

	# The same cluster made by Cluster API, from the management cluster; first as YAML for Git
	kubectl tenant create acme --provider capa --region eu-west-1 --role-arn arn:aws:iam::444455556666:role/capa \
	  --external-id acme-x1 --management-context management --dry-run=client -o yaml`)

// Options are the options of `create`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag
	PrintFlags   *genericclioptions.PrintFlags

	Name            string
	FromContext     string
	FromCAPA        string
	Namespaces      []string
	AdoptNamespaces bool
	DryRunStrategy  cmdutil.DryRunStrategy
	Provider        string
	EKS             EKSOptions
	CAPA            CAPAOptions

	cmd      *cobra.Command
	registry tenant.Registry
	existing *tenant.Tenant // the record of a re-run, or nil
	conn     *cluster.Connection
	printer  printers.ResourcePrinter
}

// NewCmdCreate makes `kubectl tenant create`.
func NewCmdCreate(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("").WithDefaultOutput("yaml")}
	cmd := &cobra.Command{
		Use:          "create NAME (--from-context CONTEXT | --region REGION [--role-arn ARN]... [--provider capa]) [--namespace NS]...",
		Short:        "Create a tenant on a cluster, or with its own EKS cluster",
		Long:         createLong,
		Example:      createExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.FromContext, "from-context", "", "The kubeconfig context of the cluster to adopt")
	cmd.Flags().StringVar(&o.FromCAPA, "from-capa", "", "The Cluster (NAMESPACE/NAME) of a CAPA EKS cluster in the management cluster to adopt")
	cmd.Flags().StringArrayVar(&o.Namespaces, "namespace", nil, "A namespace of the tenant (repeatable; default: the tenant's name)")
	cmd.Flags().BoolVar(&o.AdoptNamespaces, "adopt-namespaces", false, "Adopt namespaces that exist and belong to no tenant")
	cmdutil.AddDryRunFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	o.EKS.addFlags(cmd)
	cmd.Flags().StringVar(&o.Provider, "provider", "", "What makes the tenant's EKS cluster: eks (the plugin, through EKS's API; the default with --region) or capa (Cluster API Provider AWS, from objects the plugin applies to a management cluster)")
	o.CAPA.addFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions([]string{ProviderEKS, ProviderCAPA}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("management-context", cmdutil.CompleteContexts(getter))
	_ = cmd.RegisterFlagCompletionFunc("from-context", cmdutil.CompleteContexts(getter))
	_ = cmd.RegisterFlagCompletionFunc("authentication-mode", cobra.FixedCompletions([]string{"API", "API_AND_CONFIG_MAP", "CONFIG_MAP"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("endpoint-access", cobra.FixedCompletions([]string{"public", "private", "public-and-private"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete sets defaults, opens the registry and reads a record of the
// same name, and for --from-context makes the cluster's client.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Name, o.cmd = args[0], cmd
	if len(o.Namespaces) == 0 {
		o.Namespaces = []string{o.Name}
	}
	if o.EKS.Cluster == "" {
		o.EKS.Cluster = o.Name
	}
	var err error
	if o.DryRunStrategy, err = cmdutil.GetDryRunStrategy(cmd); err != nil {
		return err
	}
	if o.printer, err = o.PrintFlags.ToPrinter(); err != nil {
		return err
	}
	if o.registry, err = o.registryPath.Open(); err != nil {
		return err
	}
	if o.FromContext == "" { // --from-context names the tenant's context; --context only a cluster registry's
		if err := o.registryPath.RefuseContext("create reaches the tenant's cluster through --from-context, or makes it on EKS"); err != nil {
			return err
		}
	}
	if o.existing, err = o.registry.Get(cmd.Context(), o.Name); errors.Is(err, tenant.ErrNotFound) {
		o.existing, err = nil, nil
	}
	if err != nil || o.FromContext == "" || o.isEKS() {
		return err // Validate names what is missing or exclusive
	}
	o.conn, err = cluster.Connect(o.getter, o.FromContext)
	return err
}

// Validate checks every input before anything changes; it makes no call.
func (o *Options) Validate() error {
	if o.FromCAPA != "" {
		return o.validateFromCAPA()
	}
	switch o.Provider {
	case ProviderCAPA:
		return o.validateCAPA()
	case "", ProviderEKS:
	default:
		return fmt.Errorf("--provider %q: use eks or capa", o.Provider)
	}
	for _, name := range capaOnly {
		if o.cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s: only with --provider capa or --from-capa", name)
		}
	}
	if o.isEKS() {
		if o.FromContext != "" {
			return errors.New("--from-context and --region/--role-arn are exclusive: adopt a cluster by kubeconfig context, or create one in EKS")
		}
		return o.validateEKS()
	}
	if o.FromContext == "" {
		return errors.New("name the cluster: --from-context CONTEXT for any cluster, or --region REGION [--role-arn ARN] for EKS")
	}
	if e := o.existing; e != nil {
		if e.Spec.Cluster.Context != o.FromContext {
			return fmt.Errorf("tenant %q exists on context %q, not %q", o.Name, e.Spec.Cluster.Context, o.FromContext)
		}
		if !slices.Equal(e.Spec.Namespaces, o.Namespaces) {
			return fmt.Errorf("tenant %q exists with namespaces %v; it cannot be re-created with %v", o.Name, e.Spec.Namespaces, o.Namespaces)
		}
	}
	if errs := tenant.Validate(o.record()); len(errs) > 0 {
		return fmt.Errorf("tenant %q: %w", o.Name, errs.ToAggregate())
	}
	return nil
}

func (o *Options) isEKS() bool {
	return o.EKS.Region != "" || len(o.EKS.RoleARNs) > 0 || o.Provider != ""
}

// record is the tenant as --from-context makes it: the existing record on
// a re-run (which keeps its grants), else a new one.
func (o *Options) record() *tenant.Tenant {
	if o.existing != nil {
		return o.existing
	}
	t := tenant.New(o.Name)
	t.Spec.Namespaces = o.Namespaces
	t.Spec.Cluster.Context = o.FromContext
	return t
}

// Run creates the tenant's objects, then records it.
func (o *Options) Run(ctx context.Context) error {
	switch {
	case o.FromCAPA != "":
		return o.runFromCAPA(ctx)
	case o.Provider == ProviderCAPA:
		return o.runCAPA(ctx)
	}
	if o.isEKS() {
		return o.runEKS(ctx)
	}
	t := o.record()
	t.Spec.Cluster.Server = o.conn.Server
	// The admission grant and apply pass: no other tenant's namespace.
	admission := access.Admission{Client: o.conn.Client, Registry: o.registry, Warn: o.ErrOut}
	if err := admission.Admit(ctx, t, nil); err != nil {
		return err
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		var objects []runtime.Object
		for _, ns := range rbac.Namespaces(t) {
			objects = append(objects, ns)
		}
		objects = append(objects, rbac.NamespaceReader(t), rbac.NamespaceReaderBinding(t))
		for _, obj := range objects {
			if err := o.printer.PrintObj(obj, o.Out); err != nil {
				return err
			}
		}
		return nil
	}
	dryRun := o.DryRunStrategy == cmdutil.DryRunServer
	if err := o.bootstrap(ctx, t, o.conn, dryRun); err != nil {
		return err
	}
	if dryRun {
		return nil
	}
	if err := o.registry.Put(ctx, t); err != nil {
		return fmt.Errorf("recording tenant %q: %w (the cluster objects exist; re-run to record it)", t.Name, err)
	}
	fmt.Fprintf(o.ErrOut, "tenant %q created on context %q (%s), namespaces %v\n", t.Name, o.conn.Context, o.conn.Server, t.Spec.Namespaces)
	return nil
}

// bootstrap makes the tenant's namespaces (labelled as its own; one that
// exists is adopted only with --adopt-namespaces) and the ClusterRole, and
// its binding, that let its subjects get their namespaces, on conn's
// cluster. It reports each object.
func (o *Options) bootstrap(ctx context.Context, t *tenant.Tenant, conn *cluster.Connection, serverDryRun bool) error {
	a := &apply.Applier{Client: conn.Client, DryRun: serverDryRun}
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
	results.Print(o.ErrOut, a)
	return nil
}
