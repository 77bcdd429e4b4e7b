// Package workloadrole is `kubectl tenant workload-role`: an IAM role in
// the tenant's account that exactly one ServiceAccount of the tenant's
// EKS cluster may assume, through EKS Pod Identity or IRSA.
package workloadrole

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

var long = templates.LongDesc(`
	Make an IAM role in the tenant's account, through its role chain, that
	exactly one ServiceAccount of the tenant's EKS cluster may assume, and
	attach the given managed policies to it; or use an existing role
	(--role-arn) whose trust admits that ServiceAccount alone, which is
	checked and never changed. The role is recorded in the tenant's
	spec.workloadRoles.

	With --via pod-identity (the default) the role trusts EKS Pod Identity
	for this cluster, account, namespace and ServiceAccount only, and an
	association binds the ServiceAccount to it (the eks-pod-identity-agent
	add-on is installed when missing). With --via irsa (the default for a
	Cluster API tenant, and on a cluster with Fargate profiles, whose pods
	Pod Identity does not reach) the role trusts the cluster's OIDC provider (made
	when missing) for the ServiceAccount's token and STS's audience only,
	and the ServiceAccount is annotated with the role (only the
	annotation: the ServiceAccount is not labelled as the plugin's). The
	namespace must be the tenant's. Running it again changes nothing.
	--dry-run=server reads AWS and the cluster and says what it would do;
	--dry-run=client says it from the tenant's record alone (the OIDC
	issuer's ID, which only EKS knows, is a placeholder). -o yaml|json
	prints the plan: the role, its trust policy, the AWS calls and the
	Kubernetes objects.

	--delete removes what was made for the ServiceAccount: the association
	or the annotation, and the role when the plugin made it for this
	tenant; with --delete-oidc-provider also the cluster's OIDC provider,
	when the plugin made it and no other role trusts it.`)

var example = templates.Examples(`
	# Let acme's ServiceAccount app read S3, through EKS Pod Identity
	kubectl tenant workload-role acme --serviceaccount acme:app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess

	# The same through IRSA, seeing the calls first
	kubectl tenant workload-role acme --serviceaccount acme:app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess --via irsa --dry-run=server

	# The role, its trust policy, the calls and the objects, without asking AWS
	kubectl tenant workload-role acme --serviceaccount acme:app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess --dry-run=client -o yaml

	# Use a role the platform team made, whose trust admits acme:app alone
	kubectl tenant workload-role acme --serviceaccount acme:app --role-arn arn:aws:iam::222222222222:role/acme-app

	# Remove it again
	kubectl tenant workload-role acme --serviceaccount acme:app --delete`)

// Options are the options of `workload-role`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	ServiceAccount     string
	PolicyARNs         []string
	RoleARN            string
	Via                string
	RoleName           string
	Delete             bool
	DeleteOIDCProvider bool
	DryRunStrategy     cmdutil.DryRunStrategy
	PrintFlags         *genericclioptions.PrintFlags

	printer  printers.ResourcePrinter // nil: the role's ARN and lines for a person
	registry tenant.Registry
	tenant   *tenant.Tenant
	wanted   tenant.WorkloadRole
}

