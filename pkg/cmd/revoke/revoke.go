// Package revoke is `kubectl tenant revoke`, the inverse of grant.
package revoke

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var revokeLong = templates.LongDesc(`
	Take back what grant gave: the subject's bindings (of --role only, in
	--namespace only, when given), its right to get the tenant's namespaces
	once no grant names it, and a ServiceAccount the plugin created once no
	grant uses it. Objects the plugin did not create are never deleted.`)

var revokeExample = templates.Examples(`
	# Everything the deployer ServiceAccount was granted in acme
	kubectl tenant revoke acme --serviceaccount deployer

	# Only alice's view role in one namespace
	kubectl tenant revoke acme --user alice@example.com --role view --namespace acme-ci`)

// Options are the options of `revoke`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Tenant         string
	Subject        tenant.SubjectFlags
	Role           string
	Namespaces     []string
	DryRunStrategy cmdutil.DryRunStrategy
	Force          bool
	// AWSOptions apply to the AWS clients of access entries (tests stub
	// EKS with them).
	AWSOptions []aws.ConfigOption

	registry tenant.Registry
	tenant   *tenant.Tenant
	subject  tenant.Subject
	conn     *cluster.Connection
}

// NewOptions returns revoke's options with the flags' defaults.
func NewOptions(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *Options {
	return &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
}

// NewCmdRevoke makes `kubectl tenant revoke`.
func NewCmdRevoke(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(getter, registryPath, streams)
	cmd := &cobra.Command{
		Use:               "revoke TENANT (--serviceaccount [NS:]NAME | --user NAME | --group NAME | --iam-role ARN | --iam-user ARN) [--role ROLE] [--namespace NS]...",
		Short:             "Take back a subject's grants in a tenant",
		Long:              revokeLong,
		Example:           revokeExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmdutil.AddSubjectFlags(cmd, &o.Subject)
	cmd.Flags().StringVar(&o.Role, "role", "", "Revoke only this role (default: every role of the subject)")
	cmd.Flags().StringArrayVar(&o.Namespaces, "namespace", nil, "Revoke only in this namespace (repeatable)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "Let an aws-auth entry go even when it maps nodes, is the last system:masters mapping, or maps you")
	cmdutil.AddDryRunFlag(cmd)
	cmdutil.CompleteGrantedSubjectFlags(cmd, registryPath)
	_ = cmd.RegisterFlagCompletionFunc("role", cmdutil.CompleteGrantedRoles(registryPath))
	_ = cmd.RegisterFlagCompletionFunc("namespace", cmdutil.CompleteTenantNamespaces(registryPath))
	return cmd
}

// Complete reads the tenant and the subject, and makes the cluster's client.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant = args[0]
	target, err := cmdutil.OpenTarget(cmd, o.registryPath, o.Tenant)
	if err != nil {
		return err
	}
	o.registry, o.tenant, o.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	if o.subject, err = o.Subject.Subject(o.tenant.Spec.Namespaces[0]); err != nil {
		return err
	}
	o.subject = cmdutil.CanonicalSubject(o.subject, o.ErrOut)
	o.conn, err = cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	return err
}

// Validate checks the role and namespaces named; it makes no call.
func (o *Options) Validate() error {
	if o.Role != "" {
		if errs := tenant.ValidateRoleName(field.NewPath("--role"), o.Role); len(errs) > 0 {
			return errs.ToAggregate()
		}
	}
	for _, ns := range o.Namespaces {
		if !slices.Contains(o.tenant.Spec.Namespaces, ns) {
			return fmt.Errorf("--namespace %s is not one of tenant %q's namespaces %v", ns, o.Tenant, o.tenant.Spec.Namespaces)
		}
	}
	return nil
}

// Run removes the bindings, then the record, then what nothing uses.
//
// It holds the registry while it works, so that concurrent grants and
// revokes each see the others'. A dry run only reads.
func (o *Options) Run(ctx context.Context) error {
	return tenant.EditOrPreview(ctx, o.registry, o.tenant, o.DryRunStrategy != cmdutil.DryRunNone,
		func(t *tenant.Tenant) (bool, error) { return o.run(ctx, t) })
}

// run revokes on t, the current record, and reports whether t changed.
func (o *Options) run(ctx context.Context, t *tenant.Tenant) (bool, error) {
	before := t.DeepCopy()
	revoked := t.RevokeGrants(o.subject, o.Role, o.Namespaces)
	if len(revoked) == 0 {
		return false, fmt.Errorf("tenant %q has no grant to %s%s; see the registry with 'kubectl tenant get %s -o yaml'",
			o.Tenant, o.subject, roleSuffix(o.Role), o.Tenant)
	}
	client := o.DryRunStrategy == cmdutil.DryRunClient
	if client {
		for _, r := range revoked {
			fmt.Fprintf(o.Out, "would revoke role %s from %s in %v\n", r.Grant.Role, r.Grant.Subject, r.Namespaces)
		}
		if !o.subject.IsIAM() {
			return false, nil
		}
	}
	a := &apply.Applier{Client: o.conn.Client, DryRun: o.DryRunStrategy != cmdutil.DryRunNone}
	results := &apply.Results{}
	if o.subject.IsIAM() {
		if err := o.revokeIAM(ctx, before, t, revoked, a, results); err != nil || client {
			return false, err
		}
	}
	for _, r := range revoked {
		if r.Grant.Subject.IsIAM() {
			continue
		}
		g := r.Grant
		g.Namespaces = r.Namespaces
		objs := rbac.ForGrant(t, g)
		if err := a.DeleteRoleBindings(ctx, t.Name, objs.RoleBindings, results); err != nil {
			return false, err
		}
		for _, crb := range objs.ClusterRoleBindings {
			if err := a.DeleteClusterRoleBinding(ctx, crb, results); err != nil {
				return false, err
			}
		}
	}
	if err := a.ClusterRoleBinding(ctx, rbac.NamespaceReaderBinding(t), results); err != nil {
		return false, err
	}
	if !t.NamesSubject(o.subject) && o.subject.Kind == tenant.SubjectServiceAccount {
		if err := a.DeleteServiceAccount(ctx, rbac.ServiceAccount(t, o.subject), results); err != nil {
			return false, err
		}
	}
	results.Print(o.ErrOut, a)
	if a.DryRun {
		return false, nil
	}
	fmt.Fprintf(o.ErrOut, "revoked %d grant(s) of %s in tenant %q\n", len(revoked), o.subject, t.Name)
	return true, nil
}

// revokeIAM takes the principal out first (its mapping loses the revoked
// groups, or goes), then the bindings of its groups that no other
// principal's grant still needs. In dry-run it only reports.
func (o *Options) revokeIAM(ctx context.Context, before, t *tenant.Tenant, revoked []tenant.Revocation, a *apply.Applier, results *apply.Results) error {
	s := iamgrant.NewSyncer(t, o.conn.Client, o.AWSOptions, a.DryRun, o.Out)
	s.Warn = o.ErrOut
	s.ServerDryRun = o.DryRunStrategy == cmdutil.DryRunServer
	s.Force = o.Force
	changed, err := s.Sync(ctx, before, t, o.subject, revoked[0].Grant.Via)
	if err != nil {
		return err
	}
	if changed && !a.DryRun {
		fmt.Fprintf(o.ErrOut, "%s unmapped from %s\n", o.subject, revoked[0].Grant.Via)
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		return nil
	}
	done := map[string]bool{}
	for _, r := range revoked {
		if done[r.Grant.Role] || !rbac.UsesRBAC(r.Grant) {
			continue
		}
		done[r.Grant.Role] = true
		keep, drop := rbac.IAMRoleBindings(t, r.Grant.Role)
		if err := a.RoleBindings(ctx, keep, results); err != nil {
			return err
		}
		if err := a.DeleteRoleBindings(ctx, t.Name, drop, results); err != nil {
			return err
		}
	}
	return nil
}

func roleSuffix(role string) string {
	if role == "" {
		return ""
	}
	return " of role " + role
}
