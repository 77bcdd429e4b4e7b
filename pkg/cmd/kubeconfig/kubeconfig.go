// Package kubeconfig is `kubectl tenant kubeconfig`.
package kubeconfig

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var kubeconfigLong = templates.LongDesc(`
	Make a kubeconfig context for a tenant subject: the tenant's cluster (as
	its adopted context reaches it), the tenant's first namespace, and a
	short-lived ServiceAccount token from TokenRequest (--duration, default
	1h, at most 12h). No token Secret is created. The context records the
	tenant, the subject and the expiry in an extension, which
	'kubectl tenant contexts list' shows.

	The kubeconfig holding only that context (--minify, the default) goes to
	stdout, or to --output-file FILE; --merge adds it to the active
	kubeconfig instead, replacing an earlier one for the same subject.
	--flatten inlines the cluster's certificate authority. Names never
	collide: the cluster is kubectl-tenant:TENANT, the user
	kubectl-tenant:TENANT:sa:NS:NAME.

	With --iam-role the context carries no secret at all: its user runs
	'kubectl-tenant token', which assumes the role (through the tenant's role
	chain first with --through-tenant-role) and presigns a token, cached
	until shortly before it expires. The cluster ID is the EKS cluster's
	name, or --cluster-id for a cluster not on EKS.

	Without a subject, an EKS tenant's own context: the one create writes,
	named after the tenant, whose user assumes the tenant's role chain; it
	holds no secret. --all makes that context for every EKS tenant in the
	registry that you may read (other tenants are reached through the
	contexts they were adopted by, and are named on stderr).

	A dry run requests no token and writes no file.`)

var kubeconfigExample = templates.Examples(`
	# A kubeconfig for acme's deployer, for a CI job
	kubectl tenant kubeconfig acme --serviceaccount deployer --flatten --output-file deployer.kubeconfig

	# Add it to your own kubeconfig, valid 8 hours
	kubectl tenant kubeconfig acme --serviceaccount deployer --duration 8h --merge

	# A kubeconfig for acme's developers, who assume an IAM role
	kubectl tenant kubeconfig acme --iam-role arn:aws:iam::444455556666:role/acme-dev --output-file acme-dev.kubeconfig

	# A context for every EKS tenant of the registry, in your kubeconfig
	kubectl tenant kubeconfig --all --merge`)

// Options are the options of `kubeconfig`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag
	PrintFlags   *genericclioptions.PrintFlags
	OutputFile   cmdutil.OutputFile

	Tenant         string
	All            bool
	ServiceAccount string
	IAMRole        string
	ClusterID      string
	Region         string
	Profile        string
	ThroughTenant  bool
	Duration       time.Duration
	Minify         bool
	Flatten        bool
	Merge          bool
	ContextName    string
	DryRunStrategy cmdutil.DryRunStrategy

	tenant  *tenant.Tenant
	tenants []tenant.Tenant // the tenants whose own contexts are made
	subject tenant.Subject
	paths   []string
	format  string
}

// NewCmdKubeconfig makes `kubectl tenant kubeconfig`.
func NewCmdKubeconfig(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath, PrintFlags: cmdutil.NewKubeconfigPrintFlags()}
	cmd := &cobra.Command{
		Use:               "kubeconfig (TENANT [--serviceaccount [NS:]NAME [--duration 1h] | --iam-role ARN] | --all) [--flatten] [--merge | --output-file FILE]",
		Short:             "Make a kubeconfig context for a tenant subject, with a short-lived token",
		Long:              kubeconfigLong,
		Example:           kubeconfigExample,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "The own context of every EKS tenant in the registry you may read")
	cmd.Flags().StringVar(&o.ServiceAccount, "serviceaccount", "", "The ServiceAccount: NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().StringVar(&o.IAMRole, "iam-role", "", "An IAM role ARN: the context assumes it and gets short-lived tokens from 'kubectl tenant token' (no secret is written)")
	cmd.Flags().StringVar(&o.ClusterID, "cluster-id", "", "With --iam-role on a cluster not on EKS: the cluster ID its aws-iam-authenticator expects")
	cmd.Flags().StringVar(&o.Region, "region", "", "With --iam-role: the STS region (default: the tenant's)")
	cmd.Flags().StringVar(&o.Profile, "profile", "", "With --iam-role: the AWS profile the context's user starts from (default: the standard chain)")
	cmd.Flags().BoolVar(&o.ThroughTenant, "through-tenant-role", false, "With --iam-role: reach the role through the tenant's role chain first")
	cmd.Flags().DurationVar(&o.Duration, "duration", cluster.DefaultTokenDuration, "How long the token is valid (10m to 12h)")
	cmd.Flags().BoolVar(&o.Minify, "minify", true, "Output only the new context (the only output there is; --merge adds it to your kubeconfig)")
	cmd.Flags().BoolVar(&o.Flatten, "flatten", false, "Inline the cluster's certificate authority")
	cmd.Flags().BoolVar(&o.Merge, "merge", false, "Add the context to the active kubeconfig")
	cmd.Flags().StringVar(&o.ContextName, "context-name", "", "Name of the new context (default TENANT:NAME, or TENANT:NS:NAME outside the first namespace)")
	o.OutputFile.AddFlag(cmd)
	o.PrintFlags.AddFlags(cmd)
	cmdutil.AddDryRunFlag(cmd)
	cmdutil.CompleteGrantedSubjectFlags(cmd, registryPath)
	return cmd
}

