// Package role is `kubectl tenant role`: a tenant's own roles.
package role

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var roleLong = templates.LongDesc(`
	A tenant's own roles, made of rules as kubectl create role takes them.
	Each is a labelled ClusterRole kubectl-tenant:TENANT:NAME, recorded in
	the tenant's spec.roles; 'kubectl tenant grant TENANT --role NAME' binds
	it, only ever in the tenant's namespaces (a tenant's role comes before a
	ClusterRole of the same name).`)

var roleExample = templates.Examples(`
	# A role that reads pods and deployments
	kubectl tenant role create acme reader --verb get,list,watch --resource pods,deployments.apps

	# Grant it
	kubectl tenant grant acme --user alice@example.com --role reader

	# Delete it once nobody holds it
	kubectl tenant revoke acme --user alice@example.com --role reader
	kubectl tenant role delete acme reader`)

// NewCmdRole makes `kubectl tenant role`.
func NewCmdRole(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "role",
		Short:   "A tenant's own roles, made of rules",
		Long:    roleLong,
		Example: roleExample,
	}
	cmd.AddCommand(newCmdCreate(getter, registryPath, streams), newCmdDelete(getter, registryPath, streams))
	return cmd
}

var createLong = templates.LongDesc(`
	Create or change a tenant's role from rules: --verb and --resource as
	kubectl create role takes them (RESOURCE[.GROUP][/SUBRESOURCE]; short
	names such as deploy are resolved by the tenant's cluster), optionally
	limited to --resource-name. The ClusterRole kubectl-tenant:TENANT:NAME is
	applied server-side, and the role recorded. The API server refuses a role
	that holds rights you do not hold yourself (its escalation check), and
	the error says so. Running it again writes nothing.`)

var createExample = templates.Examples(`
	# Deploy, and read logs
	kubectl tenant role create acme deployer --verb get,list,create,update,patch --resource deployments.apps,pods,pods/log

	# Show the ClusterRole without changing anything
	kubectl tenant role create acme reader --verb get --resource pods --dry-run=client -o yaml`)

// CreateOptions are the options of `role create`.
type CreateOptions struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag
	PrintFlags   *genericclioptions.PrintFlags

	Tenant, Name   string
	Verbs          []string
	Resources      []string
	ResourceNames  []string
	DryRunStrategy cmdutil.DryRunStrategy

	target  cmdutil.Target
	conn    *cluster.Connection
	printer printers.ResourcePrinter
}

func newCmdCreate(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &CreateOptions{IOStreams: streams, getter: getter, registryPath: registryPath,
		PrintFlags: genericclioptions.NewPrintFlags("").WithDefaultOutput("yaml")}
	cmd := &cobra.Command{
		Use:               "create TENANT NAME --verb VERB,... --resource RESOURCE,... [--resource-name NAME]...",
		Short:             "Create or change a tenant's role from rules",
		Long:              createLong,
		Example:           createExample,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().StringSliceVar(&o.Verbs, "verb", nil, "Verbs the role allows: "+strings.Join(rbac.ResourceVerbs, ", "))
	cmd.Flags().StringSliceVar(&o.Resources, "resource", nil, "Resources the verbs apply to: RESOURCE[.GROUP][/SUBRESOURCE] (pods, deployments.apps, pods/log)")
	cmd.Flags().StringArrayVar(&o.ResourceNames, "resource-name", nil, "Limit the role to these objects by name (repeatable)")
	cmdutil.AddDryRunFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	return cmd
}

// Complete reads the tenant and connects to its cluster.
func (o *CreateOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant, o.Name = args[0], args[1]
	var err error
	if o.printer, err = o.PrintFlags.ToPrinter(); err != nil {
		return err
	}
	if o.target, err = cmdutil.OpenTarget(cmd, o.registryPath, o.Tenant); err != nil {
		return err
	}
	o.DryRunStrategy = o.target.DryRun
	o.conn, err = cluster.Connect(o.getter, o.target.Tenant.Spec.Cluster.Context)
	return err
}

// Validate checks the flags; it makes no call.
func (o *CreateOptions) Validate() error {
	if len(o.Verbs) == 0 {
		return fmt.Errorf("--verb: name what the role allows (%s)", strings.Join(rbac.ResourceVerbs, ", "))
	}
	for _, v := range o.Verbs {
		if !slices.Contains(rbac.ResourceVerbs, v) {
			return fmt.Errorf("--verb %q: not a verb on resources; use %s", v, strings.Join(rbac.ResourceVerbs, ", "))
		}
	}
	if len(o.Resources) == 0 {
		return fmt.Errorf("--resource: name what the verbs apply to (pods, deployments.apps, pods/log)")
	}
	for _, r := range o.Resources {
		if _, _, err := rbac.ParseResource(r); err != nil {
			return err
		}
	}
	if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 {
		return fmt.Errorf("role name %q: %s", o.Name, strings.Join(errs, "; "))
	}
	if o.Name == tenant.ReservedRoleName {
		return fmt.Errorf("role name %q is reserved: kubectl-tenant:%s:namespaces lets the tenant's subjects get its namespaces", o.Name, o.Tenant)
	}
	return nil
}

// Run resolves the resources with the tenant's cluster, applies the
// ClusterRole and records the role.
func (o *CreateOptions) Run(ctx context.Context) error {
	rules, err := o.rules()
	if err != nil {
		return err
	}
	role := tenant.Role{Name: o.Name, Rules: rules}
	t := o.target.Tenant.DeepCopy()
	setRole(t, role)
	if errs := tenant.Validate(t); len(errs) > 0 {
		return fmt.Errorf("role %s: %w", o.Name, errs.ToAggregate())
	}
	cr := rbac.TenantRole(o.Tenant, role)
	if o.DryRunStrategy == cmdutil.DryRunClient {
		return o.printer.PrintObj(cr, o.Out)
	}
	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRunStrategy == cmdutil.DryRunServer}
	results := &apply.Results{}
	return tenant.EditOrPreview(ctx, o.target.Registry, o.target.Tenant, a.DryRun, func(t *tenant.Tenant) (bool, error) {
		if err := a.ClusterRole(ctx, cr, results); err != nil {
			return false, err
		}
		results.Print(o.ErrOut, a)
		return setRole(t, role), nil
	})
}

