package create

import (
	"context"
	"errors"
	"fmt"

	"os"
	"time"

	"golang.org/x/term"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// EKSOptions are create's flags for a tenant's EKS cluster.
type EKSOptions struct {
	RoleARNs          []string
	Region            string
	ExternalID        string
	SessionName       string
	Duration          time.Duration
	Profile           string
	Cluster           string
	KubernetesVersion string
	SubnetIDs         []string
	SecurityGroupIDs  []string
	EndpointAccess    string
	PublicAccessCIDRs []string
	AuthMode          string
	ClusterRoleARN    string
	Tags              map[string]string
	Wait              bool
	Timeout           time.Duration
	Adopt             bool
}

func (e *EKSOptions) identity() aws.Identity {
	return aws.NewIdentity(e.Profile, e.Region, e.SessionName, e.Duration, e.RoleARNs, e.ExternalID)
}

// validateEKS checks every EKS input before any call.
func (o *Options) validateEKS(ctx context.Context) error {
	e := &o.EKS
	if e.Cluster == "" {
		e.Cluster = o.Name
	}
	if err := tenant.ValidateName(o.Name); err != nil {
		return err
	}
	if len(e.RoleARNs) == 0 && e.ExternalID != "" {
		return errors.New("--external-id needs the --role-arn it belongs to")
	}
	if err := e.identity().Validate(); err != nil {
		return err
	}
	if err := aws.ValidateClusterName(e.Cluster); err != nil {
		return fmt.Errorf("--cluster: %w", err)
	}
	switch e.EndpointAccess {
	case "public", "private", "public-and-private":
	default:
		return fmt.Errorf("--endpoint-access %q: use public, private or public-and-private", e.EndpointAccess)
	}
	switch e.AuthMode {
	case "API", "API_AND_CONFIG_MAP", "CONFIG_MAP":
	default:
		return fmt.Errorf("--authentication-mode %q: use API, API_AND_CONFIG_MAP or CONFIG_MAP", e.AuthMode)
	}
	if e.ClusterRoleARN != "" {
		if err := aws.ValidateRoleARN(e.ClusterRoleARN); err != nil {
			return fmt.Errorf("--cluster-role-arn: %w", err)
		}
	}
	if _, err := o.registry.Get(ctx, o.Name); err == nil {
		return fmt.Errorf("tenant %q exists; delete it first or choose another name", o.Name)
	} else if !errors.Is(err, tenant.ErrNotFound) {
		return err
	}
	return nil
}

// runEKS creates or adopts the cluster, records the tenant and adds its
// kubeconfig context.
func (o *Options) runEKS(ctx context.Context) error {
	e := &o.EKS
	id := e.identity()
	cfg, err := id.Config(ctx)
	if err != nil {
		return err
	}
	if err := aws.CheckRegion(ctx, cfg); err != nil {
		return err
	}
	progress := o.progress()
	rec := &tenant.EKSCluster{Name: e.Cluster}

	if e.Adopt {
		c, err := aws.DescribeCluster(ctx, cfg, e.Cluster)
		if err != nil {
			return fmt.Errorf("adopting: %w", err)
		}
		rec.CreatedByPlugin = c.CreatedByPlugin()
	} else {
		subnets := e.SubnetIDs
		if len(subnets) == 0 {
			if subnets, err = aws.DefaultSubnets(ctx, cfg); err != nil {
				return err
			}
		}
		roleARN := e.ClusterRoleARN
		if roleARN == "" {
			name := "kubectl-tenant-" + o.Name + "-cluster"
			if roleARN, rec.ClusterRoleCreated, err = aws.EnsureClusterRole(ctx, cfg, name, o.Name); err != nil {
				return err
			}
		}
		rec.ClusterRoleARN = roleARN
		spec := aws.ClusterSpec{
			Name: e.Cluster, Tenant: o.Name, Version: e.KubernetesVersion, SubnetIDs: subnets,
			SecurityGroupIDs: e.SecurityGroupIDs, EndpointAccess: e.EndpointAccess, PublicAccessCIDRs: e.PublicAccessCIDRs,
			AuthMode: e.AuthMode, RoleARN: roleARN, Tags: e.Tags,
		}
		if err := aws.CreateCluster(ctx, cfg, spec); err != nil {
			if errors.Is(err, aws.ErrClusterExists) {
				return fmt.Errorf("EKS cluster %s already exists in %s: add --adopt to adopt it", e.Cluster, e.Region)
			}
			return err
		}
		rec.CreatedByPlugin = true
		progress(fmt.Sprintf("creating EKS cluster %s in %s", e.Cluster, e.Region))
	}

	var c *aws.Cluster
	if e.Wait {
		c, err = aws.WaitActive(ctx, cfg, e.Cluster, e.Timeout, func(status string) { progress("cluster " + e.Cluster + " is " + status) })
	} else {
		c, err = aws.DescribeCluster(ctx, cfg, e.Cluster)
	}
	if err != nil {
		return err
	}
	rec.ARN = c.ARN

	t := tenant.New(o.Name)
	t.Spec.Namespaces = o.Namespaces
	t.Spec.Cluster = tenant.Cluster{Context: o.Name, Server: c.Endpoint, EKS: rec}
	t.Spec.AWS = &tenant.AWS{Region: e.Region, RoleARNs: e.RoleARNs, ExternalID: e.ExternalID, SessionName: e.SessionName,
		DurationSeconds: int32(e.Duration / time.Second), Profile: e.Profile}
	t.Status = tenant.Status{Server: c.Endpoint, KubernetesVersion: c.Version, CAData: c.CAData, AuthenticationMode: c.AuthMode}
	if err := o.registry.Put(ctx, t); err != nil {
		return fmt.Errorf("recording tenant %q: %w (the cluster exists; re-run with --adopt)", o.Name, err)
	}
	path, err := kcfg.AddOwnedContexts(ctx, cluster.KubeconfigPaths(o.getter), EKSContext(t))
	if err != nil {
		return fmt.Errorf("adding the kubeconfig context: %w (the tenant is recorded)", err)
	}
	verb := "adopted"
	if !e.Adopt {
		verb = "created"
	}
	fmt.Fprintf(o.ErrOut, "tenant %q %s: EKS cluster %s (%s, Kubernetes %s, authentication %s); context %q added to %s\n",
		o.Name, verb, c.Name, c.ARN, c.Version, c.AuthMode, o.Name, path)
	return nil
}

// EKSContext is the kubeconfig context of an EKS tenant: the cluster's
// endpoint and CA, and a user whose exec plugin is kubectl-tenant itself
// (not through kubectl, which would cost a process), with the whole
// identity on its command line so that a warm token needs nothing else.
func EKSContext(t *tenant.Tenant) *clientcmdv1.Config {
	a, eks := t.Spec.AWS, t.Spec.Cluster.EKS
	args := []string{"token", t.Name, "--cluster", eks.Name, "--region", a.Region}
	for _, arn := range a.RoleARNs {
		args = append(args, "--role-arn", arn)
	}
	if a.ExternalID != "" {
		args = append(args, "--external-id", a.ExternalID)
	}
	if a.Profile != "" {
		args = append(args, "--profile", a.Profile)
	}
	clusterName, userName := "kubectl-tenant:"+t.Name, "kubectl-tenant:"+t.Name+":iam"
	ctx := clientcmdv1.Context{Cluster: clusterName, AuthInfo: userName, Namespace: t.Spec.Namespaces[0]}
	_ = kcfg.SetTenantExtension(&ctx, kcfg.TenantExtension{Tenant: t.Name, Subject: "iam"})
	return &clientcmdv1.Config{
		APIVersion: "v1", Kind: "Config",
		Clusters: []clientcmdv1.NamedCluster{{Name: clusterName, Cluster: clientcmdv1.Cluster{Server: t.Status.Server, CertificateAuthorityData: t.Status.CAData}}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{Name: userName, AuthInfo: clientcmdv1.AuthInfo{Exec: &clientcmdv1.ExecConfig{
			APIVersion: "client.authentication.k8s.io/v1", Command: "kubectl-tenant", Args: args, InteractiveMode: clientcmdv1.NeverExecInteractiveMode,
		}}}},
		Contexts: []clientcmdv1.NamedContext{{Name: t.Name, Context: ctx}},
	}
}

// progress reports waiting: a live line on a terminal, timestamped lines
// otherwise.
func (o *Options) progress() func(string) {
	f, ok := o.ErrOut.(*os.File)
	if ok && term.IsTerminal(int(f.Fd())) {
		return func(msg string) { fmt.Fprintf(o.ErrOut, "\r\033[K%s", msg) }
	}
	return func(msg string) { fmt.Fprintf(o.ErrOut, "%s %s\n", time.Now().Format(time.RFC3339), msg) }
}
