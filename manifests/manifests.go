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

// EKSClusterPolicyARN is the AWS-managed policy attached to that role.
const EKSClusterPolicyARN = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
