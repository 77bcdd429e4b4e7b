// Package list is `kubectl tenant list`.
package list

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/reconcile"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var listLong = templates.LongDesc(`
	List the tenants in the registry: a table by default, or the whole
	TenantList in any kubectl output format (-o yaml, json, name,
	jsonpath=..., go-template=...).

	The table shows each tenant's cluster as it is now: whether it answers,
	how many of the tenant's namespaces are there, and how many of the
	objects its grants and roles need are in place (IAM mappings aside).
	Clusters are read concurrently, each within --cluster-timeout, so one
	that does not answer shows as such and does not hold the others up.
	--live=false prints the registry alone.`)

var listExample = templates.Examples(`
	# Every tenant, one a line
	kubectl tenant list

	# Only the names, as kubectl prints them
	kubectl tenant list -o name

	# The registry alone, without reading the clusters
	kubectl tenant list --live=false`)

// Options are the options of `list`.
type Options struct {
	genericiooptions.IOStreams
	getter         genericclioptions.RESTClientGetter
	registryPath   *registry.Flag
	PrintFlags     *genericclioptions.PrintFlags
	NoHeaders      bool
	Live           bool
	ClusterTimeout time.Duration
	Concurrency    int

	printer printers.ResourcePrinter // nil: the table
}

// NewCmdList makes `kubectl tenant list`.
func NewCmdList(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:          "list",
		Aliases:      []string{"ls"},
		Short:        "List the tenants in the registry",
		Long:         listLong,
		Example:      listExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	o.PrintFlags.AddFlags(cmd)
	cmdutil.AddNoHeadersFlag(cmd, &o.NoHeaders)
	cmd.Flags().BoolVar(&o.Live, "live", true, "Read each tenant's cluster for the table's live columns")
	cmd.Flags().DurationVar(&o.ClusterTimeout, "cluster-timeout", 5*time.Second, "How long to wait for one cluster")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", 8, "How many clusters to read at once")
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency %d: read at least one cluster at a time", o.Concurrency)
	}
	if o.ClusterTimeout <= 0 {
		return fmt.Errorf("--cluster-timeout %s: give a positive duration, such as 5s", o.ClusterTimeout)
	}
	if err := o.registryPath.RefuseContext("list reads the registry, and every tenant's cluster through its own context"); err != nil {
		return err
	}
	if o.Live {
		return cluster.RefuseOneClusterFlags(o.getter, "list reads every tenant's cluster")
	}
	return nil
}

// Complete picks the printer.
func (o *Options) Complete(*cobra.Command, []string) error {
	if *o.PrintFlags.OutputFormat == "" {
		return nil
	}
	var err error
	o.printer, err = cmdutil.TenantPrinter(o.PrintFlags)
	return err
}

// Run prints the tenants.
func (o *Options) Run(ctx context.Context) error {
	reg, err := o.registryPath.Open()
	if err != nil {
		return err
	}
	tenants, err := reg.List(ctx)
	if err != nil {
		return err
	}
	if o.printer != nil {
		list := &tenant.List{Items: tenants}
		list.APIVersion, list.Kind = tenant.APIVersion, tenant.ListKind
		if list.Items == nil {
			list.Items = []tenant.Tenant{}
		}
		return o.printer.PrintObj(list, o.Out)
	}
	var seen []reconcile.Observation
	if o.Live {
		seen = o.observe(ctx, tenants)
	}
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		header := strings.Join(tenant.Columns, "\t")
		if o.Live {
			header += "\tREACHABLE\tNAMESPACES-PRESENT\tOBJECTS-IN-PLACE"
		}
		fmt.Fprintln(w, header)
	}
	for i, t := range tenants {
		fmt.Fprint(w, strings.Join(t.Row(), "\t"))
		if o.Live {
			x := seen[i]
			if x.Unreachable != "" {
				fmt.Fprintf(w, "\tno: %s\t-\t-", x.Unreachable)
			} else {
				fmt.Fprintf(w, "\tyes\t%d/%d\t%d/%d", x.NamespacesPresent, x.Namespaces, x.ObjectsInPlace, x.Objects)
			}
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// observe reads every tenant's cluster: clusters concurrently (up to
// --concurrency), each once connected and within --cluster-timeout for
// all its tenants, so that one silent cluster costs its timeout once.
func (o *Options) observe(ctx context.Context, tenants []tenant.Tenant) []reconcile.Observation {
	out := make([]reconcile.Observation, len(tenants))
	byContext := map[string][]int{}
	var contexts []string
	for i, t := range tenants {
		c := t.Spec.Cluster.Context
		if _, ok := byContext[c]; !ok {
			contexts = append(contexts, c)
		}
		byContext[c] = append(byContext[c], i)
	}
	var g errgroup.Group
	g.SetLimit(o.Concurrency)
	for _, c := range contexts {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(ctx, o.ClusterTimeout)
			defer cancel()
			conn, err := cluster.Connect(o.getter, c)
			for _, i := range byContext[c] {
				if err != nil {
					out[i].Unreachable = unreachable(err, &tenants[i])
					continue
				}
				out[i] = reconcile.Observe(ctx, conn, &tenants[i])
				if out[i].Unreachable != "" && ctx.Err() != nil {
					out[i].Unreachable = fmt.Sprintf("no answer within %s", o.ClusterTimeout)
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// unreachable says why a tenant's cluster could not be connected to, and
// how to get its context when it is not on this machine (a shared
// registry lists tenants whose contexts others made).
func unreachable(err error, t *tenant.Tenant) string {
	switch {
	case errors.Is(err, cluster.ErrNoContext) && t.Spec.Cluster.EKS != nil:
		return fmt.Sprintf("no context %q here; 'kubectl tenant kubeconfig --all --merge' adds it", t.Spec.Cluster.Context)
	case errors.Is(err, cluster.ErrNoContext):
		return fmt.Sprintf("no context %q here; it is on the machine of whoever made the tenant", t.Spec.Cluster.Context)
	}
	return err.Error()
}
