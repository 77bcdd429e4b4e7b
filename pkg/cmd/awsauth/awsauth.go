// Package awsauth is `kubectl tenant aws-auth`: the backups kept of a
// cluster's aws-auth, restoring one, and moving a tenant's mappings to
// EKS access entries.
package awsauth

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	authmap "github.com/kubectl-tenant/kubectl-tenant/pkg/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var restoreLong = templates.LongDesc(`
	Put back an earlier version of the aws-auth ConfigMap of a tenant's
	cluster: the newest backup, or --version. kubectl-tenant keeps the
	content from before each of its changes (the last 10, in
	kube-system/aws-auth-kubectl-tenant-backup); what a restore replaces is
	kept in turn, so a restore can be undone the same way. A restore that
	would drop a node mapping or a system:masters mapping needs --force.`)

var restoreExample = templates.Examples(`
	# See the kept versions, then put the newest back
	kubectl tenant aws-auth backups acme
	kubectl tenant aws-auth restore acme

	# Show what a restore would change
	kubectl tenant aws-auth restore acme --version 1795502400000000000 --dry-run`)

var migrateLong = templates.LongDesc(`
	Move a tenant's IAM principals from aws-auth to EKS access entries, one
	principal at a time: create its access entry (same username and
	groups), read it back to verify, then remove its aws-auth entry and
	record the new channel. A failed step stops the migration with nothing
	lost: the principal keeps its aws-auth entry, and a re-run picks up
	where it stopped. The cluster's authentication mode must include API.`)

var awsAuthLong = templates.LongDesc(`
	The kube-system/aws-auth ConfigMap of a tenant's cluster, which
	aws-iam-authenticator reads: the versions kubectl-tenant kept before
	each of its changes, restoring one, and moving a tenant's IAM principals
	to EKS access entries.`)

var backupsExample = templates.Examples(`
	# The kept versions of acme's aws-auth, newest first
	kubectl tenant aws-auth backups acme`)

var migrateExample = templates.Examples(`
	# See the EKS calls and the aws-auth change, then migrate
	kubectl tenant aws-auth migrate acme --dry-run=server
	kubectl tenant aws-auth migrate acme`)

// NewCmdAWSAuth makes `kubectl tenant aws-auth`.
func NewCmdAWSAuth(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "aws-auth",
		Short:   "Backups and restore of aws-auth, and migration to EKS access entries",
		Long:    awsAuthLong,
		Example: backupsExample + "\n\n" + restoreExample,
	}
	cmd.AddCommand(NewCmdBackups(getter, registryPath, streams), NewCmdRestore(getter, registryPath, streams), NewCmdMigrate(getter, registryPath, streams))
	return cmd
}

// base is what the subcommands share: the tenant, its cluster's client
// and its aws-auth.
type base struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Tenant         string
	DryRunStrategy cmdutil.DryRunStrategy

	registry tenant.Registry
	tenant   *tenant.Tenant
	conn     *cluster.Connection
	store    *authmap.Store
}

// Complete reads the tenant and makes its cluster's client.
func (b *base) Complete(cmd *cobra.Command, args []string) error {
	b.Tenant = args[0]
	target, err := cmdutil.OpenTarget(cmd, b.registryPath, b.Tenant)
	if err != nil {
		return err
	}
	b.registry, b.tenant, b.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	if b.conn, err = cluster.Connect(b.getter, b.tenant.Spec.Cluster.Context); err != nil {
		return err
	}
	b.store = &authmap.Store{Client: b.conn.Client, DryRun: b.DryRunStrategy == cmdutil.DryRunServer, Warn: b.ErrOut}
	return nil
}

// BackupsOptions are the options of `aws-auth backups`.
type BackupsOptions struct {
	base
	NoHeaders bool
}