// Complete reads the tenant and resolves defaults.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	var err error
	if o.DryRunStrategy, err = cmdutil.GetDryRunStrategy(cmd); err != nil {
		return err
	}
	if o.format, err = o.OutputFile.Resolve(*o.PrintFlags.OutputFormat, o.PrintFlags.AllowedFormats(), o.ErrOut); err != nil {
		return err
	}
	o.paths = cluster.KubeconfigPaths(o.getter)
	switch {
	case o.All && len(args) > 0:
		return errors.New("name a tenant or give --all, not both")
	case o.All:
		if err := o.registryPath.RefuseContext("kubeconfig --all writes each EKS tenant's own context"); err != nil {
			return err
		}
		return o.completeAll(cmd.Context())
	case len(args) == 0:
		return errors.New("name the tenant (kubectl tenant kubeconfig TENANT), or give --all for every EKS tenant")
	}
	o.Tenant = args[0]
	if _, o.tenant, err = o.registryPath.OpenTenant(cmd.Context(), o.Tenant); err != nil {
		return err
	}
	if o.IAMRole != "" {
		return o.completeIAM()
	}
	if o.ServiceAccount == "" {
		if o.tenant.Spec.Cluster.EKS != nil {
			o.tenants = []tenant.Tenant{*o.tenant}
		}
		return nil // Validate names what is missing
	}
	if o.subject, err = o.tenant.ServiceAccountSubject(o.ServiceAccount); err != nil {
		return err
	}
	if o.ContextName == "" {
		o.ContextName = o.Tenant + ":" + o.subject.Name
		if o.subject.Namespace != o.tenant.Spec.Namespaces[0] {
			o.ContextName = o.Tenant + ":" + o.subject.Namespace + ":" + o.subject.Name
		}
	}
	return nil
}

// completeAll reads every tenant; those on EKS get their own context.
func (o *Options) completeAll(ctx context.Context) error {
	reg, err := o.registryPath.Open()
	if err != nil {
		return err
	}
	all, err := reg.List(ctx)
	if err != nil {
		return fmt.Errorf("--all lists the registry's tenants: %w; name the tenants you may read one by one instead", err)
	}
	for _, t := range all {
		if t.Spec.Cluster.EKS == nil {
			fmt.Fprintf(o.ErrOut, "tenant %q is not on EKS: it is reached through your context %q (or 'kubectl tenant kubeconfig %s --serviceaccount NAME')\n", t.Name, t.Spec.Cluster.Context, t.Name)
			continue
		}
		o.tenants = append(o.tenants, t)
	}
	return nil
}

// Validate checks the inputs; it makes no call.
func (o *Options) Validate() error {
	own := o.All || o.ServiceAccount == "" && o.IAMRole == ""
	switch {
	case o.ServiceAccount != "" && o.IAMRole != "":
		return errors.New("name one subject: --serviceaccount [NS:]NAME or --iam-role ARN")
	case o.All && !own:
		return errors.New("--all makes each EKS tenant's own context; a subject (--serviceaccount, --iam-role) is named for one tenant")
	case own && !o.All && o.tenant.Spec.Cluster.EKS == nil:
		return fmt.Errorf("name a subject: --serviceaccount [NS:]NAME or --iam-role ARN (tenant %q is not on EKS; you reach it through your context %q)", o.Tenant, o.tenant.Spec.Cluster.Context)
	case own && o.ContextName != "":
		return errors.New("--context-name: a tenant's own context is named after the tenant")
	}
	if o.Merge && o.OutputFile.Path != "" {
		return errors.New("--merge and --output-file are exclusive: merge into the active kubeconfig, or write a file")
	}
	if !o.Minify {
		return errors.New("--minify=false: the output holds only the new context; add it to your kubeconfig with --merge")
	}
	if o.format != "" && o.format != "yaml" && (o.Merge || o.OutputFile.Path != "") {
		return fmt.Errorf("-o %s prints to stdout; --merge and --output-file write kubeconfig YAML", o.format)
	}
	if err := cluster.ValidateTokenDuration(o.Duration); err != nil {
		return fmt.Errorf("--duration %w", err)
	}
	return nil
}

