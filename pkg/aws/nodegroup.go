package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// NodegroupSpec is an EKS managed node group to create.
type NodegroupSpec struct {
	Cluster, Name, Tenant string
	NodeRoleARN           string
	SubnetIDs             []string
	InstanceTypes         []string
	Desired, Min, Max     int32
}

// Nodegroup is a managed node group as DescribeNodegroup reports it.
type Nodegroup struct {
	Name, Status, NodeRoleARN string
	InstanceTypes             []string
	Desired, Min, Max         int32
	Tags                      map[string]string
}

// ErrNoNodegroup is wrapped by DescribeNodegroup for a name not in use.
var ErrNoNodegroup = errors.New("no such node group")

// ValidateNodegroupName checks a name as EKS does (tenant.IsNodegroupName).
func ValidateNodegroupName(name string) error {
	if !tenant.IsNodegroupName(name) {
		return fmt.Errorf("node group name %q: %s", name, tenant.NodegroupNameShape)
	}
	return nil
}

// ValidateInstanceType checks the shape of an EC2 instance type
// (tenant.IsInstanceType).
func ValidateInstanceType(t string) error {
	if !tenant.IsInstanceType(t) {
		return fmt.Errorf("%q is %s", t, tenant.InstanceTypeShape)
	}
	return nil
}

// CreateNodegroup asks EKS for a managed node group, tagged as the
// plugin's and the tenant's.
func CreateNodegroup(ctx context.Context, cfg awssdk.Config, s NodegroupSpec) error {
	_, err := eks.NewFromConfig(cfg).CreateNodegroup(ctx, &eks.CreateNodegroupInput{
		ClusterName: awssdk.String(s.Cluster), NodegroupName: awssdk.String(s.Name), NodeRole: awssdk.String(s.NodeRoleARN),
		Subnets: s.SubnetIDs, InstanceTypes: s.InstanceTypes, Tags: ownTags(s.Tenant),
		ScalingConfig: &ekstypes.NodegroupScalingConfig{DesiredSize: awssdk.Int32(s.Desired), MinSize: awssdk.Int32(s.Min), MaxSize: awssdk.Int32(s.Max)},
	})
	if err != nil {
		return fmt.Errorf("creating node group %s in EKS cluster %s: %w", s.Name, s.Cluster, err)
	}
	return nil
}

// DescribeNodegroup reads a node group.
func DescribeNodegroup(ctx context.Context, cfg awssdk.Config, cluster, name string) (*Nodegroup, error) {
	out, err := eks.NewFromConfig(cfg).DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: awssdk.String(cluster), NodegroupName: awssdk.String(name)})
	if err != nil {
		if isErrorCode(err, "ResourceNotFoundException") {
			return nil, fmt.Errorf("no node group %s in EKS cluster %s: %w", name, cluster, ErrNoNodegroup)
		}
		return nil, fmt.Errorf("describing node group %s of EKS cluster %s: %w", name, cluster, err)
	}
	return nodegroupOf(out.Nodegroup), nil
}

// nodegroupOf is what the plugin reads of a node group.
func nodegroupOf(n *ekstypes.Nodegroup) *Nodegroup {
	ng := &Nodegroup{Name: awssdk.ToString(n.NodegroupName), Status: string(n.Status), NodeRoleARN: awssdk.ToString(n.NodeRole),
		InstanceTypes: n.InstanceTypes, Tags: n.Tags}
	if sc := n.ScalingConfig; sc != nil {
		ng.Desired, ng.Min, ng.Max = awssdk.ToInt32(sc.DesiredSize), awssdk.ToInt32(sc.MinSize), awssdk.ToInt32(sc.MaxSize)
	}
	return ng
}

// NodegroupNames names the node groups of a cluster.
func NodegroupNames(ctx context.Context, cfg awssdk.Config, cluster string) ([]string, error) {
	var names []string
	p := eks.NewListNodegroupsPaginator(eks.NewFromConfig(cfg), &eks.ListNodegroupsInput{ClusterName: awssdk.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the node groups of EKS cluster %s: %w", cluster, err)
		}
		names = append(names, page.Nodegroups...)
	}
	return names, nil
}

// ListNodegroups describes every node group of a cluster, by name.
func ListNodegroups(ctx context.Context, cfg awssdk.Config, cluster string) ([]*Nodegroup, error) {
	names, err := NodegroupNames(ctx, cfg, cluster)
	if err != nil {
		return nil, err
	}
	out := make([]*Nodegroup, 0, len(names))
	for _, name := range names {
		ng, err := DescribeNodegroup(ctx, cfg, cluster, name)
		if err != nil {
			return nil, err
		}
		out = append(out, ng)
	}
	return out, nil
}

// DeleteNodegroup deletes a node group if Owned says it is the claiming
// tenant's, and waits until it is gone. One already gone is no error.
func DeleteNodegroup(ctx context.Context, cfg awssdk.Config, cluster, name string, c Claim, timeout time.Duration, progress func(string)) error {
	ng, err := DescribeNodegroup(ctx, cfg, cluster, name)
	if errors.Is(err, ErrNoNodegroup) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := Owned("node group "+name+" of EKS cluster "+cluster, ng.Tags, c); err != nil {
		return err
	}
	if ng.Status != "DELETING" {
		if _, err := eks.NewFromConfig(cfg).DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: awssdk.String(cluster), NodegroupName: awssdk.String(name)}); err != nil {
			if isErrorCode(err, "ResourceNotFoundException") {
				return nil
			}
			return fmt.Errorf("deleting node group %s of EKS cluster %s: %w", name, cluster, err)
		}
	}
	return waitNodegroupDeleted(ctx, cfg, cluster, name, timeout, progress)
}
