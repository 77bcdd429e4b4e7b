package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kubectl-tenant/kubectl-tenant/manifests"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// ClusterSpec is an EKS cluster to create.
type ClusterSpec struct {
	Name              string
	Tenant            string
	Version           string // empty: EKS's default
	SubnetIDs         []string
	SecurityGroupIDs  []string
	EndpointAccess    string // public, private or public-and-private
	PublicAccessCIDRs []string
	AuthMode          string // API, API_AND_CONFIG_MAP or CONFIG_MAP
	RoleARN           string
	Tags              map[string]string
}

// Cluster is an EKS cluster as DescribeCluster reports it.
type Cluster struct {
	Name, ARN, Endpoint, Version, Status, AuthMode string
	RoleARN                                        string // the role EKS runs it as
	CAData                                         []byte
	Tags                                           map[string]string
	// EndpointAccess is public, private or public-and-private, and
	// PublicAccessCIDRs who may reach a public endpoint.
	EndpointAccess    string
	PublicAccessCIDRs []string
	SubnetIDs         []string
	// Issuer is the cluster's OIDC issuer, which signs its
	// ServiceAccount tokens (IRSA's web identities).
	Issuer string
}

// CreatedByPlugin reports whether the plugin created the cluster.
func (c *Cluster) CreatedByPlugin() bool { return createdByPlugin(c.Tags) }

// ErrClusterExists is returned by CreateCluster for a name in use, and
// ErrNoCluster (wrapped) by DescribeCluster for a name not in use.
var (
	ErrClusterExists = errors.New("cluster exists")
	ErrNoCluster     = errors.New("no such EKS cluster")
)

// DefaultSubnets returns the subnets of the account's default VPC in the
// region, which EKS needs in at least two availability zones.
func DefaultSubnets(ctx context.Context, cfg awssdk.Config) ([]string, error) {
	client := ec2.NewFromConfig(cfg)
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: awssdk.String("isDefault"), Values: []string{"true"}}}})
	if err != nil {
		return nil, fmt.Errorf("finding the default VPC: %w", err)
	}
	if len(vpcs.Vpcs) == 0 {
		return nil, fmt.Errorf("region %s has no default VPC: pass --subnet-ids", cfg.Region)
	}
	vpc := awssdk.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: awssdk.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		return nil, fmt.Errorf("listing the subnets of %s: %w", vpc, err)
	}
	var ids []string
	zones := map[string]bool{}
	for _, s := range subnets.Subnets {
		ids = append(ids, awssdk.ToString(s.SubnetId))
		zones[awssdk.ToString(s.AvailabilityZone)] = true
	}
	if len(zones) < 2 {
		return nil, fmt.Errorf("the default VPC %s has subnets in %d availability zone(s); EKS needs two: pass --subnet-ids", vpc, len(zones))
	}
	sort.Strings(ids)
	return ids, nil
}

// EnsureClusterRole returns the ARN of the role EKS runs the cluster as,
// creating it (trusting eks.amazonaws.com, with the AWS-managed cluster
// policy, tagged as the plugin's) if no role of that name exists. owned
// tells whether the role is the plugin's for this tenant: created now, or
// by an earlier run that was interrupted.
func EnsureClusterRole(ctx context.Context, cfg awssdk.Config, name, tenantName string) (arn string, owned bool, err error) {
	return ensureRole(ctx, cfg, name, tenantName, manifests.EKSClusterTrustPolicy, "EKS cluster role", []string{manifests.EKSClusterPolicyARN})
}

// EnsureNodeRole is EnsureClusterRole for the role of a managed node
// group's instances: trusting ec2.amazonaws.com, with the three
// AWS-managed worker node policies.
func EnsureNodeRole(ctx context.Context, cfg awssdk.Config, name, tenantName string) (arn string, owned bool, err error) {
	return ensureRole(ctx, cfg, name, tenantName, manifests.EKSNodeTrustPolicy, "EKS node role", manifests.EKSNodePolicyARNs)
}

