// Package provision makes or adopts a tenant's EKS cluster in the
// tenant's account, and its managed node group: what 'kubectl tenant
// create --region' does, and what 'kubectl tenant apply' does for an EKS
// tenant that has no cluster recorded. Every step first looks for what an
// earlier run did, so that running again finishes a run interrupted
// anywhere. It prints nothing: progress goes to a callback.
package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Options say how to provision.
type Options struct {
	// Adopt takes a cluster that exists and that the plugin did not
	// create for this tenant; without it such a cluster is an error.
	// With MustExist, a cluster that does not exist is an error too
	// (create --adopt); without, it is created.
	Adopt, MustExist bool
	// AdoptHint is the flag that sets Adopt, for the error that asks for
	// it (such as --adopt).
	AdoptHint string
	// Wait for the cluster and the node group to be ACTIVE, at most
	// Timeout each.
	Wait    bool
	Timeout time.Duration
	// Progress hears each step and each status seen while waiting.
	Progress func(string)
}

func (o Options) progress(msg string) {
	if o.Progress != nil {
		o.Progress(msg)
	}
}

// ClusterRoleName is the IAM role the plugin creates for a tenant's
// cluster, and NodeRoleName the one for its nodes.
func ClusterRoleName(tenantName string) string { return "kubectl-tenant-" + tenantName + "-cluster" }

// NodeRoleName is the IAM role the plugin creates for a tenant's nodes.
func NodeRoleName(tenantName string) string { return "kubectl-tenant-" + tenantName + "-node" }

// Outcome is what Cluster did.
type Outcome string

// The outcomes.
const (
	Created  Outcome = "created"
	PickedUp Outcome = "picked up" // an earlier, interrupted run created it
	Adopted  Outcome = "adopted"
)

// Cluster finds tenant t's EKS cluster (t.Spec.Cluster.EKS names it and
// what it is made with) or creates it, and with o.Wait waits until it is
// ACTIVE. It returns the record of the cluster: t's, with its ARN, its
// role and whether the plugin created them; and the cluster as EKS
// describes it. A cluster an earlier run created for t is picked up (the
// run was interrupted); any other is taken only with o.Adopt.
func Cluster(ctx context.Context, cfg aws.Config, t *tenant.Tenant, o Options) (*tenant.EKSCluster, *aws.Cluster, Outcome, error) {
	want := t.Spec.Cluster.EKS
	rec := want.DeepCopy()
	rec.ARN, rec.CreatedByPlugin, rec.ClusterRoleCreated = "", false, false
	c, outcome, err := find(ctx, cfg, t, o)
	if err != nil {
		return nil, nil, "", err
	}
	switch outcome {
	case PickedUp:
		o.progress(fmt.Sprintf("EKS cluster %s was created for tenant %q by an earlier run: picking it up", want.Name, t.Name))
		rec.CreatedByPlugin, rec.ClusterRoleARN = true, c.RoleARN
		if rec.ClusterRoleCreated, err = ownedRole(ctx, cfg, c.RoleARN, ClusterRoleName(t.Name), t.Name); err != nil {
			return nil, nil, "", err
		}
	case Adopted:
		// Only a cluster made for this very tenant may be deleted with it.
		rec.CreatedByPlugin, rec.ClusterRoleARN = madeFor(c, t), c.RoleARN
	case Created:
		if err := create(ctx, cfg, t.Name, rec, o); err != nil {
			return nil, nil, "", err
		}
	}

	switch {
	case o.Wait && (c == nil || c.Status != "ACTIVE"):
		c, err = aws.WaitActive(ctx, cfg, want.Name, o.Timeout, func(status string) { o.progress("cluster " + want.Name + " is " + status) })
	case c == nil:
		c, err = aws.DescribeCluster(ctx, cfg, want.Name)
	}
	if err != nil {
		return nil, nil, "", err
	}
	rec.ARN = c.ARN
	return rec, c, outcome, nil
}

// find describes t's cluster and says what Cluster does with it: pick up
// a cluster an earlier run made for t, adopt another (only with
// o.Adopt), or create one that does not exist (not with o.MustExist). The
// cluster is nil when it is to be created.
func find(ctx context.Context, cfg aws.Config, t *tenant.Tenant, o Options) (*aws.Cluster, Outcome, error) {
	name := t.Spec.Cluster.EKS.Name
	c, err := aws.DescribeCluster(ctx, cfg, name)
	switch {
	case err == nil && madeFor(c, t) && !o.MustExist:
		return c, PickedUp, nil
	case err == nil && !o.Adopt:
		return nil, "", existsError(name, cfg.Region, o)
	case err == nil:
		return c, Adopted, nil
	case !errors.Is(err, aws.ErrNoCluster):
		return nil, "", err
	case o.MustExist:
		return nil, "", fmt.Errorf("adopting: %w", err)
	}
	return nil, Created, nil
}

// madeFor reports whether the plugin created cluster c for tenant t.
func madeFor(c *aws.Cluster, t *tenant.Tenant) bool {
	return c.CreatedByPlugin() && c.TenantOf() == t.Name
}

