package create

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"golang.org/x/term"

	"github.com/spf13/cobra"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/fieldflag"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/provision"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// EKSOptions are create's flags for a tenant's EKS cluster.
type EKSOptions struct {
	RoleARNs          []string
	Region            string
	ExternalID        string
	SessionName       string
	Duration          time.Duration
	Profile           string
	Cluster           string
	KubernetesVersion string
	SubnetIDs         []string
	SecurityGroupIDs  []string
	EndpointAccess    string
	PublicAccessCIDRs []string
	AuthMode          string
	ClusterRoleARN    string
	Tags              map[string]string
	Wait              bool
	Timeout           time.Duration
	Adopt             bool

	Nodegroup          string
	InstanceTypes      []string
	Nodes              int32
	NodesMin, NodesMax int32
	NodeRoleARN        string
}

func (e *EKSOptions) identity() aws.Identity {
	return aws.NewIdentity(e.Profile, e.Region, e.SessionName, e.Duration, e.RoleARNs, e.ExternalID)
}

func (e *EKSOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&e.RoleARNs, "role-arn", nil, "EKS: the tenant's IAM role (repeatable: a chain, each hop assuming the next)")
	cmd.Flags().StringVar(&e.Region, "region", "", "EKS: the AWS region of the cluster")
	cmd.Flags().StringVar(&e.ExternalID, "external-id", "", "EKS: the external ID the tenant role's trust policy requires")
	cmd.Flags().StringVar(&e.SessionName, "session-name", "", "EKS: the role session name (default: derived from your user)")
	cmd.Flags().DurationVar(&e.Duration, "duration", 0, "EKS: the role session duration (15m to 12h)")
	cmd.Flags().StringVar(&e.Profile, "profile", "", "EKS: the AWS profile of the source credentials")
	cmd.Flags().StringVar(&e.Cluster, "cluster", "", "EKS: the cluster's name (default: the tenant's)")
	cmd.Flags().StringVar(&e.KubernetesVersion, "kubernetes-version", "", "EKS: the Kubernetes version (default: EKS's)")
	cmd.Flags().StringSliceVar(&e.SubnetIDs, "subnet-ids", nil, "EKS: subnets (default: the default VPC's, in at least two zones)")
	cmd.Flags().StringSliceVar(&e.SecurityGroupIDs, "security-group-ids", nil, "EKS: security groups")
	cmd.Flags().StringVar(&e.EndpointAccess, "endpoint-access", "public", "EKS: public, private or public-and-private")
	cmd.Flags().StringSliceVar(&e.PublicAccessCIDRs, "public-access-cidrs", nil, "EKS: CIDRs allowed to reach the public endpoint")
	cmd.Flags().StringVar(&e.AuthMode, "authentication-mode", "API_AND_CONFIG_MAP", "EKS: API, API_AND_CONFIG_MAP or CONFIG_MAP")
	cmd.Flags().StringVar(&e.ClusterRoleARN, "cluster-role-arn", "", "EKS: the cluster's IAM role (default: one created with the AWS-managed cluster policy)")
	cmd.Flags().StringToStringVar(&e.Tags, "tags", nil, "EKS: tags k=v,... (the plugin adds its managed-by and tenant tags)")
	cmd.Flags().BoolVar(&e.Wait, "wait", true, "EKS: wait until the cluster is ACTIVE")
	cmd.Flags().DurationVar(&e.Timeout, "timeout", 25*time.Minute, "EKS: how long to wait")
	cmd.Flags().BoolVar(&e.Adopt, "adopt", false, "EKS: adopt the existing cluster of that name")
	cmd.Flags().StringVar(&e.Nodegroup, "nodegroup", "", "EKS: create a managed node group of this name")
	cmd.Flags().StringSliceVar(&e.InstanceTypes, "instance-types", []string{"m5.large"}, "EKS: the node group's EC2 instance types")
	cmd.Flags().Int32Var(&e.Nodes, "nodes", 2, "EKS: the node group's desired node count")
	cmd.Flags().Int32Var(&e.NodesMin, "nodes-min", 0, "EKS: the node group's minimum node count (default: --nodes)")
	cmd.Flags().Int32Var(&e.NodesMax, "nodes-max", 0, "EKS: the node group's maximum node count (default: --nodes)")
	cmd.Flags().StringVar(&e.NodeRoleARN, "node-role-arn", "", "EKS: the nodes' IAM role (default: one created with the three AWS-managed worker node policies)")
	_ = cmd.RegisterFlagCompletionFunc("endpoint-access", cobra.FixedCompletions([]string{"public", "private", "public-and-private"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("authentication-mode", cobra.FixedCompletions([]string{"API", "API_AND_CONFIG_MAP", "CONFIG_MAP"}, cobra.ShellCompDirectiveNoFileComp))
}

// validateEKS checks every EKS input before any call.
func (o *Options) validateEKS() error {
	e := &o.EKS
	if err := tenant.ValidateName(o.Name); err != nil {
		return err
	}
	if err := fieldflag.AWSIdentity.Rename(e.identity().Validate(), o.cmd.Flags().Changed); err != nil {
		return err
	}
	if err := aws.ValidateClusterName(e.Cluster); err != nil {
		return fmt.Errorf("--cluster: %w", err)
	}
	switch e.EndpointAccess {
	case "public", "private", "public-and-private":
	default:
		return fmt.Errorf("--endpoint-access %q: use public, private or public-and-private", e.EndpointAccess)
	}
	if len(e.PublicAccessCIDRs) > 0 && e.EndpointAccess == "private" {
		return errors.New("--public-access-cidrs: a private endpoint (--endpoint-access private) has no public access to limit; use --endpoint-access public-and-private")
	}
	for _, cidr := range e.PublicAccessCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			return fmt.Errorf("--public-access-cidrs: %q is not a CIDR block (such as 203.0.113.0/24)", cidr)
		}
	}
	if err := o.validateNodegroup(); err != nil {
		return err
	}
	switch e.AuthMode {
	case "API", "API_AND_CONFIG_MAP", "CONFIG_MAP":
	default:
		return fmt.Errorf("--authentication-mode %q: use API, API_AND_CONFIG_MAP or CONFIG_MAP", e.AuthMode)
	}
	if e.ClusterRoleARN != "" {
		if _, err := iamarn.ParseRole(e.ClusterRoleARN); err != nil {
			return fmt.Errorf("--cluster-role-arn: %w", err)
		}
	}
	// What the record would say: what the flags ask is checked as any
	// record is, each error naming the flag.
	if errs := tenant.Validate(o.eksRecord(e.cluster(o.cmd.Flags().Changed), nil)); len(errs) > 0 {
		changed := o.cmd.Flags().Changed
		return fieldflag.AWSIdentity.Rename(fieldflag.EKSCluster.Rename(errs.ToAggregate(), changed), changed)
	}
	if x := o.existing; x != nil {
		if x.Spec.Cluster.EKS == nil || x.Spec.Cluster.EKS.Name != e.Cluster || x.Spec.AWS == nil || x.Spec.AWS.Region != e.Region {
			return fmt.Errorf("tenant %q exists on %s; it cannot be re-created on EKS cluster %s in %s: delete it first or choose another name", o.Name, describeCluster(x), e.Cluster, e.Region)
		}
		if !slices.Equal(x.Spec.Namespaces, o.Namespaces) {
			return fmt.Errorf("tenant %q exists with namespaces %v; it cannot be re-created with %v", o.Name, x.Spec.Namespaces, o.Namespaces)
		}
	}
	return nil
}

