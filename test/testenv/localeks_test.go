package testenv

import (
	"context"
	"slices"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
)

// startLocalEKS starts a local EKS for the test, with its environment
// the test's own.
func startLocalEKS(t *testing.T) *LocalEKS {
	t.Helper()
	l, err := StartLocalEKS(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Stop)
	for _, kv := range l.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return l
}

// The local EKS behaves as EKS does where the plugin depends on it: a
// created cluster is CREATING, then ACTIVE with a reachable endpoint whose
// apiserver authenticates IAM tokens; its creator is system:masters; an
// access entry authenticates with its username and groups, and its
// access policy (which the front stands in for with RBAC) grants what the
// policy says; a managed node group registers its nodes and its role.
func TestLocalEKS(t *testing.T) {
	ctx := context.Background()
	l := startLocalEKS(t)
	const tenantRole, devRole, nodeRole = "arn:aws:iam::222222222222:role/tenant-acme", "arn:aws:iam::222222222222:role/dev", "arn:aws:iam::222222222222:role/nodes"
	admin, err := aws.Identity{Region: "us-east-1", Roles: []aws.Hop{{RoleARN: tenantRole}}, SessionName: "creator"}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := aws.DefaultSubnets(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := aws.CreateCluster(ctx, admin, aws.ClusterSpec{Name: "acme", Tenant: "acme", SubnetIDs: subnets, AuthMode: "API_AND_CONFIG_MAP",
		RoleARN: "arn:aws:iam::222222222222:role/eks"}); err != nil {
		t.Fatal(err)
	}
	if c, err := aws.DescribeCluster(ctx, admin, "acme"); err != nil || c.Status != "CREATING" || c.Endpoint != "" {
		t.Fatalf("a new cluster: %+v, %v; want CREATING with no endpoint", c, err)
	}
	c, err := aws.WaitActive(ctx, admin, "acme", 0, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Endpoint, "https://127.0.0.1:") || len(c.CAData) == 0 || c.AuthMode != "API_AND_CONFIG_MAP" {
		t.Fatalf("the ACTIVE cluster: %+v", c)
	}

	// The creator is system:masters, with the username EKS gives it.
	who := review(t, c, admin)
	if who.Username != "arn:aws:sts::222222222222:assumed-role/tenant-acme/creator" || !slices.Contains(who.Groups, "system:masters") {
		t.Errorf("the creator is %+v", who)
	}

	// A principal with no entry is not authenticated; with an entry it is,
	// and its view policy lets it read, not write.
	dev, err := aws.Identity{Region: "us-east-1", Roles: []aws.Hop{{RoleARN: devRole}}, SessionName: "dana"}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clientAs(t, c, dev).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("a principal with no access entry: %v, want Unauthorized", err)
	}
	steps, err := aws.PlanAccessEntry(ctx, admin, aws.AccessEntry{Cluster: "acme", Tenant: "acme", PrincipalARN: devRole, Username: "dev:{{SessionName}}",
		Groups: []string{"team-dev"}, Policies: map[string][]string{"AmazonEKSViewPolicy": {"default"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := aws.Run(ctx, steps); err != nil {
		t.Fatal(err)
	}
	who = review(t, c, dev)
	if who.Username != "dev:dana" || !slices.Contains(who.Groups, "team-dev") {
		t.Errorf("the access entry authenticates as %+v", who)
	}
	devClient := clientAs(t, c, dev)
	for verb, want := range map[string]bool{"list": true, "create": false} {
		r, err := devClient.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: verb, Resource: "pods"}}}, metav1.CreateOptions{})
		if err != nil || r.Status.Allowed != want {
			t.Errorf("with AmazonEKSViewPolicy, %s pods: %v %v, want %v", verb, r.Status.Allowed, err, want)
		}
	}

	// A managed node group: its nodes register, and EKS gives its role an
	// EC2_LINUX access entry.
	client := eks.NewFromConfig(admin)
	if _, err := client.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: awssdk.String("acme"), NodegroupName: awssdk.String("ng"),
		NodeRole: awssdk.String(nodeRole), Subnets: subnets, ScalingConfig: &ekstypes.NodegroupScalingConfig{DesiredSize: awssdk.Int32(2), MinSize: awssdk.Int32(1), MaxSize: awssdk.Int32(3)}}); err != nil {
		t.Fatal(err)
	}
	cp, err := l.Front.DataPlane("acme")
	if err != nil {
		t.Fatal(err)
	}
	kube, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "eks.amazonaws.com/nodegroup=ng"})
	if err != nil || len(nodes.Items) != 2 {
		t.Errorf("nodes of node group ng: %v", err)
	}
	entries, err := client.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: awssdk.String("acme")})
	if err != nil || !slices.Contains(entries.AccessEntries, nodeRole) {
		t.Errorf("access entries after the node group: %v %v", entries, err)
	}

	// Deleting the cluster: refused while it has node groups, as EKS does.
	if _, err := client.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: awssdk.String("acme")}); err == nil {
		t.Error("a cluster with a node group was deleted")
	}
	if _, err := client.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: awssdk.String("acme"), NodegroupName: awssdk.String("ng")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: awssdk.String("acme")}); err != nil {
		t.Fatal(err)
	}
	if _, err := aws.DescribeCluster(ctx, admin, "acme"); err == nil {
		t.Error("the deleted cluster is still described")
	}
}

func clientAs(t *testing.T, c *aws.Cluster, cfg aws.Config) *kubernetes.Clientset {
	t.Helper()
	tok, _, err := aws.ClusterToken(context.Background(), cfg, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(&rest.Config{Host: c.Endpoint, BearerToken: tok, TLSClientConfig: rest.TLSClientConfig{CAData: c.CAData}})
}

func review(t *testing.T, c *aws.Cluster, cfg aws.Config) authenticationv1.UserInfo {
	t.Helper()
	r, err := clientAs(t, c, cfg).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("as %s: %v", c.Name, err)
	}
	return r.Status.UserInfo
}
