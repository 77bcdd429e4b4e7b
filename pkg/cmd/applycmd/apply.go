// Package applycmd is `kubectl tenant apply`.
package applycmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/reconcile"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var applyLong = templates.LongDesc(`
	Make tenants what Tenant documents say (tenancy.kubectl-tenant.io/v1alpha1,
	the form 'kubectl tenant get NAME -o yaml' prints): record each in the
	registry, and put its namespaces, bindings and IAM mappings in its
	cluster, reached through spec.cluster.context. A new tenant with
	spec.cluster.eks gets its EKS cluster made in its account (through
	spec.aws, as create --region does, waiting until it is ACTIVE) and a
	context named after it; a cluster that exists and was not made for it
	is adopted only with --adopt-clusters. A new tenant with
	spec.cluster.capa gets its Cluster API objects applied to the
	management cluster (as create --provider capa does, waiting for CAPA
	to make the cluster); for a recorded one, apply writes the objects
	that differ from what its document declares.

	Like kubectl apply, it merges: what a document no longer lists, and this
	field manager's last apply did, is removed from the record; what others
	added (with grant, or under another --field-manager) is kept. Objects in
	the cluster that the record no longer asks for stay until --prune;
	namespaces are deleted only with --prune-namespaces. Applying what is in
	place writes nothing.

	Tenants are reconciled concurrently (--concurrency), each within
	--cluster-timeout; one tenant's failure does not stop the others, and
	the command fails naming each. Status conditions ClusterReady,
	NamespacesReady, AccessReady and Ready say what was found, for the
	generation they name. --dry-run=client|server prints a kubectl diff of
	the record and of every object, the aws-auth diff and the EKS calls.`)

var applyExample = templates.Examples(`
	# Apply every tenant in a directory tree
	kubectl tenant apply -f tenants/ -R

	# See what would change first
	kubectl tenant apply -f tenants/ -R --dry-run=server

	# Tenants with their own EKS clusters: made when missing, else adopted
	kubectl tenant apply -f eks-tenants/ --adopt-clusters

	# Remove the bindings of grants no longer in the documents
	kubectl tenant apply -f acme.yaml --prune

	# Round trip
	kubectl tenant get acme -o yaml | kubectl tenant apply -f -`)

// Options are the options of `apply`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Filenames       resource.FilenameOptions
	Prune           bool
	PruneNamespaces bool
	AdoptNamespaces bool
	AdoptClusters   bool
	// AllowCrossTenant lets a document grant a subject of another tenant.
	AllowCrossTenant bool
	// Force lets --prune remove an aws-auth mapping that maps nodes, is
	// the last system:masters mapping or is the caller's own access.
	Force          bool
	CreateTimeout  time.Duration
	FieldManager   string
	Concurrency    int
	ClusterTimeout time.Duration
	DryRunStrategy cmdutil.DryRunStrategy
	// AWSOptions apply to the AWS clients of access entries (tests stub
	// EKS with them).
	AWSOptions []aws.ConfigOption

	docs     []*tenant.Tenant
	sources  []string
	registry tenant.Registry
}

// NewCmdApply makes `kubectl tenant apply`.
func NewCmdApply(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "apply -f FILENAME [-R]",
		Short:        "Make tenants what Tenant documents say",
		Long:         applyLong,
		Example:      applyExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	cmdutil.AddFilenameFlag(cmd.Flags(), &o.Filenames.Filenames, "Files, directories or URLs of Tenant documents; - reads stdin")
	cmd.Flags().BoolVarP(&o.Filenames.Recursive, "recursive", "R", false, "Read the directories given with -f recursively")
	cmd.Flags().BoolVar(&o.Prune, "prune", false, "Remove the tenant's bindings, ServiceAccounts and IAM mappings its record no longer asks for")
	cmd.Flags().BoolVar(&o.PruneNamespaces, "prune-namespaces", false, "With --prune, also delete namespaces labelled for the tenant that its spec no longer lists, with everything in them")
	cmd.Flags().BoolVar(&o.AdoptNamespaces, "adopt-namespaces", false, "Adopt namespaces that exist and belong to no tenant")
	cmd.Flags().BoolVar(&o.AdoptClusters, "adopt-clusters", false, "Let a new EKS tenant adopt an EKS cluster that exists and that the plugin did not create for it")
	cmd.Flags().BoolVar(&o.AllowCrossTenant, "allow-cross-tenant", false, "Grant subjects that belong to another tenant (a ServiceAccount in its namespace, a user or group it grants)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "With --prune, remove an aws-auth mapping even when it maps nodes, is the last system:masters mapping or gives you your own access")
	cmd.Flags().DurationVar(&o.CreateTimeout, "create-timeout", 25*time.Minute, "How long to wait for a new EKS cluster, and a node group, to become ACTIVE")
	cmd.Flags().StringVar(&o.FieldManager, "field-manager", tenant.FieldManager, "Who applies: each manager's last applied spec is kept apart, so one does not remove what another applied")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", 8, "How many tenants to reconcile at once")
	cmd.Flags().DurationVar(&o.ClusterTimeout, "cluster-timeout", 30*time.Second, "How long the calls to one tenant's cluster may take; an unanswering cluster is reported (ClusterReady False), not waited for")
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Complete reads the documents and opens the registry.
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	var err error
	if o.DryRunStrategy, err = cmdutil.GetDryRunStrategy(cmd); err != nil {
		return err
	}
	if len(o.Filenames.Filenames) == 0 {
		return errors.New("-f: name the Tenant documents (a file, a directory with -R, or - for stdin)")
	}
	if err := o.read(); err != nil {
		return err
	}
	o.registry, err = o.registryPath.Open()
	return err
}

// read decodes every document, naming the source of each bad one.
func (o *Options) read() error {
	infos, err := resource.NewLocalBuilder().Unstructured().
		FilenameParam(false, &o.Filenames).Flatten().Do().Infos()
	if err != nil {
		return err
	}
	for _, info := range infos {
		data, err := info.Object.(interface{ MarshalJSON() ([]byte, error) }).MarshalJSON()
		if err != nil {
			return err
		}
		t, err := tenant.Decode(data)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", info.Source, describe(info), err)
		}
		o.docs = append(o.docs, t)
		o.sources = append(o.sources, info.Source)
	}
	if len(o.docs) == 0 {
		return fmt.Errorf("-f %s: no Tenant documents found", strings.Join(o.Filenames.Filenames, ","))
	}
	return nil
}

func describe(info *resource.Info) string {
	kind := info.Object.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = "document"
	}
	return kind + " " + info.Name
}

// Validate checks every document before anything changes.
func (o *Options) Validate() error {
	if o.PruneNamespaces && !o.Prune {
		return errors.New("--prune-namespaces: add --prune (it prunes namespaces as well as bindings)")
	}
	if err := cluster.RefuseOneClusterFlags(o.getter, "apply reaches each document's tenant through its own context"); err != nil {
		return err
	}
	if err := o.registryPath.RefuseContext("apply reaches each document's tenant through the context its document names"); err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency %d: reconcile at least one tenant at a time", o.Concurrency)
	}
	if o.CreateTimeout <= 0 {
		return fmt.Errorf("--create-timeout %s: give a positive duration, such as 25m", o.CreateTimeout)
	}
	if o.ClusterTimeout <= 0 {
		return fmt.Errorf("--cluster-timeout %s: give a positive duration, such as 30s", o.ClusterTimeout)
	}
	if errs := validation.IsQualifiedName(tenant.LastAppliedKey(o.FieldManager)); len(errs) > 0 {
		return fmt.Errorf("--field-manager %q: %s", o.FieldManager, strings.Join(errs, "; "))
	}
	seen := map[string]string{}
	var errs []error
	for i, t := range o.docs {
		if first, dup := seen[t.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: tenant %q is also in %s; give each tenant once", o.sources[i], t.Name, first))
		}
		seen[t.Name] = o.sources[i]
		if verr := tenant.Validate(t); len(verr) > 0 {
			errs = append(errs, fmt.Errorf("%s: tenant %q: %w", o.sources[i], t.Name, verr.ToAggregate()))
		}
		if t.Spec.Cluster.Context == "" && t.Spec.Cluster.EKS == nil {
			errs = append(errs, fmt.Errorf("%s: tenant %q: spec.cluster.context: name the kubeconfig context of the tenant's cluster (or spec.cluster.eks for an EKS tenant)", o.sources[i], t.Name))
		}
	}
	return errors.Join(errs...)
}

// connect reaches a tenant's cluster through its context. An EKS tenant
// recorded elsewhere (a registry shared in a management cluster) may have
// no context here yet: its own context is made from the record first, as
// 'kubectl tenant kubeconfig TENANT --merge' makes it (no dry run writes
// it).
func (o *Options) connect(ctx context.Context, t *tenant.Tenant) (*cluster.Connection, error) {
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if !errors.Is(err, cluster.ErrNoContext) || t.Spec.Cluster.EKS == nil || t.Status.Server == "" {
		return conn, err
	}
	if o.DryRunStrategy != cmdutil.DryRunNone {
		return nil, fmt.Errorf("%w; apply without --dry-run adds EKS tenant %q's own context, or run 'kubectl tenant kubeconfig %s --merge'", err, t.Name, t.Name)
	}
	kc, err := kcfg.EKSContext(t)
	if err != nil {
		return nil, err
	}
	path, err := kcfg.AddOwnedContexts(ctx, cluster.KubeconfigPaths(o.getter), kc, false)
	if err != nil {
		return nil, fmt.Errorf("adding EKS tenant %q's context: %w", t.Name, err)
	}
	fmt.Fprintf(o.ErrOut, "context %q added to %s\n", t.Spec.Cluster.Context, path)
	return cluster.Connect(o.getter, t.Spec.Cluster.Context)
}

// Run applies the documents concurrently and prints, in their order,
// what happened to each.
func (o *Options) Run(ctx context.Context) error {
	opts := reconcile.Options{
		Prune: o.Prune, PruneNamespaces: o.PruneNamespaces, AdoptNamespaces: o.AdoptNamespaces,
		FieldManager: o.FieldManager, AWSOptions: o.AWSOptions, ClusterTimeout: o.ClusterTimeout,
		AdoptClusters: o.AdoptClusters, CreateTimeout: o.CreateTimeout,
		AllowCrossTenant: o.AllowCrossTenant, Force: o.Force,
		Kubeconfig: cluster.KubeconfigPaths(o.getter), Batch: o.docs,
		Management: func(t *tenant.Tenant) (*cluster.Connection, error) {
			return cmdutil.ManagementCluster(o.getter, o.registryPath, t.Spec.Cluster.CAPA.ManagementContext, "spec.cluster.capa.managementContext")
		},
	}
	var progressMu sync.Mutex // tenants making clusters report as they go, a line at a time
	suffix := ""
	switch o.DryRunStrategy {
	case cmdutil.DryRunClient:
		opts.Mode, suffix = reconcile.ClientDryRun, " (dry run)"
	case cmdutil.DryRunServer:
		opts.Mode, suffix = reconcile.ServerDryRun, " (server dry run)"
	}
	connect := func(t *tenant.Tenant) (*cluster.Connection, error) { return o.connect(ctx, t) }

	type result struct {
		applied *reconcile.Applied
		warn    strings.Builder
		err     error
	}
	results := make([]result, len(o.docs))
	var g errgroup.Group // each tenant's error is its own: none stops the others
	g.SetLimit(o.Concurrency)
	for i, doc := range o.docs {
		g.Go(func() error {
			r := &results[i]
			tOpts := opts
			tOpts.Warn = &r.warn
			tOpts.Progress = func(msg string) {
				progressMu.Lock()
				defer progressMu.Unlock()
				fmt.Fprintf(o.ErrOut, "%s tenant %q: %s\n", time.Now().Format(time.RFC3339), doc.Name, msg)
			}
			r.applied, r.err = reconcile.Document(ctx, o.registry, connect, doc, tOpts)
			return nil
		})
	}
	_ = g.Wait()

	var failed []string
	for i := range results {
		r := &results[i]
		a := r.applied
		io.Copy(o.Out, &a.Diff)
		io.Copy(o.ErrOut, &a.Log)
		io.WriteString(o.ErrOut, r.warn.String())
		if r.err != nil {
			fmt.Fprintf(o.ErrOut, "error: tenant %q (%s): %v\n", a.Name, o.sources[i], r.err)
			failed = append(failed, a.Name)
			continue
		}
		fmt.Fprintf(o.Out, "%s %s%s\n", tenant.ObjectName(a.Name), a.Verdict, suffix)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d tenants failed: %s", len(failed), len(o.docs), strings.Join(failed, ", "))
	}
	return nil
}