// validateNodegroup checks the node group flags, and that none is given
// without --nodegroup. The counts default to --nodes.
func (o *Options) validateNodegroup() error {
	e, changed := &o.EKS, o.cmd.Flags().Changed
	if e.Nodegroup == "" {
		for _, name := range []string{"instance-types", "nodes", "nodes-min", "nodes-max", "node-role-arn"} {
			if changed(name) {
				return fmt.Errorf("--%s: name the node group with --nodegroup NAME", name)
			}
		}
		return nil
	}
	if err := aws.ValidateNodegroupName(e.Nodegroup); err != nil {
		return fmt.Errorf("--nodegroup: %w", err)
	}
	if len(e.InstanceTypes) == 0 {
		return errors.New("--instance-types: give at least one EC2 instance type")
	}
	for _, t := range e.InstanceTypes {
		if err := aws.ValidateInstanceType(t); err != nil {
			return fmt.Errorf("--instance-types: %w", err)
		}
	}
	if !changed("nodes-min") {
		e.NodesMin = e.Nodes
	}
	if !changed("nodes-max") {
		e.NodesMax = e.Nodes
	}
	switch {
	case e.NodesMin < 0:
		return fmt.Errorf("--nodes-min %d: a node count cannot be negative", e.NodesMin)
	case e.NodesMax < 1:
		return fmt.Errorf("--nodes-max %d: a node group needs room for at least one node", e.NodesMax)
	case e.NodesMin > e.NodesMax:
		return fmt.Errorf("--nodes-min %d is more than --nodes-max %d", e.NodesMin, e.NodesMax)
	case e.Nodes < e.NodesMin || e.Nodes > e.NodesMax:
		return fmt.Errorf("--nodes %d does not fit between --nodes-min %d and --nodes-max %d", e.Nodes, e.NodesMin, e.NodesMax)
	}
	if e.NodeRoleARN != "" {
		if _, err := iamarn.ParseRole(e.NodeRoleARN); err != nil {
			return fmt.Errorf("--node-role-arn: %w", err)
		}
	}
	return nil
}

