// Package kubeconfig is `kubectl tenant kubeconfig`.
package kubeconfig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var kubeconfigLong = templates.LongDesc(`
	Make a kubeconfig context for a tenant subject: the tenant's cluster (as
	its adopted context reaches it), the tenant's first namespace, and a
	short-lived ServiceAccount token from TokenRequest (--duration, default
	1h, at most 12h). No token Secret is created. The context records the
	tenant, the subject and the expiry in an extension, which
	'kubectl tenant contexts list' shows.

	The kubeconfig holding only that context goes to stdout (--minify says so
	explicitly), or to -o FILE; --merge adds it to the active kubeconfig
	instead, replacing an earlier one for the same subject. --flatten inlines
	the cluster's certificate authority. Names never collide: the cluster is
	kubectl-tenant:TENANT, the user kubectl-tenant:TENANT:sa:NS:NAME.

	With --iam-role the context carries no secret at all: its user runs
	'kubectl-tenant token', which assumes the role (through the tenant's role
	chain first with --through-tenant-role) and presigns a token, cached
	until shortly before it expires. The cluster ID is the EKS cluster's
	name, or --cluster-id for a cluster not on EKS.`)

var kubeconfigExample = templates.Examples(`
	# A kubeconfig for acme's deployer, for a CI job
	kubectl tenant kubeconfig acme --serviceaccount deployer --flatten -o deployer.kubeconfig

	# Add it to your own kubeconfig, valid 8 hours
	kubectl tenant kubeconfig acme --serviceaccount deployer --duration 8h --merge

	# A kubeconfig for acme's developers, who assume an IAM role
	kubectl tenant kubeconfig acme --iam-role arn:aws:iam::444455556666:role/acme-dev -o acme-dev.kubeconfig`)

// Options are the options of `kubeconfig`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *string

	Tenant         string
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
	OutFile        string
	ContextName    string

	tenant  *tenant.Tenant
	subject tenant.Subject
	paths   []string
}

// NewCmdKubeconfig makes `kubectl tenant kubeconfig`.
func NewCmdKubeconfig(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "kubeconfig TENANT (--serviceaccount [NS:]NAME [--duration 1h] | --iam-role ARN) [--minify] [--flatten] [--merge | -o FILE]",
		Short:        "Make a kubeconfig context for a tenant subject, with a short-lived token",
		Long:         kubeconfigLong,
		Example:      kubeconfigExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd.Context(), args); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.ServiceAccount, "serviceaccount", "", "The ServiceAccount: NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().StringVar(&o.IAMRole, "iam-role", "", "An IAM role ARN: the context assumes it and gets short-lived tokens from 'kubectl tenant token' (no secret is written)")
	cmd.Flags().StringVar(&o.ClusterID, "cluster-id", "", "With --iam-role on a cluster not on EKS: the cluster ID its aws-iam-authenticator expects")
	cmd.Flags().StringVar(&o.Region, "region", "", "With --iam-role: the STS region (default: the tenant's)")
	cmd.Flags().StringVar(&o.Profile, "profile", "", "With --iam-role: the AWS profile the context's user starts from (default: the standard chain)")
	cmd.Flags().BoolVar(&o.ThroughTenant, "through-tenant-role", false, "With --iam-role: reach the role through the tenant's role chain first")
	cmd.Flags().DurationVar(&o.Duration, "duration", cluster.DefaultTokenDuration, "How long the token is valid (10m to 12h)")
	cmd.Flags().BoolVar(&o.Minify, "minify", false, "Output only the new context (the default for stdout and -o)")
	cmd.Flags().BoolVar(&o.Flatten, "flatten", false, "Inline the cluster's certificate authority")
	cmd.Flags().BoolVar(&o.Merge, "merge", false, "Add the context to the active kubeconfig")
	cmd.Flags().StringVarP(&o.OutFile, "output", "o", "", "Write the kubeconfig to this file")
	cmd.Flags().StringVar(&o.ContextName, "context-name", "", "Name of the new context (default TENANT:NAME, or TENANT:NS:NAME outside the first namespace)")
	return cmd
}