func ensureRole(ctx context.Context, cfg awssdk.Config, name, tenantName, trust, what string, policies []string) (arn string, owned bool, err error) {
	client := iam.NewFromConfig(cfg)
	r, err := getRole(ctx, client, name)
	if err != nil {
		return "", false, err
	}
	if r != nil {
		return awssdk.ToString(r.Arn), ownedBy(tagMap(r.Tags), tenantName), nil
	}
	out, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 awssdk.String(name),
		AssumeRolePolicyDocument: awssdk.String(trust),
		Description:              awssdk.String(what + " of tenant " + tenantName + ", created by kubectl-tenant"),
		Tags:                     iamTags(ownTags(tenantName)),
	})
	if err != nil {
		return "", false, fmt.Errorf("creating IAM role %s: %w", name, err)
	}
	for _, policy := range policies {
		if _, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: awssdk.String(name), PolicyArn: awssdk.String(policy)}); err != nil {
			return "", false, fmt.Errorf("attaching %s to role %s: %w", policy, name, err)
		}
	}
	return awssdk.ToString(out.Role.Arn), true, nil
}

// CreateCluster asks EKS for the cluster, tagged as the plugin's and the
// tenant's. A name in use returns ErrClusterExists.
func CreateCluster(ctx context.Context, cfg awssdk.Config, s ClusterSpec) error {
	tags := ownTags(s.Tenant)
	for k, v := range s.Tags {
		tags[k] = v
	}
	vpc := &ekstypes.VpcConfigRequest{SubnetIds: s.SubnetIDs, SecurityGroupIds: s.SecurityGroupIDs, PublicAccessCidrs: s.PublicAccessCIDRs}
	switch s.EndpointAccess {
	case "private":
		vpc.EndpointPublicAccess, vpc.EndpointPrivateAccess = awssdk.Bool(false), awssdk.Bool(true)
	case "public-and-private":
		vpc.EndpointPublicAccess, vpc.EndpointPrivateAccess = awssdk.Bool(true), awssdk.Bool(true)
	default:
		vpc.EndpointPublicAccess, vpc.EndpointPrivateAccess = awssdk.Bool(true), awssdk.Bool(false)
	}
	in := &eks.CreateClusterInput{Name: awssdk.String(s.Name), RoleArn: awssdk.String(s.RoleARN), ResourcesVpcConfig: vpc, Tags: tags}
	if s.Version != "" {
		in.Version = awssdk.String(s.Version)
	}
	if s.AuthMode != "" {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationMode(s.AuthMode)}
	}
	if _, err := eks.NewFromConfig(cfg).CreateCluster(ctx, in); err != nil {
		if isErrorCode(err, "ResourceInUseException") {
			return ErrClusterExists
		}
		return fmt.Errorf("creating EKS cluster %s: %w", s.Name, err)
	}
	return nil
}

// DescribeCluster reads a cluster.
func DescribeCluster(ctx context.Context, cfg awssdk.Config, name string) (*Cluster, error) {
	out, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: awssdk.String(name)})
	if err != nil {
		if isErrorCode(err, "ResourceNotFoundException") {
			return nil, fmt.Errorf("no EKS cluster %s in %s: %w", name, cfg.Region, ErrNoCluster)
		}
		return nil, fmt.Errorf("describing EKS cluster %s: %w", name, err)
	}
	return clusterOf(out.Cluster), nil
}

// clusterOf is what the plugin reads of an EKS cluster.
func clusterOf(c *ekstypes.Cluster) *Cluster {
	cl := &Cluster{
		Name: awssdk.ToString(c.Name), ARN: awssdk.ToString(c.Arn), Endpoint: awssdk.ToString(c.Endpoint),
		Version: awssdk.ToString(c.Version), Status: string(c.Status), Tags: c.Tags, RoleARN: awssdk.ToString(c.RoleArn),
		EndpointAccess: "public",
	}
	if v := c.ResourcesVpcConfig; v != nil {
		cl.PublicAccessCIDRs, cl.SubnetIDs = v.PublicAccessCidrs, v.SubnetIds
		switch {
		case v.EndpointPrivateAccess && !v.EndpointPublicAccess:
			cl.EndpointAccess = "private"
		case v.EndpointPrivateAccess:
			cl.EndpointAccess = "public-and-private"
		}
	}
	if c.CertificateAuthority != nil {
		cl.CAData = decodeCA(awssdk.ToString(c.CertificateAuthority.Data))
	}
	if c.Identity != nil && c.Identity.Oidc != nil {
		cl.Issuer = awssdk.ToString(c.Identity.Oidc.Issuer)
	}
	if c.AccessConfig != nil {
		cl.AuthMode = string(c.AccessConfig.AuthenticationMode)
	}
	if cl.AuthMode == "" {
		cl.AuthMode = "CONFIG_MAP" // what EKS reports for clusters made before access entries
	}
	return cl
}