// describeCluster names a tenant's cluster for an error.
func describeCluster(t *tenant.Tenant) string {
	if eks := t.Spec.Cluster.EKS; eks != nil && t.Spec.AWS != nil {
		return fmt.Sprintf("EKS cluster %s in %s", eks.Name, t.Spec.AWS.Region)
	}
	return fmt.Sprintf("context %q", t.Spec.Cluster.Context)
}

// runEKS creates or adopts the cluster (package provision), adds the
// tenant's kubeconfig context, bootstraps the tenant inside the cluster
// through that context (as the tenant role, the cluster's creator),
// creates the node group, then records the tenant. Each step finds what
// an earlier run did, so running the same command again finishes a
// create that was interrupted anywhere. A client dry run makes no call
// and prints the record it would keep; a server dry run makes EKS's,
// IAM's and EC2's read calls only, and says what it would create.
func (o *Options) runEKS(ctx context.Context) error {
	e := &o.EKS
	want := o.eksRecord(e.cluster(o.cmd.Flags().Changed), nil)
	if o.DryRunStrategy == cmdutil.DryRunClient {
		fmt.Fprintf(o.ErrOut, "would %s EKS cluster %s in %s and record tenant %q (dry run; --dry-run=server asks AWS)\n", o.eksVerb(), e.Cluster, e.Region, o.Name)
		return o.printer.PrintObj(want, o.Out)
	}
	cfg, err := e.identity().Config(ctx)
	if err != nil {
		return err
	}
	if err := aws.CheckRegion(ctx, cfg); err != nil {
		return err
	}
	// The admission every path passes, by the registry: the cluster does
	// not exist yet (its namespaces' labels are checked as they are made).
	if err := (access.Admission{Registry: o.registry, Warn: o.ErrOut}).Admit(ctx, want, nil); err != nil {
		return err
	}
	preflight := provision.Preflight{Kubeconfig: cluster.KubeconfigPaths(o.getter), Registry: o.registry}
	if err := preflight.Check(ctx, cfg, want, o.ErrOut); err != nil {
		return err
	}
	popts := provision.Options{Adopt: e.Adopt, MustExist: e.Adopt, AdoptHint: "--adopt", Wait: e.Wait, Timeout: e.Timeout, Progress: o.progress()}
	if o.DryRunStrategy == cmdutil.DryRunServer {
		if err := provision.Preview(ctx, cfg, want, popts, o.ErrOut); err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "would record tenant %q and add context %q (server dry run: AWS was only read)\n", o.Name, o.Name)
		return nil
	}
	rec, c, _, err := provision.Cluster(ctx, cfg, want, popts)
	if err != nil {
		return err
	}
	t := o.eksRecord(rec, c)
	if err := o.addContext(ctx, t); err != nil {
		return err
	}
	if c.EndpointAccess == "private" {
		fmt.Fprintf(o.ErrOut, "warning: EKS cluster %s's endpoint is private: context %q works only from inside its VPC\n", c.Name, t.Spec.Cluster.Context)
	}
	switch {
	case c.Status != "ACTIVE":
		fmt.Fprintf(o.ErrOut, "EKS cluster %s is %s: its namespaces are not created yet; run the same command again when it is ACTIVE\n", c.Name, c.Status)
	default:
		if err := o.bootstrapEKS(ctx, t, c); err != nil {
			return err
		}
		if err := provision.Nodegroup(ctx, cfg, o.Name, c, t.Spec.Cluster.EKS, popts); err != nil {
			return err
		}
	}
	record := o.registry.Put
	if o.existing == nil {
		record = o.registry.Create // a record someone made meanwhile is theirs
	}
	if err := record(ctx, t); err != nil {
		return fmt.Errorf("recording tenant %q: %w (the cluster and its objects exist; re-run to record it)", o.Name, err)
	}
	fmt.Fprintf(o.ErrOut, "tenant %q %sd: EKS cluster %s (%s, Kubernetes %s, authentication %s, endpoint %s)\n",
		o.Name, o.eksVerb(), c.Name, c.ARN, c.Version, c.AuthMode, c.EndpointAccess)
	return nil
}

// addContext adds the EKS tenant's own context: its token through its
// role chain.
func (o *Options) addContext(ctx context.Context, t *tenant.Tenant) error {
	kc, err := kcfg.EKSContext(t)
	if err != nil {
		return err
	}
	path, err := kcfg.AddOwnedContexts(ctx, cluster.KubeconfigPaths(o.getter), kc, false)
	if err != nil {
		return fmt.Errorf("adding the kubeconfig context: %w (the cluster exists; re-run to finish)", err)
	}
	fmt.Fprintf(o.ErrOut, "context %q added to %s\n", t.Spec.Cluster.Context, path)
	return nil
}

