// Package addon is `kubectl tenant addon`: an EKS add-on of a tenant's
// cluster, with the workload role its controller assumes.
package addon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

var long = templates.LongDesc(`
	Make an EKS add-on of the tenant's cluster, through its role chain,
	with the IAM role its controller assumes when it needs one (the EBS and
	EFS CSI drivers): the role trusts the add-on's ServiceAccount alone, as
	a workload role does, through the add-on's Pod Identity association
	(the default; the eks-pod-identity-agent add-on is installed when
	missing) or IRSA (its serviceAccountRoleArn; the default for a Cluster
	API tenant). It waits until the add-on is ACTIVE, saying each status.
	The add-on is recorded in the tenant's spec.addons. --dry-run=server
	reads AWS and says what it would do; --dry-run=client says it from the
	record alone; -o yaml|json prints the plan (the role, its trust
	policy, the AWS calls). An add-on the
	plugin did not make for the tenant is left alone; one it made is not
	updated (delete it and make it again).

	--list shows the cluster's add-ons with their versions and roles, and
	whether the plugin made them. --delete removes the add-on and the role
	it made, when the plugin made them for this tenant.`)

var example = templates.Examples(`
	# The EBS CSI driver, with its role, through Pod Identity
	kubectl tenant addon acme aws-ebs-csi-driver

	# A given version through IRSA, seeing the calls first
	kubectl tenant addon acme aws-ebs-csi-driver --version v1.44.0-eksbuild.1 --via irsa --dry-run=server

	# What the cluster has
	kubectl tenant addon acme --list

	# Remove it and its role
	kubectl tenant addon acme aws-ebs-csi-driver --delete`)

// Options are the options of `addon`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Name           string
	Version        string
	Via            string
	RoleName       string
	List           bool
	Delete         bool
	NoHeaders      bool
	Timeout        time.Duration
	DryRunStrategy cmdutil.DryRunStrategy
	PrintFlags     *genericclioptions.PrintFlags

	printer  printers.ResourcePrinter // nil: lines for a person
	registry tenant.Registry
	tenant   *tenant.Tenant
	wanted   tenant.Addon
}

// NewCmdAddon makes `kubectl tenant addon`.
func NewCmdAddon(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:               "addon TENANT (NAME [--version V] [--via pod-identity|irsa] [--role-name N] | NAME --delete | --list)",
		Short:             "Make an EKS add-on of a tenant's cluster, with the IAM role its controller assumes",
		Long:              long,
		Example:           example,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeArgs(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.Version, "version", "", "The add-on's version, such as v1.44.0-eksbuild.1 (default: EKS's default)")
	cmd.Flags().StringVar(&o.Via, "via", "", "How its controller reaches its role: pod-identity (default on EKS) or irsa (default on a Cluster API tenant)")
	cmd.Flags().StringVar(&o.RoleName, "role-name", "", "The role's name (default: kubectl-tenant-TENANT-NAMESPACE-SERVICEACCOUNT)")
	cmd.Flags().BoolVar(&o.List, "list", false, "Show the cluster's add-ons, their versions and roles")
	cmd.Flags().BoolVar(&o.Delete, "delete", false, "Remove the add-on and the role the plugin made for it")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 10*time.Minute, "How long to wait for the add-on to be ACTIVE, or gone")
	cmdutil.AddNoHeadersFlag(cmd, &o.NoHeaders)
	cmdutil.AddDryRunFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("via", cobra.FixedCompletions([]string{tenant.ViaPodIdentity, tenant.ViaIRSA}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// completeArgs completes the tenant, then the add-ons the plugin knows
// roles for and those the tenant records.
func completeArgs(registryPath *registry.Flag) cobra.CompletionFunc {
	tenants := cmdutil.CompleteTenants(registryPath)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return tenants(cmd, args, toComplete)
		}
		names := []string{workloadrole.PodIdentityAgent}
		for name := range workloadrole.AddonRoles {
			names = append(names, name)
		}
		if _, t, err := registryPath.OpenTenant(cmd.Context(), args[0]); err == nil {
			for _, a := range t.Spec.Addons {
				names = append(names, a.Name)
			}
		}
		slices.Sort(names)
		return slices.Compact(names), cobra.ShellCompDirectiveNoFileComp
	}
}

// Complete reads the tenant.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	target, err := cmdutil.OpenTarget(cmd, o.registryPath, args[0])
	if err != nil {
		return err
	}
	o.registry, o.tenant, o.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	if len(args) > 1 {
		o.Name = args[1]
	}
	o.printer, err = cmdutil.PlanPrinter(o.PrintFlags, "an add-on's plan")
	return err
}

