// Package grant is `kubectl tenant grant`.
package grant

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var grantLong = templates.LongDesc(`
	Give a subject a role in a tenant: a RoleBinding of the role in each of
	the tenant's namespaces (or the ones named with --namespace), the
	ServiceAccount when it is missing, and the right to get the tenant's
	namespaces. Roles are admin, edit and view (Kubernetes' own) or the name
	of any ClusterRole.

	Objects are applied server-side by field manager kubectl-tenant, labelled
	with the tenant, under names derived from tenant, role and subject. A
	grant that is already in place writes nothing. A grant never reaches
	outside the tenant's namespaces unless --cluster-scope is given.

	An IAM role or user (--iam-role, --iam-user) is let in through an EKS
	access entry or the kube-system/aws-auth ConfigMap (--via; by default
	access entries when the EKS cluster's authentication mode includes API,
	aws-auth otherwise and off EKS). Its mapping names it TENANT:{{SessionName}}
	(a role) or TENANT:NAME (a user) and puts it in the group
	kubectl-tenant:TENANT:ROLE (kubectl-tenant:TENANT:ROLE:NS for a
	--namespace grant), which the tenant binds; principals granted the same
	role share the group. With --access-policy the access entry gets that EKS
	access policy, scoped to the namespaces, instead of RBAC. aws-auth is
	edited entry by entry, never rewritten: an aws-auth that does not parse,
	or an entry for the principal that is not kubectl-tenant's, stops the
	grant before anything changes, and the previous content is kept (see
	'kubectl tenant aws-auth'). A role ARN with a path is written without it,
	the form IAM authenticates.`)

var grantExample = templates.Examples(`
	# Let the deployer ServiceAccount edit everything in acme's namespaces
	kubectl tenant grant acme --serviceaccount deployer --role edit

	# A ServiceAccount of another tenant's namespace is refused unless asked for
	kubectl tenant grant acme --serviceaccount globex:deployer --role view --allow-cross-tenant

	# Let a user view one namespace
	kubectl tenant grant acme --user alice@example.com --role view --namespace acme-ci

	# Show the objects without changing anything
	kubectl tenant grant acme --group sre --role admin --dry-run=client

	# Let an IAM role's sessions edit acme's namespaces, through aws-auth
	kubectl tenant grant acme --iam-role arn:aws:iam::444455556666:role/acme-dev --role edit --via aws-auth

	# An EKS access policy scoped to one namespace; show the EKS calls first
	kubectl tenant grant acme --iam-role arn:aws:iam::444455556666:role/auditor --access-policy view --namespace acme-ci --dry-run=client`)

// Options are the options of `grant`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag
	PrintFlags   *genericclioptions.PrintFlags

	Tenant       string
	Subject      tenant.SubjectFlags
	Role         string
	Namespaces   []string
	ClusterScope bool
	Via          string
	AccessPolicy string
	// AllowCrossTenant lets a subject of another tenant be granted.
	AllowCrossTenant bool
	DryRunStrategy   cmdutil.DryRunStrategy
	// AWSOptions apply to the AWS clients of access entries (tests stub
	// EKS with them).
	AWSOptions []aws.ConfigOption

	registry tenant.Registry
	tenant   *tenant.Tenant
	grant    tenant.Grant
	conn     *cluster.Connection
	printer  printers.ResourcePrinter
}

