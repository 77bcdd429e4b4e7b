// Package grant is `kubectl tenant grant`.
package grant

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
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
	registryPath *string

	Tenant       string
	Subject      tenant.SubjectFlags
	Role         string
	Namespaces   []string
	ClusterScope bool
	Via          string
	AccessPolicy string
	DryRun       string
	Output       string
	// AWSOptions apply to the AWS clients of access entries (tests stub
	// EKS with them).
	AWSOptions []func(*config.LoadOptions) error

	registry tenant.Registry
	tenant   *tenant.Tenant
	grant    tenant.Grant
	conn     *cluster.Connection
}

// NewOptions returns grant's options with the flags' defaults.
func NewOptions(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *Options {
	return &Options{IOStreams: streams, getter: getter, registryPath: registryPath, DryRun: "none", Output: "yaml"}
}

// NewCmdGrant makes `kubectl tenant grant`.
func NewCmdGrant(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(getter, registryPath, streams)
	cmd := &cobra.Command{
		Use:          "grant TENANT (--serviceaccount [NS:]NAME | --user NAME | --group NAME | --iam-role ARN | --iam-user ARN) --role ROLE [--namespace NS]...",
		Short:        "Give a subject a role in a tenant",
		Long:         grantLong,
		Example:      grantExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd.Context(), args); err != nil {
				return err
			}
			if err := o.Validate(cmd.Context()); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	AddSubjectFlags(cmd, &o.Subject)
	cmd.Flags().StringVar(&o.Role, "role", "", "admin, edit, view, or the name of a ClusterRole")
	cmd.Flags().StringArrayVar(&o.Namespaces, "namespace", nil, "Limit the grant to this tenant namespace (repeatable; default: all of the tenant's)")
	cmd.Flags().BoolVar(&o.ClusterScope, "cluster-scope", false, "Bind the role cluster-wide with a ClusterRoleBinding")
	cmd.Flags().StringVar(&o.Via, "via", "", "How an IAM principal gets in: access-entry or aws-auth (default: access-entry when the EKS cluster's authentication mode includes API, else aws-auth)")
	cmd.Flags().StringVar(&o.AccessPolicy, "access-policy", "", "With --via access-entry: associate this EKS access policy (view, edit, admin, cluster-admin) scoped to the namespaces, instead of RBAC")
	cmd.Flags().StringVar(&o.DryRun, "dry-run", "none", `"client" prints the objects, the aws-auth diff or the EKS calls; "server" has the API server check them; nothing is changed`)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "yaml", "Format of the objects --dry-run=client prints: yaml or json")
	return cmd
}