// Run requests the token and writes the kubeconfig. A dry run requests no
// token and writes nothing.
func (o *Options) Run(ctx context.Context) error {
	if o.All || o.ServiceAccount == "" && o.IAMRole == "" {
		return o.runOwn(ctx)
	}
	set, err := kcfg.ReadSet(ctx, o.paths)
	if err != nil {
		return err
	}
	var clusterEntry clientcmdv1.Cluster
	if eks := o.tenant.Spec.Cluster.EKS; eks != nil && o.tenant.Status.Server != "" {
		clusterEntry = clientcmdv1.Cluster{Server: o.tenant.Status.Server, CertificateAuthorityData: o.tenant.Status.CAData}
	} else if clusterEntry, err = set.ClusterOf(o.tenant.Spec.Cluster.Context, o.Flatten); err != nil {
		return fmt.Errorf("tenant %q's context: %w", o.Tenant, err)
	}
	if o.IAMRole != "" {
		out, err := o.buildIAM(clusterEntry)
		if err != nil {
			return err
		}
		return o.emit(ctx, out)
	}
	var tok string
	var expiry time.Time
	if o.DryRunStrategy == cmdutil.DryRunNone {
		conn, err := cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
		if err != nil {
			return err
		}
		if tok, expiry, err = cluster.ServiceAccountToken(ctx, conn.Client, o.subject.Namespace, o.subject.Name, o.Duration, nil); err != nil {
			return err
		}
	}
	out, err := kcfg.TenantContext{
		Name: o.ContextName, User: kcfg.UserName(o.Tenant, "sa", o.subject.Namespace, o.subject.Name), Namespace: o.tenant.Spec.Namespaces[0],
		Cluster: clusterEntry, AuthInfo: clientcmdv1.AuthInfo{Token: tok}, Current: true,
		Extension: kcfg.TenantExtension{Tenant: o.Tenant, Subject: o.subject.String(), Expires: expiry.UTC()},
	}.Config()
	if err != nil {
		return err
	}
	return o.emit(ctx, out)
}

// runOwn makes the tenants' own contexts, one kubeconfig with them all.
func (o *Options) runOwn(ctx context.Context) error {
	out := &clientcmdv1.Config{APIVersion: "v1", Kind: "Config"}
	var names []string
	for i := range o.tenants {
		t := &o.tenants[i]
		if t.Status.Server == "" {
			fmt.Fprintf(o.ErrOut, "tenant %q has no endpoint recorded yet (its EKS cluster was not ACTIVE): run its create again to finish it\n", t.Name)
			continue
		}
		one, err := kcfg.EKSContext(t)
		if err != nil {
			return err
		}
		out.Clusters = append(out.Clusters, one.Clusters...)
		out.AuthInfos = append(out.AuthInfos, one.AuthInfos...)
		out.Contexts = append(out.Contexts, one.Contexts...)
		names = append(names, t.Name)
	}
	if len(names) == 0 {
		return errors.New("no EKS tenant with a recorded endpoint: nothing to write")
	}
	if !o.All {
		out.CurrentContext = names[0]
	}
	o.ContextName = strings.Join(names, ", ")
	return o.emit(ctx, out)
}

// emit merges, writes or prints the kubeconfig.
func (o *Options) emit(ctx context.Context, out *clientcmdv1.Config) error {
	dryRun := o.DryRunStrategy != cmdutil.DryRunNone
	switch {
	case o.Merge:
		path, err := kcfg.AddOwnedContexts(ctx, o.paths, out, dryRun)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "context %q %s to %s; %s\n", o.ContextName, o.verb("added"), path, o.expiry(out))
		return nil
	case o.OutputFile.Path != "" && dryRun:
		fmt.Fprintf(o.ErrOut, "context %q %s to %s (dry run)\n", o.ContextName, o.verb("written"), o.OutputFile.Path)
		return nil
	case o.OutputFile.Path != "":
		replaced, err := kcfg.WriteFile(ctx, o.OutputFile.Path, out)
		if err != nil {
			return err
		}
		if replaced {
			fmt.Fprintf(o.ErrOut, "replaced %s (its previous content is in %s%s)\n", o.OutputFile.Path, o.OutputFile.Path, kcfg.BackupSuffix)
		}
		fmt.Fprintf(o.ErrOut, "wrote context %q to %s; %s\n", o.ContextName, o.OutputFile.Path, o.expiry(out))
		return nil
	}
	if dryRun {
		fmt.Fprintln(o.ErrOut, "dry run: no token was requested")
	}
	return cmdutil.PrintKubeconfig(o.Out, o.PrintFlags, o.format, out)
}

func (o *Options) verb(done string) string {
	if o.DryRunStrategy != cmdutil.DryRunNone {
		return "would be " + done + " (dry run)"
	}
	return done
}

func (o *Options) expiry(cfg *clientcmdv1.Config) string {
	if ext, ok := kcfg.TenantExtensionOf(cfg.Contexts[0].Context); ok && !ext.Expires.IsZero() {
		return "its token expires " + ext.Expires.Format(time.RFC3339)
	}
	return "it gets a fresh token whenever one is needed"
}