// Validate checks the arguments against the tenant's record, as the
// record itself is validated, before any call.
func (o *Options) Validate() error {
	t := o.tenant
	if t.Spec.Cluster.EKS == nil || t.Spec.AWS == nil {
		return fmt.Errorf("tenant %q is not on EKS: add-ons are EKS's", t.Name)
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %s: give a positive duration, such as 10m", o.Timeout)
	}
	making := map[string]bool{"--version": o.Version != "", "--via": o.Via != "", "--role-name": o.RoleName != ""}
	switch {
	case o.printer != nil && (o.List || o.Delete):
		return errors.New("--output: prints the plan of making an add-on; --list and --delete print tables and lines")
	case o.List && (o.Name != "" || o.Delete):
		return errors.New("--list: shows every add-on; give no add-on name and no --delete")
	case o.List && o.DryRunStrategy != cmdutil.DryRunNone:
		return errors.New("--dry-run: --list only reads")
	case o.List:
		for flag, given := range making {
			if given {
				return fmt.Errorf("%s: --list only reads", flag)
			}
		}
		return nil
	case o.Name == "":
		return fmt.Errorf("name the add-on (kubectl tenant addon %s aws-ebs-csi-driver), or give --list", t.Name)
	case o.Delete:
		for flag, given := range making {
			if given {
				return fmt.Errorf("%s: --delete removes the recorded add-on %s; give only its name", flag, o.Name)
			}
		}
		a := t.Addon(o.Name)
		if a == nil {
			return fmt.Errorf("add-on %s: tenant %q records no such add-on (it has: %s)", o.Name, t.Name, orNone(addonNames(t)))
		}
		if o.Name == workloadrole.PodIdentityAgent {
			for _, w := range workloadrole.All(t) {
				if w.Via == tenant.ViaPodIdentity {
					return fmt.Errorf("add-on %s: tenant %q's workload role of %s reaches its role through Pod Identity, which needs the agent: delete that first", o.Name, t.Name, w.Key())
				}
			}
		}
		o.wanted = *a
		return nil
	}
	a := workloadrole.ResolveAddon(t, tenant.Addon{Name: o.Name, Version: o.Version, Via: o.Via, RoleName: o.RoleName})
	if _, ok := workloadrole.AddonRoles[a.Name]; !ok && (o.Via != "" || o.RoleName != "") {
		return fmt.Errorf("--via, --role-name: add-on %s assumes no role the plugin knows of (those that do: %s)", a.Name, strings.Join(knownRoles(), ", "))
	}
	next := t.DeepCopy()
	setAddon(next, a)
	if errs := tenant.Validate(next); len(errs) > 0 {
		return errors.New(cmdutil.FlagNames(errs.ToAggregate().Error(), "addons", map[string]string{"version": "--version", "via": "--via", "roleName": "--role-name", "name": "add-on name"}))
	}
	if cur := t.Addon(a.Name); cur != nil {
		if r := workloadrole.ResolveAddon(t, *cur); r.Via != a.Via || r.RoleName != a.RoleName || (a.Version != "" && r.Version != a.Version) {
			return fmt.Errorf("add-on %s is recorded with version %q, %s, role %q: the plugin does not update add-ons; delete it (--delete) and make it again", a.Name, r.Version, orNone([]string{r.Via}), r.RoleName)
		}
	}
	o.wanted = a
	return nil
}

