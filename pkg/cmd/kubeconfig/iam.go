package kubeconfig

import (
	"fmt"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

// completeIAM checks what an IAM context needs: the role, the cluster ID
// the token is bound to, and the STS region.
func (o *Options) completeIAM() error {
	role, err := iamarn.ParseRole(o.IAMRole)
	if err != nil {
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
	}
	if o.ContextName == "" {
		o.ContextName = o.Tenant + ":" + role.Name
	}
	return nil
}

// buildIAM makes the kubeconfig of an IAM context: its user runs
// kubectl-tenant token for the role, so the file holds no secret and the
// token is always fresh (cached until shortly before it expires).
func (o *Options) buildIAM(c clientcmdv1.Cluster) (*clientcmdv1.Config, error) {
	role, err := iamarn.ParseRole(o.IAMRole)
	if err != nil {
		return nil, err
	}
	req := token.IAMRequest{Tenant: o.Tenant, Cluster: o.ClusterID, Region: o.Region, Profile: o.Profile}
	if o.ThroughTenant { // the tenant's chain, its external ID on the tenant role, then the role
		req.Chain = token.Chain(o.tenant.Spec.AWS.RoleARNs, o.tenant.Spec.AWS.ExternalID)
	}
	req.Chain = append(req.Chain, token.Role{ARN: o.IAMRole})
	return kcfg.TenantContext{
		Name: o.ContextName, User: kcfg.UserName(o.Tenant, "iam", role.Account, role.Name), Namespace: o.tenant.Spec.Namespaces[0],
		Cluster: c, AuthInfo: kcfg.ExecUser(req.Args()), Current: true,
		Extension: kcfg.TenantExtension{Tenant: o.Tenant, Subject: "IAM role " + o.IAMRole},
	}.Config()
}