// NewCmdBackups makes `kubectl tenant aws-auth backups`.
func NewCmdBackups(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &BackupsOptions{base: base{IOStreams: streams, getter: getter, registryPath: registryPath}}
	cmd := &cobra.Command{
		Use:               "backups TENANT",
		Short:             "List the kept versions of the tenant cluster's aws-auth, newest first",
		Long:              restoreLong,
		Example:           backupsExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmdutil.AddNoHeadersFlag(cmd, &o.NoHeaders)
	return cmd
}

// Run lists the backups.
func (o *BackupsOptions) Run(ctx context.Context) error {
	backups, err := o.store.Backups(ctx)
	if err != nil {
		return err
	}
	if len(backups) == 0 {
		fmt.Fprintf(o.ErrOut, "no aws-auth backups in tenant %q's cluster yet\n", o.Tenant)
		return nil
	}
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		fmt.Fprintln(w, "VERSION\tMAPROLES\tMAPUSERS")
	}
	for _, v := range backups {
		entries, err := authmap.Entries(v.Data)
		if err != nil {
			fmt.Fprintf(w, "%s\t?\t?\t(does not parse: %v)\n", v.Version, err)
			continue
		}
		roles := 0
		for _, e := range entries {
			if e.Role != nil {
				roles++
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%d\n", v.Version, roles, len(entries)-roles)
	}
	return w.Flush()
}

// RestoreOptions are the options of `aws-auth restore`.
type RestoreOptions struct {
	base
	Version string
	Force   bool
}

// NewCmdRestore makes `kubectl tenant aws-auth restore`.
func NewCmdRestore(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RestoreOptions{base: base{IOStreams: streams, getter: getter, registryPath: registryPath}}
	cmd := &cobra.Command{
		Use:               "restore TENANT [--version V]",
		Short:             "Put an earlier version of the tenant cluster's aws-auth back",
		Long:              restoreLong,
		Example:           restoreExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.Version, "version", "", "The version to restore (see 'aws-auth backups'; default: the newest)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "Restore even when it drops a node or system:masters mapping, or your own")
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Run restores. A dry run prints the change; on the server the API server
// also checks the write (and no backup is kept, since nothing changes).
func (o *RestoreOptions) Run(ctx context.Context) error {
	name := o.Tenant
	backups, err := o.store.Backups(ctx)
	if err != nil {
		return err
	}
	pick, err := authmap.Pick(backups, o.Version)
	if err != nil {
		return fmt.Errorf("tenant %q's cluster: %w; 'kubectl tenant aws-auth backups %s' lists them", name, err, name)
	}
	caller := ""
	if !o.Force {
		if caller, err = authmap.CallerARN(ctx, o.conn.Client); err != nil {
			return err
		}
	}
	// The check and the diff see the data the write is based on.
	var diff bytes.Buffer
	check := func(current map[string]string) error {
		if lost := protectedLost(current, pick.Data); len(lost) > 0 && !o.Force {
			return fmt.Errorf("restoring version %s would drop %s; pass --force if you mean it", pick.Version, strings.Join(lost, ", "))
		}
		if lost := authmap.CallerLost(current, pick.Data, caller); lost != "" {
			return fmt.Errorf("restoring version %s would remove %s: you would lose access; pass --force if you mean it", pick.Version, lost)
		}
		diff.Reset()
		authmap.Diff(&diff, current, pick.Data)
		return nil
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		current, err := o.store.Read(ctx)
		if err != nil {
			return err
		}
		if err := check(current); err != nil {
			return err
		}
		_, err = o.Out.Write(diff.Bytes())
		return err
	}
	if err := o.store.Restore(ctx, pick, check); err != nil {
		return err
	}
	if _, err := o.Out.Write(diff.Bytes()); err != nil {
		return err
	}
	if o.store.DryRun {
		fmt.Fprintf(o.ErrOut, "aws-auth version %s would be restored in tenant %q's cluster (server dry run)\n", pick.Version, name)
		return nil
	}
	fmt.Fprintf(o.ErrOut, "restored aws-auth version %s in tenant %q's cluster; what it replaced is kept as the newest backup\n", pick.Version, name)
	return nil
}

// protectedLost lists the node and system:masters mappings of current
// that next does not have.
func protectedLost(current, next map[string]string) []string {
	have, err := authmap.Entries(current)
	if err != nil {
		return nil // an unparsable aws-auth has nothing to protect that we can see
	}
	keep, err := authmap.Entries(next)
	if err != nil {
		return nil
	}
	var lost []string
	for _, e := range have {
		if !e.Protected() {
			continue
		}
		if !slices.ContainsFunc(keep, func(k authmap.Entry) bool {
			return strings.EqualFold(k.ARN(), e.ARN()) && slices.Equal(k.Groups(), e.Groups())
		}) {
			lost = append(lost, fmt.Sprintf("%s (%v)", e.ARN(), e.Groups()))
		}
	}
	return lost
}

// MigrateOptions are the options of `aws-auth migrate`.
type MigrateOptions struct {
	base
	// AWSOptions apply to the EKS clients (tests stub access entries).
	AWSOptions []aws.ConfigOption
	// Force lets an aws-auth entry go once its access entry is in place
	// even when it maps nodes or is the last system:masters mapping.
	Force bool
}

// NewCmdMigrate makes `kubectl tenant aws-auth migrate`.
func NewCmdMigrate(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewMigrateOptions(getter, registryPath, streams)
	cmd := &cobra.Command{
		Use:               "migrate TENANT",
		Short:             "Move a tenant's IAM principals from aws-auth to EKS access entries",
		Long:              migrateLong,
		Example:           migrateExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "Remove a moved principal's aws-auth entry even when it maps nodes or is the last system:masters mapping")
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// NewMigrateOptions returns migrate's options.
func NewMigrateOptions(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *MigrateOptions {
	return &MigrateOptions{base: base{IOStreams: streams, getter: getter, registryPath: registryPath}}
}

// Validate checks that the tenant's cluster has access entries to move to.
func (o *MigrateOptions) Validate() error {
	t := o.tenant
	if t.Spec.Cluster.EKS == nil {
		return fmt.Errorf("tenant %q is not on EKS: there are no access entries to move to", t.Name)
	}
	if !strings.Contains(t.Status.AuthenticationMode, "API") {
		return fmt.Errorf("EKS cluster %s authenticates with %s only; switch it to API_AND_CONFIG_MAP first (aws eks update-cluster-config --name %s --access-config authenticationMode=API_AND_CONFIG_MAP)",
			t.Spec.Cluster.EKS.Name, t.Status.AuthenticationMode, t.Spec.Cluster.EKS.Name)
	}
	return nil
}

// Run migrates each principal in turn, recording each one done.
func (o *MigrateOptions) Run(ctx context.Context) error {
	return tenant.EditOrPreview(ctx, o.registry, o.tenant, o.DryRunStrategy != cmdutil.DryRunNone,
		func(t *tenant.Tenant) (bool, error) { return o.migrate(ctx, t) })
}

func (o *MigrateOptions) migrate(ctx context.Context, t *tenant.Tenant) (bool, error) {
	var principals []tenant.Subject
	for _, g := range t.Spec.Grants {
		if g.Via == tenant.ViaAWSAuth && !slices.Contains(principals, g.Subject) {
			principals = append(principals, g.Subject)
		}
	}
	if len(principals) == 0 {
		fmt.Fprintf(o.ErrOut, "tenant %q has no principals in aws-auth; nothing to migrate\n", t.Name)
		return false, nil
	}
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	syncer := iamgrant.NewSyncer(t, o.conn.Client, o.AWSOptions, dryRun, o.Out)
	syncer.Warn = o.ErrOut
	var preview map[string]string // a dry run's aws-auth, read once
	if dryRun {
		var err error
		if preview, err = o.store.Read(ctx); err != nil {
			return false, err
		}
	}
	changed := false
	for _, p := range principals {
		after := t.DeepCopy()
		for i := range after.Spec.Grants {
			if after.Spec.Grants[i].Subject == p {
				after.Spec.Grants[i].Via = tenant.ViaAccessEntry
			}
		}
		if _, err := syncer.Sync(ctx, t, after, p, tenant.ViaAccessEntry); err != nil {
			return changed, fmt.Errorf("migrating %s: %w; its aws-auth entry is kept", p, err)
		}
		remove := func(d map[string]string) (map[string]string, bool, error) {
			return authmap.Remove(d, p.Name, t.Name, o.Force)
		}
		if dryRun {
			next, ok, err := remove(preview)
			if err != nil {
				return false, err
			}
			if ok {
				authmap.Diff(o.Out, preview, next)
				preview = next
			}
			continue
		}
		if err := o.verify(ctx, syncer, after, p); err != nil {
			return changed, fmt.Errorf("migrating %s: verifying its access entry: %w; its aws-auth entry is kept (re-run to finish)", p, err)
		}
		if _, err := o.store.Update(ctx, remove); err != nil {
			return changed, fmt.Errorf("migrating %s: its access entry is in place, but removing its aws-auth entry failed (re-run to finish): %w", p, err)
		}
		*t = *after
		changed = true
		fmt.Fprintf(o.ErrOut, "%s moved from aws-auth to an access entry\n", p)
	}
	return changed, nil
}

// verify reads the access entry back: it must give the same username and
// groups the aws-auth entry gave.
func (o *MigrateOptions) verify(ctx context.Context, syncer *iamgrant.Syncer, t *tenant.Tenant, p tenant.Subject) error {
	want := iamgrant.AccessEntryFor(t, p)
	cfg, err := syncer.AWS(ctx)
	if err != nil {
		return err
	}
	username, groups, found, err := aws.DescribeAccessEntry(ctx, cfg, want.Cluster, p.Name)
	if err != nil {
		return err
	}
	if !found || username != want.Username || !slices.Equal(groups, want.Groups) {
		return fmt.Errorf("it reads back as username %q, groups %v (found %v), want %q, %v", username, groups, found, want.Username, want.Groups)
	}
	return nil
}
