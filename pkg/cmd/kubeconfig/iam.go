package kubeconfig

import (
	"fmt"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

// completeIAM checks what an IAM context needs: the role, the cluster ID
// the token is bound to, and the STS region.
func (o *Options) completeIAM() error {
	if err := aws.ValidateRoleARN(o.IAMRole); err != nil {
		return fmt.Errorf("--iam-role: %w", err)
	}
	t := o.tenant
	if o.ClusterID == "" && t.Spec.Cluster.EKS != nil {
		o.ClusterID = t.Spec.Cluster.EKS.Name
	}
	if o.ClusterID == "" {
		return fmt.Errorf("tenant %q is not on EKS: pass --cluster-id, the cluster ID its aws-iam-authenticator is configured with", o.Tenant)
	}
	if o.Region == "" && t.Spec.AWS != nil {
		o.Region = t.Spec.AWS.Region
	}
	if o.Region == "" {
		return fmt.Errorf("tenant %q has no AWS region: pass --region", o.Tenant)
	}
	if o.ThroughTenant {
		if t.Spec.AWS == nil || len(t.Spec.AWS.RoleARNs) == 0 {
			return fmt.Errorf("--through-tenant-role: tenant %q has no role chain", o.Tenant)
		}
		if t.Spec.AWS.ExternalID != "" {
			return fmt.Errorf("--through-tenant-role: tenant %q's last role needs an external ID, which a token request can give only to the last hop (here %s); let the member assume the role directly", o.Tenant, o.IAMRole)
		}
	}
	if o.ContextName == "" {
		o.ContextName = o.Tenant + ":" + roleName(o.IAMRole)
	}
	return nil
}

// buildIAM makes the kubeconfig of an IAM context: its user runs
// kubectl-tenant token for the role, so the file holds no secret and the
// token is always fresh (cached until shortly before it expires).
func (o *Options) buildIAM(c clientcmdv1.Cluster) *clientcmdv1.Config {
	var chain []string
	if o.ThroughTenant {
		chain = append(chain, o.tenant.Spec.AWS.RoleARNs...)
	}
	chain = append(chain, o.IAMRole)
	args := []string{"token", o.Tenant, "--cluster", o.ClusterID, "--region", o.Region}
	for _, arn := range chain {
		args = append(args, "--role-arn", arn)
	}
	if o.Profile != "" {
		args = append(args, "--profile", o.Profile)
	}
	clusterName := "kubectl-tenant:" + o.Tenant
	userName := "kubectl-tenant:" + o.Tenant + ":iam:" + accountOf(o.IAMRole) + ":" + roleName(o.IAMRole)
	ctx := clientcmdv1.Context{Cluster: clusterName, AuthInfo: userName, Namespace: o.tenant.Spec.Namespaces[0]}
	_ = kcfg.SetTenantExtension(&ctx, kcfg.TenantExtension{Tenant: o.Tenant, Subject: "IAM role " + o.IAMRole})
	return &clientcmdv1.Config{
		APIVersion: "v1", Kind: "Config",
		Clusters: []clientcmdv1.NamedCluster{{Name: clusterName, Cluster: c}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{Name: userName, AuthInfo: clientcmdv1.AuthInfo{Exec: &clientcmdv1.ExecConfig{
			APIVersion: "client.authentication.k8s.io/v1", Command: "kubectl-tenant", Args: args,
			InteractiveMode: clientcmdv1.NeverExecInteractiveMode,
		}}}},
		Contexts:       []clientcmdv1.NamedContext{{Name: o.ContextName, Context: ctx}},
		CurrentContext: o.ContextName,
	}
}

func roleName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func accountOf(arn string) string {
	if parts := strings.Split(arn, ":"); len(parts) > 4 {
		return parts[4]
	}
	return ""
}