// rules are the flags' rules, each resource resolved by the tenant's
// cluster (short names expanded, unknown ones refused, as kubectl create
// role does with its own cluster).
func (o *CreateOptions) rules() ([]rbacv1.PolicyRule, error) {
	disco := memory.NewMemCacheClient(o.conn.Client.Discovery())
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(disco), disco, nil)
	var resources []schema.GroupResource
	var subs []string
	for _, r := range o.Resources {
		gr, sub, _ := rbac.ParseResource(r)
		if gr.Resource != "*" {
			gvr, err := mapper.ResourceFor(gr.WithVersion(""))
			if err != nil {
				return nil, fmt.Errorf("--resource %q: tenant %q's cluster has no such resource (%v); see 'kubectl api-resources'", r, o.Tenant, err)
			}
			gr = gvr.GroupResource()
		}
		resources, subs = append(resources, gr), append(subs, sub)
	}
	return rbac.Rules(o.Verbs, resources, subs, o.ResourceNames), nil
}

// setRole puts role into t's spec, replacing one of the same name, and
// reports whether the spec changed.
func setRole(t *tenant.Tenant, role tenant.Role) bool {
	if have := t.Role(role.Name); have != nil {
		changed := !tenant.SameSpec(tenant.Spec{Roles: []tenant.Role{*have}}, tenant.Spec{Roles: []tenant.Role{role}})
		*have = role
		return changed
	}
	t.Spec.Roles = append(t.Spec.Roles, role)
	return true
}

var deleteLong = templates.LongDesc(`
	Delete a tenant's role: its ClusterRole kubectl-tenant:TENANT:NAME and
	the role in the tenant's record. A role that is still granted is not
	deleted: the error names the grants to revoke first. A ClusterRole of
	that name the plugin did not make for the tenant is left alone.`)

// DeleteOptions are the options of `role delete`.
type DeleteOptions struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Tenant, Name string

	target cmdutil.Target
	conn   *cluster.Connection
}

func newCmdDelete(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DeleteOptions{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:               "delete TENANT NAME",
		Short:             "Delete a tenant's role that nobody is granted",
		Long:              deleteLong,
		Example:           templates.Examples(`kubectl tenant role delete acme reader --dry-run=server`),
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Complete reads the tenant and connects to its cluster.
func (o *DeleteOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant, o.Name = args[0], args[1]
	var err error
	if o.target, err = cmdutil.OpenTarget(cmd, o.registryPath, o.Tenant); err != nil {
		return err
	}
	o.conn, err = cluster.Connect(o.getter, o.target.Tenant.Spec.Cluster.Context)
	return err
}

// Validate refuses a role the tenant does not have, or still grants.
func (o *DeleteOptions) Validate() error {
	t := o.target.Tenant
	if t.Role(o.Name) == nil {
		var names []string
		for _, r := range t.Spec.Roles {
			names = append(names, r.Name)
		}
		return fmt.Errorf("tenant %q has no role %q (its roles: %s)", o.Tenant, o.Name, cmp.Or(strings.Join(names, ", "), "none"))
	}
	var holders []string
	for _, g := range t.Spec.Grants {
		if g.Role == o.Name {
			holders = append(holders, g.Subject.String())
		}
	}
	if len(holders) > 0 {
		return fmt.Errorf("role %q of tenant %q is granted to %s: revoke those grants first ('kubectl tenant revoke %s ... --role %s')", o.Name, o.Tenant, strings.Join(holders, ", "), o.Tenant, o.Name)
	}
	return nil
}

// Run deletes the ClusterRole, then the role from the record.
func (o *DeleteOptions) Run(ctx context.Context) error {
	role := *o.target.Tenant.Role(o.Name)
	a := &apply.Applier{Client: o.conn.Client, DryRun: o.target.DryRun == cmdutil.DryRunServer, ReportOnly: o.target.DryRun == cmdutil.DryRunClient}
	results := &apply.Results{}
	return tenant.EditOrPreview(ctx, o.target.Registry, o.target.Tenant, o.target.DryRun != cmdutil.DryRunNone, func(t *tenant.Tenant) (bool, error) {
		if err := a.DeleteClusterRole(ctx, rbac.TenantRole(o.Tenant, role), results); err != nil {
			return false, err
		}
		results.Print(o.ErrOut, a)
		t.Spec.Roles = slices.DeleteFunc(t.Spec.Roles, func(r tenant.Role) bool { return r.Name == o.Name })
		return true, nil
	})
}
