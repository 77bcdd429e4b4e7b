package kubeconfig

import (
	"fmt"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

// ClusterName is the name of a tenant's cluster entry. Names the plugin
// gives start with tenant.NamePrefix and carry the tenant and the
// subject, so that one cluster used as several subjects never overwrites
// a user entry, and none collides with the user's own.
func ClusterName(tenantName string) string { return tenant.NamePrefix + tenantName }

// UserName is the name of the user entry of a tenant subject, such as
// kubectl-tenant:acme:sa:acme:deployer.
func UserName(tenantName string, subject ...string) string {
	return tenant.NamePrefix + strings.Join(append([]string{tenantName}, subject...), ":")
}

// TenantContext is a context the plugin makes for a tenant subject, with
// its cluster and user entries.
type TenantContext struct {
	Name      string // the context's name
	User      string // the user entry's name (UserName)
	Namespace string
	Cluster   clientcmdv1.Cluster
	AuthInfo  clientcmdv1.AuthInfo
	Extension TenantExtension
	// Current makes the context the current one of the kubeconfig.
	Current bool
}

// Config is the kubeconfig holding the context and nothing else.
func (c TenantContext) Config() (*clientcmdv1.Config, error) {
	clusterName := ClusterName(c.Extension.Tenant)
	ctx := clientcmdv1.Context{Cluster: clusterName, AuthInfo: c.User, Namespace: c.Namespace}
	if err := SetTenantExtension(&ctx, c.Extension); err != nil {
		return nil, err
	}
	cfg := &clientcmdv1.Config{
		APIVersion: "v1", Kind: "Config",
		Clusters:  []clientcmdv1.NamedCluster{{Name: clusterName, Cluster: c.Cluster}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{Name: c.User, AuthInfo: c.AuthInfo}},
		Contexts:  []clientcmdv1.NamedContext{{Name: c.Name, Context: ctx}},
	}
	if c.Current {
		cfg.CurrentContext = c.Name
	}
	return cfg, nil
}

// ExecUser is a user whose credential comes from running kubectl-tenant
// with args (token.IAMRequest.Args): kubectl-tenant itself rather than
// `kubectl tenant`, which would cost a process. It never asks for input,
// so it works where no one is at the keyboard.
func ExecUser(args []string) clientcmdv1.AuthInfo {
	return clientcmdv1.AuthInfo{Exec: &clientcmdv1.ExecConfig{
		APIVersion: "client.authentication.k8s.io/v1", Command: "kubectl-tenant", Args: args,
		InteractiveMode: clientcmdv1.NeverExecInteractiveMode,
	}}
}

// EKSContext is the kubeconfig context of an EKS tenant, named after it:
// the cluster's endpoint and CA as its record holds them, and a user
// whose exec plugin asks kubectl-tenant for a token with the whole
// identity on its command line (the tenant's role chain), so that a warm
// token needs nothing else. It holds no secret.
func EKSContext(t *tenant.Tenant) (*clientcmdv1.Config, error) {
	a, eks := t.Spec.AWS, t.Spec.Cluster.EKS
	if eks == nil || a == nil {
		return nil, fmt.Errorf("tenant %q is not on EKS", t.Name)
	}
	req := token.IAMRequest{Tenant: t.Name, Cluster: eks.Name, Region: a.Region, Chain: token.Chain(a.RoleARNs, a.ExternalID), Profile: a.Profile}
	return TenantContext{
		Name: t.Name, User: UserName(t.Name, "iam"), Namespace: t.Spec.Namespaces[0],
		Cluster:   clientcmdv1.Cluster{Server: t.Status.Server, CertificateAuthorityData: t.Status.CAData},
		AuthInfo:  ExecUser(req.Args()),
		Extension: TenantExtension{Tenant: t.Name, Subject: "iam"},
	}.Config()
}
