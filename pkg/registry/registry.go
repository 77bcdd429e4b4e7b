// Package registry opens the registry a command keeps tenant records in:
// the file on this machine (the default), or the Tenant objects of a
// management cluster, named the same way by the --registry flag,
// $KUBECTL_TENANT_REGISTRY and the config file.
package registry

import (
	"context"
	"fmt"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/clusterregistry"
	regspec "github.com/kubectl-tenant/kubectl-tenant/pkg/registry/spec"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Env names the environment variable that selects the registry when the
// flag does not.
const Env = regspec.Env

// Usage says what a registry value may be, for flags and errors.
const Usage = regspec.Usage

// Flag is the --registry flag, with kubectl's own flags, which a cluster
// registry is reached with like any cluster: --kubeconfig, --context
// (the registry's context when the spec names none), --as, --token...
type Flag struct {
	// Spec is the flag's value: Usage's forms, or empty for the
	// environment, the config file or the default file (Resolve).
	Spec string
	// Flags are kubectl's flags of the command; nil means none given.
	Flags *genericclioptions.ConfigFlags
}

// Open opens the registry the flag (or, when empty, the environment or
// the config file) names. A cluster registry is reached through the
// kubeconfig kubectl would read, with the named context, else --context,
// else the current one, and kubectl's connection flags. Nothing is
// contacted yet.
func (f *Flag) Open() (tenant.Registry, error) {
	spec, err := regspec.Resolve(f.Spec)
	if err != nil {
		return nil, err
	}
	if err := regspec.CheckSpec(spec); err != nil {
		return nil, err
	}
	kind, where := regspec.Parse(spec)
	if kind == "file" {
		return tenant.OpenRegistry(where)
	}
	flags := f.Flags
	if flags == nil {
		flags = genericclioptions.NewConfigFlags(false)
	}
	if where == "" && flags.Context != nil {
		where = *flags.Context
	}
	if err := cluster.RefuseOneClusterFlags(flags, "with a cluster registry the command reaches the registry's cluster as well as the tenants'"); err != nil {
		return nil, err
	}
	cfg, _, err := cluster.RESTConfig(flags, where)
	if err != nil {
		return nil, fmt.Errorf("registry %q: %w", spec, err)
	}
	// A fleet command reads and writes a record per tenant: client-go's
	// default of 5 requests a second would pace 100 tenants to 20 seconds
	// or more.
	cfg.QPS, cfg.Burst = 50, 100
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("registry %q: %w", spec, err)
	}
	return clusterregistry.NewRegistry(client), nil
}

// With is the flag naming spec instead, read through the same kubeconfig.
func (f *Flag) With(spec string) *Flag { return &Flag{Spec: spec, Flags: f.Flags} }

// OpenTenant validates a tenant name, opens the registry and reads the
// tenant: how every command that acts on one tenant starts.
func (f *Flag) OpenTenant(ctx context.Context, name string) (tenant.Registry, *tenant.Tenant, error) {
	if err := tenant.ValidateName(name); err != nil {
		return nil, nil, err
	}
	reg, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	t, err := reg.Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if err := f.checkContext(t); err != nil {
		return nil, nil, err
	}
	return reg, t, nil
}

// checkContext refuses a --context that would be dropped: a tenant is
// reached through the context its record names, so --context means
// something only when it chooses a cluster registry's cluster (or names
// the tenant's own context).
func (f *Flag) checkContext(t *tenant.Tenant) error {
	if f.contextUnused() == "" || *f.Flags.Context == t.Spec.Cluster.Context {
		return nil
	}
	return fmt.Errorf("--context %q: tenant %q is reached through its own context %q, so --context would be ignored; leave it out (it chooses the cluster only of a cluster registry: --registry cluster)",
		*f.Flags.Context, t.Name, t.Spec.Cluster.Context)
}

// RefuseContext refuses --context for a command that reaches every
// tenant through its own context (why says which), unless it chooses a
// cluster registry's cluster.
func (f *Flag) RefuseContext(why string) error {
	if c := f.contextUnused(); c != "" {
		return fmt.Errorf("--context %q would be ignored: %s; leave it out (it chooses the cluster only of a cluster registry: --registry cluster)", c, why)
	}
	return nil
}

// contextUnused is the --context given, unless it chooses the cluster
// of the registry ("" then, and when none is given).
func (f *Flag) contextUnused() string {
	if f.Flags == nil || f.Flags.Context == nil || *f.Flags.Context == "" {
		return ""
	}
	if spec, err := regspec.Resolve(f.Spec); err == nil {
		if kind, where := regspec.Parse(spec); kind == "cluster" && (where == "" || where == *f.Flags.Context) {
			return "" // it chooses the registry's cluster, or names it again
		}
	}
	return *f.Flags.Context
}

// ClusterContext is the kubeconfig context of a cluster registry ("" for
// the current one), and whether the registry is one: a cluster registry's
// cluster is the management cluster of Cluster API tenants too.
func (f *Flag) ClusterContext() (string, bool, error) {
	spec, err := regspec.Resolve(f.Spec)
	if err != nil {
		return "", false, err
	}
	kind, where := regspec.Parse(spec)
	if kind != "cluster" {
		return "", false, nil
	}
	if where == "" && f.Flags != nil && f.Flags.Context != nil {
		where = *f.Flags.Context
	}
	return where, true, nil
}
