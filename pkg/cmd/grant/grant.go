// Package grant is `kubectl tenant grant`.
package grant

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
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
	outside the tenant's namespaces unless --cluster-scope is given.`)

var grantExample = templates.Examples(`
	# Let the deployer ServiceAccount edit everything in acme's namespaces
	kubectl tenant grant acme --serviceaccount deployer --role edit

	# Let a user view one namespace
	kubectl tenant grant acme --user alice@example.com --role view --namespace acme-ci

	# Show the objects without changing anything
	kubectl tenant grant acme --group sre --role admin --dry-run=client`)

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
	DryRun       string
	Output       string

	registry tenant.Registry
	tenant   *tenant.Tenant
	grant    tenant.Grant
	conn     *cluster.Connection
}

// NewCmdGrant makes `kubectl tenant grant`.
func NewCmdGrant(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "grant TENANT (--serviceaccount [NS:]NAME | --user NAME | --group NAME) --role ROLE [--namespace NS]...",
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
	cmd.Flags().StringVar(&o.DryRun, "dry-run", "none", `"client" prints the objects; "server" has the API server check them; nothing is changed`)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "yaml", "Format of the objects --dry-run=client prints: yaml or json")
	return cmd
}

// AddSubjectFlags adds --serviceaccount, --user and --group.
func AddSubjectFlags(cmd *cobra.Command, f *tenant.SubjectFlags) {
	cmd.Flags().StringVar(&f.ServiceAccount, "serviceaccount", "", "A ServiceAccount, NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().StringVar(&f.User, "user", "", "A user name, as the cluster authenticates it")
	cmd.Flags().StringVar(&f.Group, "group", "", "A group name, as the cluster authenticates it")
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
	return nil
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
	role := rbac.ClusterRoleFor(o.grant.Role)
	if _, err := conn.Client.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("no ClusterRole %q in tenant %q's cluster: use admin, edit, view or an existing ClusterRole", role, o.Tenant)
		}
		return Unreachable(o.tenant, err)
	}
	return nil
}

// Run applies what the grant means, then records it.
func (o *Options) Run(ctx context.Context) error {
	t := o.tenant.DeepCopy()
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
				return err
			}
		}
		for _, rb := range objs.RoleBindings {
			if err := p.PrintObj(rb, o.Out); err != nil {
				return err
			}
		}
		for _, crb := range objs.ClusterRoleBindings {
			if err := p.PrintObj(crb, o.Out); err != nil {
				return err
			}
		}
		return p.PrintObj(rbac.NamespaceReaderBinding(t), o.Out)
	}

	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRun == "server"}
	results := &apply.Results{}
	if createSA {
		if err := a.ServiceAccount(ctx, sa, results); err != nil {
			return err
		}
	}
	if err := a.RoleBindings(ctx, objs.RoleBindings, results); err != nil {
		return err
	}
	for _, crb := range objs.ClusterRoleBindings {
		if err := a.ClusterRoleBinding(ctx, crb, results); err != nil {
			return err
		}
	}
	if err := a.ClusterRoleBinding(ctx, rbac.NamespaceReaderBinding(t), results); err != nil {
		return err
	}
	results.Print(o.ErrOut, a.DryRun)
	if a.DryRun {
		return nil
	}
	if specChanged {
		if err := o.registry.Put(ctx, t); err != nil {
			return fmt.Errorf("recording the grant: %w (the cluster objects exist; re-run to record it)", err)
		}
	}
	fmt.Fprintf(o.ErrOut, "granted %s role %s in tenant %q (%d objects written)\n", grant.Subject, grant.Role, t.Name, results.Writes())
	return nil
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