// DeleteCluster deletes the cluster if Owned says it is the claiming
// tenant's: its node groups first (EKS refuses to delete a cluster that
// has any), each checked the same way and waited for, then the cluster,
// waited for until EKS no longer knows it, so that what it depended on
// (its IAM roles) can go next. A cluster already gone is no error: a
// re-run after a failure continues where it stopped. timeout bounds each
// wait (zero: 25 minutes); progress hears each status.
func DeleteCluster(ctx context.Context, cfg awssdk.Config, name string, c Claim, timeout time.Duration, progress func(string)) error {
	cl, err := DescribeCluster(ctx, cfg, name)
	if errors.Is(err, ErrNoCluster) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := Owned("EKS cluster "+name, cl.Tags, c); err != nil {
		return err
	}
	groups, err := NodegroupNames(ctx, cfg, name)
	if err != nil {
		return err
	}
	for _, ng := range groups {
		if err := DeleteNodegroup(ctx, cfg, name, ng, c, timeout, func(status string) { progress("node group " + ng + " is " + status) }); err != nil {
			return err
		}
	}
	// Read again: the check is made at the point of deletion.
	cl, err = DescribeCluster(ctx, cfg, name)
	if errors.Is(err, ErrNoCluster) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := Owned("EKS cluster "+name, cl.Tags, c); err != nil {
		return err
	}
	// One a run that timed out asked to delete is waited for, not
	// asked again.
	if cl.Status != "DELETING" {
		if _, err := eks.NewFromConfig(cfg).DeleteCluster(ctx, &eks.DeleteClusterInput{Name: awssdk.String(name)}); err != nil && !isErrorCode(err, "ResourceNotFoundException") {
			return fmt.Errorf("deleting EKS cluster %s: %w", name, err)
		}
	}
	return waitClusterDeleted(ctx, cfg, name, timeout, func(status string) { progress("EKS cluster " + name + " is " + status) })
}

// DeleteOwnedRole deletes an IAM role if Owned says it is the claiming
// tenant's, detaching its managed policies first. A role already gone is
// no error.
func DeleteOwnedRole(ctx context.Context, cfg awssdk.Config, roleARN string, c Claim) error {
	name := iamarn.NameOf(roleARN)
	client := iam.NewFromConfig(cfg)
	tags, err := client.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: awssdk.String(name)})
	if isErrorCode(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading IAM role %s: %w", name, err)
	}
	if err := Owned("IAM role "+name, tagMap(tags.Tags), c); err != nil {
		return err
	}
	attached, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: awssdk.String(name)})
	if err != nil {
		return fmt.Errorf("listing the policies of IAM role %s: %w", name, err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := client.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: awssdk.String(name), PolicyArn: p.PolicyArn}); err != nil {
			return fmt.Errorf("detaching %s from IAM role %s: %w", awssdk.ToString(p.PolicyArn), name, err)
		}
	}
	if _, err := client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: awssdk.String(name)}); err != nil && !isErrorCode(err, "NoSuchEntity") {
		return fmt.Errorf("deleting IAM role %s: %w", name, err)
	}
	return nil
}

// CheckRegion confirms that cfg's region is one of the partition's
// regions, by EC2's own list, before anything is created there. The list
// is asked of the partition's first region, which exists for sure.
func CheckRegion(ctx context.Context, cfg awssdk.Config) error {
	ask := cfg.Copy()
	switch {
	case strings.HasPrefix(cfg.Region, "cn-"):
		ask.Region = "cn-north-1"
	case strings.HasPrefix(cfg.Region, "us-gov-"):
		ask.Region = "us-gov-west-1"
	default:
		ask.Region = "us-east-1"
	}
	out, err := ec2.NewFromConfig(ask).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: awssdk.Bool(true)})
	if err != nil {
		return fmt.Errorf("listing AWS regions to check --region %q: %w", cfg.Region, err)
	}
	var names []string
	for _, r := range out.Regions {
		if awssdk.ToString(r.RegionName) == cfg.Region {
			return nil
		}
		names = append(names, awssdk.ToString(r.RegionName))
	}
	sort.Strings(names)
	return fmt.Errorf("--region %q is not an AWS region; regions: %s", cfg.Region, strings.Join(names, ", "))
}

// ListClusters names the EKS clusters in cfg's account and region.
func ListClusters(ctx context.Context, cfg awssdk.Config) ([]string, error) {
	var names []string
	p := eks.NewListClustersPaginator(eks.NewFromConfig(cfg), &eks.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing EKS clusters: %w", err)
		}
		names = append(names, page.Clusters...)
	}
	return names, nil
}