// AddSubjectFlags adds --serviceaccount, --user and --group.
func AddSubjectFlags(cmd *cobra.Command, f *tenant.SubjectFlags) {
	cmd.Flags().StringVar(&f.ServiceAccount, "serviceaccount", "", "A ServiceAccount, NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().StringVar(&f.User, "user", "", "A user name, as the cluster authenticates it")
	cmd.Flags().StringVar(&f.Group, "group", "", "A group name, as the cluster authenticates it")
	cmd.Flags().StringVar(&f.IAMRole, "iam-role", "", "An IAM role ARN (EKS, or a cluster with aws-iam-authenticator)")
	cmd.Flags().StringVar(&f.IAMUser, "iam-user", "", "An IAM user ARN (EKS, or a cluster with aws-iam-authenticator)")
}

// Complete reads the tenant and builds the grant.
func (o *Options) Complete(ctx context.Context, args []string) error {
	o.Tenant = args[0]
	var err error
	if o.registry, o.tenant, err = tenant.Open(ctx, *o.registryPath, o.Tenant); err != nil {
		return err
	}
	subject, err := o.Subject.Subject(o.tenant.Spec.Namespaces[0])
	if err != nil {
		return err
	}
	o.grant = tenant.Grant{Subject: subject, Role: o.Role, Namespaces: o.Namespaces, ClusterScope: o.ClusterScope}
	if !subject.IsIAM() {
		if o.Via != "" || o.AccessPolicy != "" {
			return fmt.Errorf("--via and --access-policy are for IAM principals (--iam-role, --iam-user)")
		}
		return nil
	}
	o.grant.Subject = CanonicalIAMSubject(subject, o.ErrOut)
	if o.AccessPolicy != "" && o.Role == "" {
		o.grant.Role = o.AccessPolicy
	}
	if o.AccessPolicy != "" && o.grant.Role != o.AccessPolicy {
		return fmt.Errorf("--access-policy %s takes the place of --role; leave --role out", o.AccessPolicy)
	}
	o.grant.AccessPolicy = o.AccessPolicy
	o.grant.Via, err = Channel(o.tenant, o.grant.Subject, o.Via)
	return err
}

// CanonicalIAMSubject rewrites a role ARN with a path to the form the
// authenticator and EKS match (without the path), and says so.
func CanonicalIAMSubject(s tenant.Subject, errOut io.Writer) tenant.Subject {
	if s.Kind != tenant.SubjectIAMRole {
		return s
	}
	if canonical, changed := awsauth.CanonicalRoleARN(s.Name); changed {
		fmt.Fprintf(errOut, "using %s for %s: IAM authenticates a role without its path, so a mapping with the path would never match\n", canonical, s.Name)
		s.Name = canonical
	}
	return s
}

// Channel decides how principal p gets into the tenant's cluster: the one
// asked for, checked against the cluster's authentication mode, or by
// default access entries when the mode includes API and aws-auth
// otherwise (and for clusters not on EKS, whose aws-iam-authenticator may
// read aws-auth). A principal has one channel per tenant.
func Channel(t *tenant.Tenant, p tenant.Subject, asked string) (string, error) {
	mode := t.Status.AuthenticationMode
	if t.Spec.Cluster.EKS == nil {
		mode = "CONFIG_MAP"
	}
	via := asked
	if via == "" {
		via = tenant.ViaAWSAuth
		if strings.Contains(mode, "API") {
			via = tenant.ViaAccessEntry
		}
	}
	switch {
	case via == tenant.ViaAccessEntry && t.Spec.Cluster.EKS == nil:
		return "", fmt.Errorf("--via access-entry: tenant %q is not on EKS; use --via aws-auth (read by aws-iam-authenticator)", t.Name)
	case via == tenant.ViaAccessEntry && !strings.Contains(mode, "API"):
		return "", fmt.Errorf("--via access-entry: EKS cluster %s authenticates with %s only; switch it to API_AND_CONFIG_MAP (aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP) or use --via aws-auth", t.Spec.Cluster.EKS.Name, mode)
	case via == tenant.ViaAWSAuth && mode == "API":
		return "", fmt.Errorf("--via aws-auth: EKS cluster %s authenticates with access entries only (mode API) and ignores aws-auth; use --via access-entry", t.Spec.Cluster.EKS.Name)
	}
	for _, g := range t.Spec.Grants {
		if g.Subject == p && g.Via != via {
			return "", fmt.Errorf("%s is granted through %s in tenant %q already; grant through the same channel, or move it with 'kubectl tenant aws-auth migrate %s'", p, g.Via, t.Name, t.Name)
		}
	}
	return via, nil
}

// Validate checks the grant, then that the cluster answers and the role
// exists there, before anything changes.
func (o *Options) Validate(ctx context.Context) error {
	if err := ValidateDryRun(o.DryRun); err != nil {
		return err
	}
	if o.Output != "yaml" && o.Output != "json" {
		return fmt.Errorf("--output %q is not supported: use yaml or json", o.Output)
	}
	owned := map[string]bool{}
	for _, ns := range o.tenant.Spec.Namespaces {
		owned[ns] = true
	}
	if errs := tenant.ValidateGrant(field.NewPath("grant"), o.grant, owned); len(errs) > 0 {
		return fmt.Errorf("%w", errs.ToAggregate())
	}
	conn, err := cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	o.conn = conn
	if o.grant.AccessPolicy != "" {
		return nil // EKS enforces the policy; there is no ClusterRole to check
	}
	role := rbac.ClusterRoleFor(o.grant.Role)
	if _, err := conn.Client.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("no ClusterRole %q in tenant %q's cluster: use admin, edit, view or an existing ClusterRole", role, o.Tenant)
		}
		return Unreachable(o.tenant, err)
	}
	return nil
}