// cluster is the EKS cluster the flags ask for, with only what was given
// (changed reports that): the record says what the user asked, as a
// document would, and defaults stay defaults.
func (e *EKSOptions) cluster(changed func(string) bool) *tenant.EKSCluster {
	c := &tenant.EKSCluster{Name: e.Cluster, ClusterRoleARN: e.ClusterRoleARN, NodeRoleARN: e.NodeRoleARN,
		KubernetesVersion: e.KubernetesVersion, PublicAccessCIDRs: e.PublicAccessCIDRs, SubnetIDs: e.SubnetIDs,
		SecurityGroupIDs: e.SecurityGroupIDs, Tags: e.Tags}
	if changed("endpoint-access") {
		c.EndpointAccess = e.EndpointAccess
	}
	if changed("authentication-mode") {
		c.AuthenticationMode = e.AuthMode
	}
	if e.Nodegroup != "" {
		n := &tenant.Nodegroup{Name: e.Nodegroup}
		if changed("instance-types") {
			n.InstanceTypes = e.InstanceTypes
		}
		if changed("nodes") {
			n.Nodes = e.Nodes
		}
		if changed("nodes-min") {
			n.NodesMin = e.NodesMin
		}
		if changed("nodes-max") {
			n.NodesMax = e.NodesMax
		}
		c.Nodegroup = n
	}
	return c
}

// bootstrapEKS creates the tenant's namespaces and role in its cluster,
// through the context create wrote. A private endpoint that cannot be
// reached from here is not an error: the tenant is recorded, and the
// same command run from inside the VPC finishes it.
func (o *Options) bootstrapEKS(ctx context.Context, t *tenant.Tenant, c *aws.Cluster) error {
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err == nil {
		err = o.bootstrap(ctx, t, conn, false)
	}
	switch {
	case err == nil:
		return nil
	case c.EndpointAccess == "private":
		fmt.Fprintf(o.ErrOut, "warning: the private endpoint did not answer (%v): namespaces not created; run the same command from inside the VPC to finish\n", err)
		return nil
	default:
		return fmt.Errorf("bootstrapping tenant %q in EKS cluster %s: %w (the cluster exists; re-run the same command to finish)", t.Name, c.Name, err)
	}
}

func (o *Options) eksVerb() string {
	if o.EKS.Adopt {
		return "adopt"
	}
	return "create"
}

// eksRecord is the tenant record of an EKS tenant: the existing record on
// a re-run (which keeps its grants), else a new one; c is the cluster as
// EKS describes it, nil before it exists.
func (o *Options) eksRecord(rec *tenant.EKSCluster, c *aws.Cluster) *tenant.Tenant {
	e := &o.EKS
	t := tenant.New(o.Name)
	if o.existing != nil {
		t = o.existing.DeepCopy()
	}
	if x := t.Spec.Cluster.EKS; x != nil { // Validate refuses a re-run on another kind of cluster
		rec.CreatedByPlugin = rec.CreatedByPlugin || x.CreatedByPlugin
		rec.ClusterRoleCreated = rec.ClusterRoleCreated || x.ClusterRoleCreated
		if rec.NodeRoleARN == "" {
			rec.NodeRoleARN, rec.NodeRoleCreated = x.NodeRoleARN, x.NodeRoleCreated
		}
	}
	t.Spec.Namespaces = o.Namespaces
	t.Spec.Cluster = tenant.Cluster{Context: o.Name, EKS: rec}
	t.Spec.AWS = &tenant.AWS{Region: e.Region, RoleARNs: e.RoleARNs, ExternalID: e.ExternalID, SessionName: e.SessionName,
		DurationSeconds: int32(e.Duration / time.Second), Profile: e.Profile}
	if c != nil {
		t.Spec.Cluster.Server = c.Endpoint
		t.Status = tenant.Status{Server: c.Endpoint, KubernetesVersion: c.Version, CAData: c.CAData, AuthenticationMode: c.AuthMode}
	}
	return t
}

// progress reports waiting: a live line on a terminal, timestamped lines
// otherwise.
func (o *Options) progress() func(string) {
	f, ok := o.ErrOut.(*os.File)
	if ok && term.IsTerminal(int(f.Fd())) {
		return func(msg string) { fmt.Fprintf(o.ErrOut, "\r\033[K%s", msg) }
	}
	return func(msg string) { fmt.Fprintf(o.ErrOut, "%s %s\n", time.Now().Format(time.RFC3339), msg) }
}