// NewOptions returns grant's options with the flags' defaults.
func NewOptions(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *Options {
	return &Options{IOStreams: streams, getter: getter, registryPath: registryPath,
		PrintFlags: genericclioptions.NewPrintFlags("").WithDefaultOutput("yaml")}
}

// NewCmdGrant makes `kubectl tenant grant`.
func NewCmdGrant(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(getter, registryPath, streams)
	cmd := &cobra.Command{
		Use:               "grant TENANT (--serviceaccount [NS:]NAME | --user NAME | --group NAME | --iam-role ARN | --iam-user ARN) --role ROLE [--namespace NS]...",
		Short:             "Give a subject a role in a tenant",
		Long:              grantLong,
		Example:           grantExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmdutil.AddSubjectFlags(cmd, &o.Subject)
	cmd.Flags().StringVar(&o.Role, "role", "", "admin, edit, view, or the name of a ClusterRole")
	cmd.Flags().StringArrayVar(&o.Namespaces, "namespace", nil, "Limit the grant to this tenant namespace (repeatable; default: all of the tenant's)")
	cmd.Flags().BoolVar(&o.ClusterScope, "cluster-scope", false, "Bind the role cluster-wide with a ClusterRoleBinding")
	cmd.Flags().StringVar(&o.Via, "via", "", "How an IAM principal gets in: access-entry or aws-auth (default: access-entry when the EKS cluster's authentication mode includes API, else aws-auth)")
	cmd.Flags().BoolVar(&o.AllowCrossTenant, "allow-cross-tenant", false, "Grant a subject that belongs to another tenant (a ServiceAccount in its namespace, a user or group it grants)")
	cmd.Flags().StringVar(&o.AccessPolicy, "access-policy", "", "With --via access-entry: associate this EKS access policy (view, edit, admin, cluster-admin) scoped to the namespaces, instead of RBAC")
	cmdutil.AddDryRunFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("role", cmdutil.CompleteClusterRoles(getter, registryPath))
	_ = cmd.RegisterFlagCompletionFunc("namespace", cmdutil.CompleteTenantNamespaces(registryPath))
	_ = cmd.RegisterFlagCompletionFunc("via", cobra.FixedCompletions([]string{"access-entry", "aws-auth"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("access-policy", cobra.FixedCompletions([]string{"view", "edit", "admin", "cluster-admin"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the tenant, builds the grant and the cluster's client.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant = args[0]
	var err error
	if o.printer, err = o.PrintFlags.ToPrinter(); err != nil {
		return err
	}
	target, err := cmdutil.OpenTarget(cmd, o.registryPath, o.Tenant)
	if err != nil {
		return err
	}
	o.registry, o.tenant, o.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	subject, err := o.Subject.Subject(o.tenant.Spec.Namespaces[0])
	if err != nil {
		return err
	}
	subject = cmdutil.CanonicalSubject(subject, o.ErrOut)
	o.grant = tenant.Grant{Subject: subject, Role: o.Role, Namespaces: o.Namespaces, ClusterScope: o.ClusterScope, AccessPolicy: o.AccessPolicy}
	if subject.IsIAM() {
		if o.AccessPolicy != "" && o.Role == "" {
			o.grant.Role = o.AccessPolicy
		}
		if o.grant.Via, err = iamgrant.Channel(o.tenant, subject, o.Via); err != nil {
			return err
		}
	}
	o.conn, err = cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	return err
}

// Validate checks the grant's fields; it makes no call.
func (o *Options) Validate() error {
	if !o.grant.Subject.IsIAM() && (o.Via != "" || o.AccessPolicy != "") {
		return fmt.Errorf("--via and --access-policy are for IAM principals (--iam-role, --iam-user)")
	}
	if o.AccessPolicy != "" && o.grant.Role != o.AccessPolicy {
		return fmt.Errorf("--access-policy %s takes the place of --role; leave --role out", o.AccessPolicy)
	}
	if o.ClusterScope && o.tenant.Role(o.Role) != nil {
		return fmt.Errorf("--cluster-scope: role %s is one of tenant %q's roles, which are bound only in its namespaces", o.Role, o.Tenant)
	}
	owned := map[string]bool{}
	for _, ns := range o.tenant.Spec.Namespaces {
		owned[ns] = true
	}
	if errs := tenant.ValidateGrant(field.NewPath("grant"), o.grant, owned); len(errs) > 0 {
		return errs.ToAggregate()
	}
	return nil
}

// Run checks that the role exists in the cluster, then applies what the
// grant means and records it, holding the registry so that concurrent
// grants each see the others' (IAM principals share bindings). A dry run
// only reads (and, on the server, has the API server check the writes).
func (o *Options) Run(ctx context.Context) error {
	if o.grant.AccessPolicy == "" { // with an access policy, EKS enforces it: no ClusterRole to check
		role := rbac.ClusterRoleFor(o.tenant, o.grant.Role)
		if _, err := o.conn.Client.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("no ClusterRole %q in tenant %q's cluster: use admin, edit, view or an existing ClusterRole", role, o.Tenant)
			}
			return cluster.Unreachable(o.tenant, err)
		}
	}
	admission := access.Admission{Client: o.conn.Client, Registry: o.registry, AllowCrossTenant: o.AllowCrossTenant, OwnNamespaces: true, Warn: o.ErrOut}
	if err := admission.Admit(ctx, o.tenant, []tenant.Grant{o.grant}); err != nil {
		return err
	}
	return tenant.EditOrPreview(ctx, o.registry, o.tenant, o.DryRunStrategy != cmdutil.DryRunNone,
		func(t *tenant.Tenant) (bool, error) { return o.run(ctx, t) })
}

// run grants on t, the current record, and reports whether t changed.
func (o *Options) run(ctx context.Context, t *tenant.Tenant) (bool, error) {
	before := t.DeepCopy()
	grant, specChanged := t.AddGrant(o.grant)
	objs := rbac.ForGrant(t, grant)
	sa := rbac.ServiceAccount(t, grant.Subject)
	createSA := grant.Subject.Kind == tenant.SubjectServiceAccount && slices.Contains(t.Spec.Namespaces, grant.Subject.Namespace)
	syncer := iamgrant.NewSyncer(before, o.conn.Client, o.AWSOptions, o.DryRunStrategy != cmdutil.DryRunNone, o.Out)
	syncer.Warn = o.ErrOut
	syncer.ServerDryRun = o.DryRunStrategy == cmdutil.DryRunServer

	if o.DryRunStrategy == cmdutil.DryRunClient {
		var objects []runtime.Object
		if createSA {
			objects = append(objects, sa)
		}
		for _, rb := range objs.RoleBindings {
			objects = append(objects, rb)
		}
		for _, crb := range objs.ClusterRoleBindings {
			objects = append(objects, crb)
		}
		objects = append(objects, rbac.NamespaceReaderBinding(t))
		for _, obj := range objects {
			if err := o.printer.PrintObj(obj, o.Out); err != nil {
				return false, err
			}
		}
		if grant.Subject.IsIAM() {
			_, err := syncer.Sync(ctx, before, t, grant.Subject, grant.Via)
			return false, err
		}
		return false, nil
	}

	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRunStrategy == cmdutil.DryRunServer}
	if grant.Subject.IsIAM() {
		// The mapping first: an aws-auth that does not parse, or someone
		// else's entry or access entry for the principal, stops the grant
		// before anything changes; and groups without bindings give
		// nothing in the meantime.
		changed, err := syncer.Sync(ctx, before, t, grant.Subject, grant.Via)
		if err != nil {
			return false, err
		}
		if changed && !a.DryRun {
			fmt.Fprintf(o.ErrOut, "%s mapped through %s\n", grant.Subject, grant.Via)
		}
	}
	results := &apply.Results{}
	if createSA {
		if err := a.ServiceAccount(ctx, sa, results); err != nil {
			return false, err
		}
	}
	if err := a.RoleBindings(ctx, objs.RoleBindings, results); err != nil {
		return false, err
	}
	for _, crb := range objs.ClusterRoleBindings {
		if err := a.ClusterRoleBinding(ctx, crb, results); err != nil {
			return false, err
		}
	}
	if err := a.ClusterRoleBinding(ctx, rbac.NamespaceReaderBinding(t), results); err != nil {
		return false, err
	}
	results.Print(o.ErrOut, a)
	if a.DryRun {
		return false, nil
	}
	fmt.Fprintf(o.ErrOut, "granted %s role %s in tenant %q (%d objects written)\n", grant.Subject, grant.Role, t.Name, results.Writes())
	return specChanged, nil
}