// Complete checks the inputs and reads the tenant.
func (o *Options) Complete(ctx context.Context, args []string) error {
	o.Tenant = args[0]
	if (o.ServiceAccount == "") == (o.IAMRole == "") {
		return errors.New("name one subject: --serviceaccount [NS:]NAME or --iam-role ARN")
	}
	if o.Merge && o.OutFile != "" {
		return errors.New("--merge and -o are exclusive: merge into the active kubeconfig, or write a file")
	}
	if err := cluster.ValidateTokenDuration(o.Duration); err != nil {
		return err
	}
	var err error
	if _, o.tenant, err = tenant.Open(ctx, *o.registryPath, o.Tenant); err != nil {
		return err
	}
	o.paths = cluster.KubeconfigPaths(o.getter)
	if o.IAMRole != "" {
		return o.completeIAM()
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

// Run requests the token and writes the kubeconfig.
func (o *Options) Run(ctx context.Context) error {
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
		return o.emit(ctx, o.buildIAM(clusterEntry))
	}
	conn, err := cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	tok, expiry, err := cluster.ServiceAccountToken(ctx, conn.Client, o.subject.Namespace, o.subject.Name, o.Duration, nil)
	if err != nil {
		return err
	}
	out, err := o.build(clusterEntry, tok, expiry)
	if err != nil {
		return err
	}
	return o.emit(ctx, out)
}

// emit merges, writes or prints the kubeconfig.
func (o *Options) emit(ctx context.Context, out *clientcmdv1.Config) error {
	switch {
	case o.Merge:
		return o.merge(ctx, out)
	case o.OutFile != "":
		return o.write(ctx, out)
	}
	data, err := kcfg.Encode(out)
	if err != nil {
		return err
	}
	_, err = o.Out.Write(data)
	return err
}

// build makes the kubeconfig of the one new context.
func (o *Options) build(c clientcmdv1.Cluster, tok string, expiry time.Time) (*clientcmdv1.Config, error) {
	clusterName := "kubectl-tenant:" + o.Tenant
	userName := "kubectl-tenant:" + o.Tenant + ":sa:" + o.subject.Namespace + ":" + o.subject.Name
	ctx := clientcmdv1.Context{Cluster: clusterName, AuthInfo: userName, Namespace: o.tenant.Spec.Namespaces[0]}
	ext := kcfg.TenantExtension{Tenant: o.Tenant, Subject: o.subject.String(), Expires: expiry.UTC()}
	if err := kcfg.SetTenantExtension(&ctx, ext); err != nil {
		return nil, err
	}
	return &clientcmdv1.Config{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []clientcmdv1.NamedCluster{{Name: clusterName, Cluster: c}},
		AuthInfos:      []clientcmdv1.NamedAuthInfo{{Name: userName, AuthInfo: clientcmdv1.AuthInfo{Token: tok}}},
		Contexts:       []clientcmdv1.NamedContext{{Name: o.ContextName, Context: ctx}},
		CurrentContext: o.ContextName,
	}, nil
}

// merge adds the context to the active kubeconfig, replacing the
// plugin's earlier entries for the same subject.
func (o *Options) merge(ctx context.Context, cfg *clientcmdv1.Config) error {
	path, err := kcfg.AddOwnedContexts(ctx, o.paths, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "context %q added to %s; %s\n", o.ContextName, path, o.expiry(cfg))
	return nil
}

// write puts the kubeconfig in its own file.
func (o *Options) write(ctx context.Context, cfg *clientcmdv1.Config) error {
	path, err := kcfg.AbsPath(o.OutFile)
	if err != nil {
		return err
	}
	unlock, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	if f, err := kcfg.ReadFile(path); err != nil {
		return fmt.Errorf("not overwriting %s: %w; choose another file", path, err)
	} else if f.Exists {
		fmt.Fprintf(o.ErrOut, "replacing %s (its previous content is in %s%s)\n", path, path, kcfg.BackupSuffix)
	}
	if err := kcfg.Write(&kcfg.File{Path: path, Config: cfg}); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "wrote context %q to %s; %s\n", o.ContextName, path, o.expiry(cfg))
	return nil
}

func (o *Options) expiry(cfg *clientcmdv1.Config) string {
	if ext, ok := kcfg.TenantExtensionOf(cfg.Contexts[0].Context); ok && !ext.Expires.IsZero() {
		return "its token expires " + ext.Expires.Format(time.RFC3339)
	}
	return "it gets a fresh token whenever one is needed"
}