func knownRoles() []string {
	var out []string
	for name := range workloadrole.AddonRoles {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func addonNames(t *tenant.Tenant) []string {
	var out []string
	for _, a := range t.Spec.Addons {
		out = append(out, a.Name)
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 || s[0] == "" {
		return "none"
	}
	return strings.Join(s, ", ")
}

// setAddon puts a in t's record, in place of the add-on of that name if
// it has one.
func setAddon(t *tenant.Tenant, a tenant.Addon) {
	if cur := t.Addon(a.Name); cur != nil {
		*cur = a
		return
	}
	t.Spec.Addons = append(t.Spec.Addons, a)
}

// Run lists, makes or deletes, on the tenant's current record.
func (o *Options) Run(ctx context.Context) error {
	t := o.tenant
	if o.DryRunStrategy == cmdutil.DryRunClient {
		return o.clientDryRun()
	}
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	s, err := workloadrole.NewSyncer(ctx, t, conn, dryRun, o.ErrOut)
	if err != nil {
		return err
	}
	if o.List {
		return o.list(ctx, s)
	}
	progress := func(status string) { fmt.Fprintf(o.ErrOut, "add-on %s is %s\n", o.Name, status) }
	// The add-on is made (or deleted) and waited for first, and then
	// recorded in a short edit: the registry is not held through a wait
	// of minutes. A failure half-way records what was made.
	if o.Delete {
		return o.delete(ctx, s, progress)
	}
	made, err := s.MakeAddon(ctx, o.wanted, o.Timeout, progress)
	if made == nil {
		return err
	}
	recErr := tenant.EditOrPreview(ctx, o.registry, t, dryRun, func(rec *tenant.Tenant) (bool, error) {
		before := rec.DeepCopy()
		a := o.wanted
		if cur := rec.Addon(a.Name); cur != nil {
			a.Created = cur.Created
		}
		a.Created = a.Created || made.AddonCreated
		a.RoleCreated = made.RoleCreated
		setAddon(rec, a)
		if made.ProviderCreated {
			rec.Spec.Cluster.EKS.OIDCProviderCreated = true
		}
		return !reflect.DeepEqual(before.Spec, rec.Spec), nil
	})
	if err = errors.Join(err, recErr); err != nil {
		return err
	}
	if o.printer != nil {
		return o.printer.PrintObj(workloadrole.MadeAddonPlan(t, o.wanted, made), o.Out)
	}
	if !dryRun {
		if len(made.Calls) == 0 {
			fmt.Fprintf(o.ErrOut, "add-on %s is in place: nothing to change\n", o.wanted.Name)
		}
		fmt.Fprintf(o.Out, "add-on %s ready\n", o.wanted.Name)
	}
	return nil
}

// clientDryRun says what making (or deleting) the add-on would do, from
// the tenant's record alone: no call to AWS or the cluster.
func (o *Options) clientDryRun() error {
	a := o.wanted
	if o.Delete {
		fmt.Fprintf(o.ErrOut, "add-on %s would be deleted if kubectl-tenant made it for tenant %q (recorded: %v), with its role %s if the plugin made it (recorded: %v) (dry run; --dry-run=server asks AWS)\n",
			a.Name, o.tenant.Name, a.Created, orNone([]string{a.RoleName}), a.RoleCreated)
		return nil
	}
	p := workloadrole.ClientAddonPlan(o.tenant, a)
	if o.printer != nil {
		return o.printer.PrintObj(p, o.Out)
	}
	p.Print(o.ErrOut, true)
	return nil
}

// delete removes the recorded add-on and its role, then its record.
func (o *Options) delete(ctx context.Context, s *workloadrole.Syncer, progress func(string)) error {
	d, err := s.DeleteAddon(ctx, workloadrole.ResolveAddon(o.tenant, o.wanted), o.Timeout, progress)
	if d != nil {
		for _, k := range d.Kept {
			fmt.Fprintf(o.ErrOut, "kept: %s\n", k)
		}
	}
	if err != nil {
		return err
	}
	err = tenant.EditOrPreview(ctx, o.registry, o.tenant, s.DryRun, func(rec *tenant.Tenant) (bool, error) {
		n := len(rec.Spec.Addons)
		rec.Spec.Addons = slices.DeleteFunc(rec.Spec.Addons, func(x tenant.Addon) bool { return x.Name == o.Name })
		return len(rec.Spec.Addons) != n, nil
	})
	if err != nil {
		return err
	}
	what, suffix := "deleted", ""
	if len(d.Kept) > 0 {
		what = "removed from tenant " + o.tenant.Name + "'s record (what it kept is said above)"
	}
	if s.DryRun {
		suffix = " (server dry run)"
	}
	fmt.Fprintf(o.Out, "add-on %s %s%s\n", o.Name, what, suffix)
	return nil
}

// list prints the cluster's add-ons: version, status, the roles their
// controllers assume, and whether the record says the plugin made them.
func (o *Options) list(ctx context.Context, s *workloadrole.Syncer) error {
	addons, err := aws.ListAddons(ctx, s.Config, s.Cluster.Name)
	if err != nil {
		return err
	}
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		fmt.Fprintln(w, "NAME\tVERSION\tSTATUS\tVIA\tROLE\tMADE BY PLUGIN")
	}
	for _, a := range addons {
		via, role := "-", "-"
		switch {
		case a.ServiceAccountRoleARN != "":
			via, role = tenant.ViaIRSA, a.ServiceAccountRoleARN
		case len(a.PodIdentityRoleARNs) > 0:
			via, role = tenant.ViaPodIdentity, strings.Join(a.PodIdentityRoleARNs, ",")
		}
		made := "no"
		if r := o.tenant.Addon(a.Name); r != nil && r.Created {
			made = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Version, a.Status, via, role, made)
	}
	return w.Flush()
}