// Run applies what the grant means and records it, holding the
// registry so that concurrent grants each see the others' (IAM principals
// share bindings). A dry run only reads.
func (o *Options) Run(ctx context.Context) error {
	if o.DryRun != "none" {
		_, err := o.run(ctx, o.tenant.DeepCopy())
		return err
	}
	return o.registry.Edit(ctx, o.Tenant, func(t *tenant.Tenant) (bool, error) { return o.run(ctx, t) })
}

// run grants on t, the current record, and reports whether t changed.
func (o *Options) run(ctx context.Context, t *tenant.Tenant) (bool, error) {
	o.tenant = t.DeepCopy()
	grant, specChanged := t.AddGrant(o.grant)
	objs := rbac.ForGrant(t, grant)
	var sa = rbac.ServiceAccount(t, grant.Subject)
	createSA := grant.Subject.Kind == tenant.SubjectServiceAccount && slices.Contains(t.Spec.Namespaces, grant.Subject.Namespace)

	if o.DryRun == "client" {
		var p printers.ResourcePrinter = &printers.YAMLPrinter{}
		if o.Output == "json" {
			p = &printers.JSONPrinter{}
		}
		if createSA {
			if err := p.PrintObj(sa, o.Out); err != nil {
				return false, err
			}
		}
		for _, rb := range objs.RoleBindings {
			if err := p.PrintObj(rb, o.Out); err != nil {
				return false, err
			}
		}
		for _, crb := range objs.ClusterRoleBindings {
			if err := p.PrintObj(crb, o.Out); err != nil {
				return false, err
			}
		}
		if err := p.PrintObj(rbac.NamespaceReaderBinding(t), o.Out); err != nil {
			return false, err
		}
		if grant.Subject.IsIAM() {
			_, err := o.syncer(true).Sync(ctx, o.tenant, t, grant.Subject, grant.Via)
			return false, err
		}
		return false, nil
	}

	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRun == "server"}
	if grant.Subject.IsIAM() {
		// The mapping first: an aws-auth that does not parse, or someone
		// else's entry or access entry for the principal, stops the grant
		// before anything changes; and groups without bindings give
		// nothing in the meantime.
		changed, err := o.syncer(a.DryRun).Sync(ctx, o.tenant, t, grant.Subject, grant.Via)
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
	results.Print(o.ErrOut, a.DryRun)
	if a.DryRun {
		return false, nil
	}
	fmt.Fprintf(o.ErrOut, "granted %s role %s in tenant %q (%d objects written)\n", grant.Subject, grant.Role, t.Name, results.Writes())
	return specChanged, nil
}

// syncer changes IAM mappings in the tenant's cluster and account.
func (o *Options) syncer(dryRun bool) *iamgrant.Syncer {
	return NewSyncer(o.tenant, o.conn, o.AWSOptions, dryRun, o.Out)
}

// NewSyncer makes the Syncer of a tenant's IAM mappings.
func NewSyncer(t *tenant.Tenant, conn *cluster.Connection, awsOptions []func(*config.LoadOptions) error, dryRun bool, out io.Writer) *iamgrant.Syncer {
	s := &iamgrant.Syncer{DryRun: dryRun, Out: out}
	if conn != nil {
		s.Kube = conn.Client
	}
	s.AWS = func(ctx context.Context) (awssdk.Config, error) {
		if t.Spec.AWS == nil {
			return awssdk.Config{}, fmt.Errorf("tenant %q has no AWS identity to act as", t.Name)
		}
		return cluster.AWSIdentity(t.Spec.AWS).Config(ctx, awsOptions...)
	}
	return s
}

// ValidateDryRun checks a --dry-run value.
func ValidateDryRun(v string) error {
	switch v {
	case "none", "client", "server":
		return nil
	}
	return fmt.Errorf(`--dry-run %q: use "none", "client" or "server"`, v)
}

// Unreachable explains a failed call to a tenant's cluster.
func Unreachable(t *tenant.Tenant, err error) error {
	return fmt.Errorf("tenant %q's cluster (context %q) did not answer: %w; check the context with 'kubectl --context %s get ns'",
		t.Name, t.Spec.Cluster.Context, err, t.Spec.Cluster.Context)
}