// NewCmdWorkloadRole makes `kubectl tenant workload-role`.
func NewCmdWorkloadRole(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("")}
	cmd := &cobra.Command{
		Use:               "workload-role TENANT --serviceaccount NS:NAME (--policy-arn ARN... [--role-name NAME] | --role-arn ARN | --delete) [--via pod-identity|irsa]",
		Short:             "Make an IAM role that one ServiceAccount of a tenant's EKS cluster may assume",
		Long:              long,
		Example:           example,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.ServiceAccount, "serviceaccount", "", "The ServiceAccount, NAMESPACE:NAME, in one of the tenant's namespaces")
	cmd.Flags().StringArrayVar(&o.PolicyARNs, "policy-arn", nil, "A managed policy to attach to the role the plugin makes (repeatable)")
	cmd.Flags().StringVar(&o.RoleARN, "role-arn", "", "An existing role to use as it is: its trust must admit this ServiceAccount alone")
	cmd.Flags().StringVar(&o.Via, "via", "", "How the pods reach the role: pod-identity (default on EKS) or irsa (default on a Cluster API tenant or a cluster with Fargate profiles)")
	cmd.Flags().StringVar(&o.RoleName, "role-name", "", "The role's name (default: kubectl-tenant-TENANT-NAMESPACE-NAME, cut to IAM's 64 characters)")
	cmd.Flags().BoolVar(&o.Delete, "delete", false, "Remove the ServiceAccount's workload role: the association or annotation, and the role when the plugin made it")
	cmd.Flags().BoolVar(&o.DeleteOIDCProvider, "delete-oidc-provider", false, "With --delete of an IRSA role: also the cluster's OIDC provider, when the plugin made it and no other role trusts it")
	cmdutil.AddDryRunFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("via", cobra.FixedCompletions([]string{tenant.ViaPodIdentity, tenant.ViaIRSA}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("serviceaccount", completeServiceAccounts(registryPath))
	return cmd
}

// completeServiceAccounts completes NAMESPACE:NAME from the tenant's
// recorded workload roles, and NAMESPACE: from its namespaces.
func completeServiceAccounts(registryPath *registry.Flag) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		_, t, err := registryPath.OpenTenant(cmd.Context(), args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, w := range t.Spec.WorkloadRoles {
			out = append(out, w.Key())
		}
		for _, ns := range t.Spec.Namespaces {
			out = append(out, ns+":")
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// Complete reads the tenant.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	target, err := cmdutil.OpenTarget(cmd, o.registryPath, args[0])
	if err != nil {
		return err
	}
	o.registry, o.tenant, o.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	o.printer, err = cmdutil.PlanPrinter(o.PrintFlags, "a workload role's plan")
	return err
}

// Validate checks every flag against the tenant's record, as the record
// itself is validated, before any call.
func (o *Options) Validate() error {
	t := o.tenant
	if t.Spec.Cluster.EKS == nil || t.Spec.AWS == nil {
		return fmt.Errorf("tenant %q is not on EKS: a workload role is assumed through EKS Pod Identity or the EKS cluster's OIDC issuer", t.Name)
	}
	ns, name, ok := strings.Cut(o.ServiceAccount, ":")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fmt.Errorf("--serviceaccount %q: name the ServiceAccount as NAMESPACE:NAME", o.ServiceAccount)
	}
	if !slices.Contains(t.Spec.Namespaces, ns) {
		return fmt.Errorf("--serviceaccount %s: namespace %s is not tenant %q's (its namespaces: %s); a workload role is for the tenant's own ServiceAccounts",
			o.ServiceAccount, ns, t.Name, strings.Join(t.Spec.Namespaces, ", "))
	}
	if o.Delete {
		if o.printer != nil {
			return errors.New("--output: --delete prints what it removes, not a plan")
		}
		return o.validateDelete(ns, name)
	}
	if o.DeleteOIDCProvider {
		return errors.New("--delete-oidc-provider: goes with --delete")
	}
	switch {
	case o.RoleARN != "" && (len(o.PolicyARNs) > 0 || o.RoleName != ""):
		return errors.New("--role-arn: an existing role is used as it is: give --role-arn alone, or --policy-arn (and --role-name) for a role the plugin makes")
	case o.RoleARN == "" && len(o.PolicyARNs) == 0:
		return errors.New("--policy-arn: give the managed policies the role gets (at least one), or --role-arn for an existing role")
	}
	w := tenant.WorkloadRole{Namespace: ns, ServiceAccount: name, Via: o.Via, RoleName: o.RoleName, PolicyARNs: o.PolicyARNs, RoleARN: o.RoleARN}.Resolved(t)
	next := t.DeepCopy()
	setWorkloadRole(next, w)
	if errs := tenant.Validate(next); len(errs) > 0 {
		return errors.New(cmdutil.FlagNames(errs.ToAggregate().Error(), "workloadRoles", map[string]string{"roleName": "--role-name", "policyARNs": "--policy-arn", "roleARN": "--role-arn", "via": "--via"}))
	}
	if cur := t.WorkloadRole(ns, name); cur != nil && (cur.Via != w.Via || cur.RoleName != w.RoleName || cur.RoleARN != w.RoleARN) {
		return fmt.Errorf("--serviceaccount %s: its workload role is %s: a ServiceAccount has one; remove it first (--delete), or keep its role and mechanism", o.ServiceAccount, cur)
	}
	o.wanted = w
	return nil
}

// validateDelete checks --delete: the ServiceAccount's role is recorded,
// and nothing that would make one is given.
func (o *Options) validateDelete(ns, name string) error {
	for flag, given := range map[string]bool{"--policy-arn": len(o.PolicyARNs) > 0, "--role-arn": o.RoleARN != "", "--role-name": o.RoleName != "", "--via": o.Via != ""} {
		if given {
			return fmt.Errorf("%s: --delete removes the recorded workload role of %s; give only --serviceaccount", flag, o.ServiceAccount)
		}
	}
	w := o.tenant.WorkloadRole(ns, name)
	if w == nil {
		var have []string
		for _, r := range o.tenant.Spec.WorkloadRoles {
			have = append(have, r.Key())
		}
		return fmt.Errorf("--serviceaccount %s: tenant %q records no workload role for it (it has: %s)", o.ServiceAccount, o.tenant.Name, orNone(have))
	}
	if o.DeleteOIDCProvider && w.Via != tenant.ViaIRSA {
		return fmt.Errorf("--delete-oidc-provider: %s reaches its role through %s, which uses no OIDC provider", o.ServiceAccount, w.Via)
	}
	o.wanted = *w
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// setWorkloadRole puts w in t's record, in place of the ServiceAccount's
// role if it has one.
func setWorkloadRole(t *tenant.Tenant, w tenant.WorkloadRole) {
	if cur := t.WorkloadRole(w.Namespace, w.ServiceAccount); cur != nil {
		*cur = w
		return
	}
	t.Spec.WorkloadRoles = append(t.Spec.WorkloadRoles, w)
}

// Run checks that the ServiceAccount is the tenant's, then makes (or
// deletes) its role and records it, on the tenant's current record.
func (o *Options) Run(ctx context.Context) error {
	t := o.tenant
	if o.DryRunStrategy == cmdutil.DryRunClient {
		return o.clientDryRun()
	}
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	if !o.Delete {
		// The ServiceAccount must be the tenant's, by the registry and the
		// cluster's namespace labels, before any AWS call.
		if err := workloadrole.Admit(ctx, access.Admission{Client: conn.Client, Registry: o.registry, Warn: o.ErrOut}, t, o.wanted); err != nil {
			return fmt.Errorf("--serviceaccount %s: %w", o.ServiceAccount, err)
		}
	}
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	s, err := workloadrole.NewSyncer(ctx, t, conn, dryRun, o.ErrOut)
	if err != nil {
		return err
	}
	if !o.Delete && o.wanted.Via == tenant.ViaPodIdentity {
		if err := o.checkFargate(ctx, s); err != nil {
			return err
		}
	}
	return tenant.EditOrPreview(ctx, o.registry, t, dryRun, func(rec *tenant.Tenant) (bool, error) {
		s.Tenant = rec
		if o.Delete {
			return o.delete(ctx, s, rec)
		}
		return o.make(ctx, s, rec)
	})
}

// checkFargate makes a Pod Identity role that was not asked for by name
// (and is not recorded) an IRSA role on a cluster with Fargate profiles,
// saying why, and warns when Pod Identity was asked for there.
func (o *Options) checkFargate(ctx context.Context, s *workloadrole.Syncer) error {
	via, why, err := s.DefaultVia(ctx)
	switch {
	case err != nil || via == tenant.ViaPodIdentity:
		return err
	case o.Via == "" && o.tenant.WorkloadRole(o.wanted.Namespace, o.wanted.ServiceAccount) == nil:
		fmt.Fprintf(o.ErrOut, "using %s: %s (--via %s asks for the other)\n", via, why, o.wanted.Via)
		o.wanted.Via = via
	default:
		fmt.Fprintf(o.ErrOut, "warning: %s: %s's pods there will not get the role (--via irsa reaches them)\n", why, o.ServiceAccount)
	}
	return nil
}

// make makes the wanted role and records it in rec; a failure half-way
// records what was made.
func (o *Options) make(ctx context.Context, s *workloadrole.Syncer, rec *tenant.Tenant) (bool, error) {
	before := rec.DeepCopy()
	made, err := s.Make(ctx, o.wanted)
	if made == nil {
		return false, err
	}
	w := o.wanted
	w.RoleCreated = made.RoleCreated
	setWorkloadRole(rec, w)
	if made.ProviderCreated {
		rec.Spec.Cluster.EKS.OIDCProviderCreated = true
	}
	if err != nil {
		return !reflect.DeepEqual(before.Spec, rec.Spec), err
	}
	if len(made.Calls) == 0 && !made.Annotated {
		fmt.Fprintf(o.ErrOut, "workload role %s of %s is in place: nothing to change\n", roleOf(w, made.RoleARN), w.Key())
	}
	if o.printer != nil {
		return !reflect.DeepEqual(before.Spec, rec.Spec), o.printer.PrintObj(workloadrole.MadePlan(rec, o.wanted, made), o.Out)
	}
	fmt.Fprintln(o.Out, made.RoleARN)
	return !reflect.DeepEqual(before.Spec, rec.Spec), nil
}

// clientDryRun says what making (or deleting) the role would do, from
// the tenant's record alone: no call to AWS or the cluster.
func (o *Options) clientDryRun() error {
	w := o.wanted
	if o.Delete {
		what := "its Pod Identity association"
		if w.Via == tenant.ViaIRSA {
			what = "the annotation of ServiceAccount " + w.Namespace + "/" + w.ServiceAccount
		}
		role := "kept: the plugin did not make it"
		if w.RoleCreated && w.RoleARN == "" {
			role = "deleted if its tags say kubectl-tenant made it for this ServiceAccount"
		}
		fmt.Fprintf(o.ErrOut, "would remove %s and the record of its workload role; role %s would be %s (dry run; --dry-run=server asks AWS)\n", what, roleOf(w, w.RoleARN), role)
		return nil
	}
	p := workloadrole.ClientPlan(o.tenant, w)
	if o.printer != nil {
		return o.printer.PrintObj(p, o.Out)
	}
	p.Print(o.ErrOut, true)
	fmt.Fprintln(o.Out, p.Role.ARN)
	return nil
}

// delete removes the ServiceAccount's role, and then its record.
func (o *Options) delete(ctx context.Context, s *workloadrole.Syncer, rec *tenant.Tenant) (bool, error) {
	w := rec.WorkloadRole(o.wanted.Namespace, o.wanted.ServiceAccount)
	if w == nil {
		return false, fmt.Errorf("--serviceaccount %s: tenant %q records no workload role for it (removed meanwhile)", o.ServiceAccount, rec.Name)
	}
	d, err := s.Delete(ctx, *w, o.DeleteOIDCProvider)
	if d != nil {
		for _, k := range d.Kept {
			fmt.Fprintf(o.ErrOut, "kept: %s\n", k)
		}
	}
	if err != nil {
		return false, err
	}
	done := *w
	rec.Spec.WorkloadRoles = slices.DeleteFunc(rec.Spec.WorkloadRoles, func(r tenant.WorkloadRole) bool { return r.Key() == done.Key() })
	if d.ProviderDeleted {
		rec.Spec.Cluster.EKS.OIDCProviderCreated = false
	}
	suffix := ""
	if s.DryRun {
		suffix = " (server dry run)"
	}
	what := "deleted"
	if len(d.Kept) > 0 {
		what = "removed from tenant " + rec.Name + "'s record (what it kept is said above)"
	}
	fmt.Fprintf(o.Out, "workload role of %s %s%s\n", done.Key(), what, suffix)
	return true, nil
}

// roleOf names w's role for messages.
func roleOf(w tenant.WorkloadRole, arn string) string {
	if w.RoleName != "" {
		return w.RoleName
	}
	return arn
}
