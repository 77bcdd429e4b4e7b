package aws

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func mustConfig(t *testing.T, region string) awssdk.Config {
	t.Helper()
	cfg, err := Identity{Region: region, Roles: []Hop{{RoleARN: "arn:aws:iam::333333333333:role/tenant", ExternalID: "e1"}}}.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDefaultSubnets(t *testing.T) {
	ctx := context.Background()
	cfg := mustConfig(t, "eu-west-1")
	ids, err := DefaultSubnets(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 2 {
		t.Fatalf("default subnets %v, want one per zone of moto's default VPC", ids)
	}
	// Leave one zone only: EKS's two-zone rule is reported.
	other := mustConfig(t, "eu-north-1")
	all, err := DefaultSubnets(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(other)
	for _, id := range all[1:] {
		if _, err := client.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: awssdk.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := DefaultSubnets(ctx, other); err == nil || !strings.Contains(err.Error(), "EKS needs two: pass --subnet-ids") {
		t.Errorf("one zone left: %v", err)
	}
}

func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	cfg := mustConfig(t, "us-west-2")
	roleARN, created, err := EnsureClusterRole(ctx, cfg, "acme-eks", "acme")
	if err != nil || !created {
		t.Fatalf("EnsureClusterRole: %s %v %v", roleARN, created, err)
	}
	// Again: the role is found, and is the plugin's for acme (an
	// interrupted create picks it up), not for another tenant.
	if arn, owned, err := EnsureClusterRole(ctx, cfg, "acme-eks", "acme"); err != nil || !owned || arn != roleARN {
		t.Errorf("second EnsureClusterRole: %s owned=%v %v", arn, owned, err)
	}
	if _, owned, err := EnsureClusterRole(ctx, cfg, "acme-eks", "globex"); err != nil || owned {
		t.Errorf("EnsureClusterRole for another tenant: owned=%v %v", owned, err)
	}
	policies, err := iam.NewFromConfig(cfg).ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: awssdk.String("acme-eks")})
	if err != nil || len(policies.AttachedPolicies) != 1 || awssdk.ToString(policies.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" {
		t.Errorf("attached policies: %+v %v", policies, err)
	}

	subnets, err := DefaultSubnets(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	spec := ClusterSpec{Name: "acme", Tenant: "acme", Version: "1.31", SubnetIDs: subnets, RoleARN: roleARN,
		AuthMode: "API_AND_CONFIG_MAP", Tags: map[string]string{"team": "platform"}}
	if err := CreateCluster(ctx, cfg, spec); err != nil {
		t.Fatal(err)
	}
	if err := CreateCluster(ctx, cfg, spec); !errors.Is(err, ErrClusterExists) {
		t.Errorf("creating it again: %v, want ErrClusterExists", err)
	}
	var statuses []string
	c, err := WaitActive(ctx, cfg, "acme", time.Minute, func(s string) { statuses = append(statuses, s) })
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != "1.31" || c.Tags["team"] != "platform" || !c.CreatedByPlugin() || c.TenantOf() != "acme" || c.Endpoint == "" || !slices.Contains(statuses, "ACTIVE") {
		t.Errorf("cluster %+v (statuses %v)", c, statuses)
	}
	out, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: awssdk.String("acme")})
	if err != nil || !slices.Equal(out.Cluster.ResourcesVpcConfig.SubnetIds, subnets) {
		t.Errorf("subnets in EKS: %v %v, want %v", out.Cluster.ResourcesVpcConfig, err, subnets)
	}

	// A cluster someone else created is never deleted.
	if _, err := eks.NewFromConfig(cfg).CreateCluster(ctx, &eks.CreateClusterInput{Name: awssdk.String("theirs"), RoleArn: awssdk.String(roleARN),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
		t.Fatal(err)
	}
	if err := DeleteCluster(ctx, cfg, "theirs", Claim{Tenant: "acme", Made: true}, time.Minute, func(string) {}); err == nil || !strings.Contains(err.Error(), "was not created by kubectl-tenant") {
		t.Errorf("deleting someone's cluster: %v", err)
	}
	if err := DeleteCluster(ctx, cfg, "acme", Claim{Tenant: "acme", Made: true}, time.Minute, func(string) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := DescribeCluster(ctx, cfg, "acme"); err == nil || !strings.Contains(err.Error(), "no EKS cluster acme") {
		t.Errorf("after delete: %v", err)
	}
}
