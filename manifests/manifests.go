// Package manifests holds the documents kubectl-tenant installs or
// creates, embedded in the binary: IAM policy documents, and the Tenant
// CRD and the registry's ClusterRoles that `kubectl tenant init` installs
// in a management cluster.
package manifests

import _ "embed"

// EKSClusterTrustPolicy lets EKS assume the cluster IAM role the plugin
// creates when no --cluster-role-arn is given.
//
//go:embed iam/eks-cluster-trust-policy.json
var EKSClusterTrustPolicy string

// EKSNodeTrustPolicy lets EC2 instances assume the node IAM role the
// plugin creates for a managed node group when no --node-role-arn is
// given.
//
//go:embed iam/eks-node-trust-policy.json
var EKSNodeTrustPolicy string

// TenantRolePermissions are the least permissions kubectl-tenant needs in
// a tenant account: EKS cluster lifecycle and access entries, the cluster
// roles it creates (and passes to EKS only), and finding default subnets.
//
//go:embed iam/tenant-role-permissions.json
var TenantRolePermissions string

// CAPAControllerPermissions are what CAPA's controller needs in a tenant
// account to make EKS clusters and their networks: the policies CAPA's
// clusterawsadm gives its controllers by default (EKS on), taken from
// CAPA's own template (a test keeps them equal).
//
//go:embed iam/capa-controller-permissions.json
var CAPAControllerPermissions string

// TenantRoleTrust is the template of the tenant role's trust policy: the
// management principal may assume it, with the external ID when one is
// set. Its data are TrustedPrincipal and ExternalID.
//
//go:embed iam/tenant-role-trust.json.tmpl
var TenantRoleTrust string

// EKSClusterPolicyARN is the AWS-managed policy attached to the cluster
// role.
const EKSClusterPolicyARN = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"

// EKSNodePolicyARNs are the AWS-managed policies a managed node group's
// role needs: to join the cluster, to run the VPC CNI, and to pull images
// from ECR.
var EKSNodePolicyARNs = []string{
	"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
	"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
}

// TenantCRD is the CustomResourceDefinition of tenant records in a
// management cluster.
//
//go:embed registry/tenants.tenancy.kubectl-tenant.io.yaml
var TenantCRD string

// RegistryRoles are the ClusterRoles of a registry's users: admin and
// viewer.
//
//go:embed registry/roles.yaml
var RegistryRoles string