// create makes the cluster's role (unless rec names one) and asks EKS
// for the cluster, with the default VPC's subnets unless rec names some.
func create(ctx context.Context, cfg aws.Config, tenantName string, rec *tenant.EKSCluster, o Options) error {
	subnets := rec.SubnetIDs
	if len(subnets) == 0 {
		var err error
		if subnets, err = aws.DefaultSubnets(ctx, cfg); err != nil {
			return err
		}
	}
	if rec.ClusterRoleARN == "" {
		var err error
		if rec.ClusterRoleARN, rec.ClusterRoleCreated, err = aws.EnsureClusterRole(ctx, cfg, ClusterRoleName(tenantName), tenantName); err != nil {
			return err
		}
	}
	spec := aws.ClusterSpec{
		Name: rec.Name, Tenant: tenantName, Version: rec.KubernetesVersion, SubnetIDs: subnets,
		SecurityGroupIDs: rec.SecurityGroupIDs, EndpointAccess: rec.Endpoint(), PublicAccessCIDRs: rec.PublicAccessCIDRs,
		AuthMode: rec.AuthMode(), RoleARN: rec.ClusterRoleARN, Tags: rec.Tags,
	}
	if err := aws.CreateCluster(ctx, cfg, spec); err != nil {
		if errors.Is(err, aws.ErrClusterExists) {
			return existsError(rec.Name, cfg.Region, o)
		}
		return err
	}
	rec.CreatedByPlugin = true
	o.progress(fmt.Sprintf("creating EKS cluster %s in %s", rec.Name, cfg.Region))
	return nil
}

func existsError(name, region string, o Options) error {
	return fmt.Errorf("EKS cluster %s already exists in %s: add %s to adopt it (the plugin did not create it for this tenant)", name, region, o.AdoptHint)
}

// Nodegroup creates rec's node group in cluster c if it does not exist
// (and its role, unless rec names one), and with o.Wait waits until it is
// ACTIVE. One that exists is left as it is, its role recorded in rec.
func Nodegroup(ctx context.Context, cfg aws.Config, tenantName string, c *aws.Cluster, rec *tenant.EKSCluster, o Options) error {
	if rec.Nodegroup == nil {
		return nil
	}
	n := rec.Nodegroup.Defaulted()
	ng, err := aws.DescribeNodegroup(ctx, cfg, c.Name, n.Name)
	switch {
	case err == nil:
		o.progress(fmt.Sprintf("node group %s exists (%s)", ng.Name, ng.Status))
		rec.NodeRoleARN = ng.NodeRoleARN
		if rec.NodeRoleCreated, err = ownedRole(ctx, cfg, ng.NodeRoleARN, NodeRoleName(tenantName), tenantName); err != nil {
			return err
		}
	case !errors.Is(err, aws.ErrNoNodegroup):
		return err
	default:
		if rec.NodeRoleARN == "" {
			if rec.NodeRoleARN, rec.NodeRoleCreated, err = aws.EnsureNodeRole(ctx, cfg, NodeRoleName(tenantName), tenantName); err != nil {
				return err
			}
		}
		spec := aws.NodegroupSpec{Cluster: c.Name, Name: n.Name, Tenant: tenantName, NodeRoleARN: rec.NodeRoleARN, SubnetIDs: c.SubnetIDs,
			InstanceTypes: n.InstanceTypes, Desired: n.Nodes, Min: n.NodesMin, Max: n.NodesMax}
		if err := aws.CreateNodegroup(ctx, cfg, spec); err != nil {
			return err
		}
		o.progress(fmt.Sprintf("creating node group %s: %d x %s", n.Name, n.Nodes, strings.Join(n.InstanceTypes, ",")))
	}
	if !o.Wait {
		return nil
	}
	_, err = aws.WaitNodegroupActive(ctx, cfg, c.Name, n.Name, o.Timeout, func(status string) { o.progress("node group " + n.Name + " is " + status) })
	return err
}

// ownedRole reports whether roleARN, found in use by an earlier run's
// cluster or node group, is the role the plugin makes under name for
// this tenant: then delete --delete-cluster removes it too. It only
// reads.
func ownedRole(ctx context.Context, cfg aws.Config, roleARN, name, tenantName string) (bool, error) {
	if iamarn.NameOf(roleARN) != name {
		return false, nil
	}
	return aws.RoleOwned(ctx, cfg, name, tenantName)
}

// Preview writes to w what Cluster and Nodegroup would do for t, from
// what exists in the account: AWS is only read. It fails as Cluster
// would (a cluster not the tenant's without o.Adopt, one to adopt that
// does not exist).
func Preview(ctx context.Context, cfg aws.Config, t *tenant.Tenant, o Options, w io.Writer) error {
	e := t.Spec.Cluster.EKS
	c, outcome, err := find(ctx, cfg, t, o)
	if err != nil {
		return err
	}
	switch outcome {
	case PickedUp:
		fmt.Fprintf(w, "would pick up EKS cluster %s, created for tenant %q by an earlier run (%s, %s)\n", c.Name, t.Name, c.ARN, c.Status)
	case Adopted:
		fmt.Fprintf(w, "would adopt EKS cluster %s (%s, %s, Kubernetes %s)\n", c.Name, c.ARN, c.Status, c.Version)
	case Created:
		if len(e.SubnetIDs) == 0 {
			subnets, err := aws.DefaultSubnets(ctx, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "would use the default VPC's subnets %s\n", strings.Join(subnets, ","))
		}
		if e.ClusterRoleARN == "" {
			fmt.Fprintf(w, "would create or reuse IAM role %s for the cluster\n", ClusterRoleName(t.Name))
		}
		fmt.Fprintf(w, "would create EKS cluster %s in %s (authentication %s, endpoint %s)\n", e.Name, cfg.Region, e.AuthMode(), e.Endpoint())
	}
	if e.Nodegroup != nil {
		n := e.Nodegroup.Defaulted()
		fmt.Fprintf(w, "would create node group %s unless it exists: %d x %s (min %d, max %d)\n", n.Name, n.Nodes, strings.Join(n.InstanceTypes, ","), n.NodesMin, n.NodesMax)
	}
	return nil
}
