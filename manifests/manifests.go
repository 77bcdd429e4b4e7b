// Package manifests holds the documents kubectl-tenant installs or
// creates, embedded in the binary: IAM policy documents now, the Tenant
// CRD and tenant ClusterRoles when the cluster registry arrives.
package manifests

import _ "embed"

// EKSClusterTrustPolicy lets EKS assume the cluster IAM role the plugin
// creates when no --cluster-role-arn is given.
//
//go:embed iam/eks-cluster-trust-policy.json
var EKSClusterTrustPolicy string

// TenantRolePermissions are the least permissions kubectl-tenant needs in
// a tenant account: EKS cluster lifecycle and access entries, the cluster
// roles it creates (and passes to EKS only), and finding default subnets.
//
//go:embed iam/tenant-role-permissions.json
var TenantRolePermissions string

// TenantRoleTrust is the template of the tenant role's trust policy: the
// management principal may assume it, with the external ID when one is
// set. Its data are TrustedPrincipal and ExternalID.
//
//go:embed iam/tenant-role-trust.json.tmpl
var TenantRoleTrust string

// EKSClusterPolicyARN is the AWS-managed policy attached to that role.
const EKSClusterPolicyARN = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
