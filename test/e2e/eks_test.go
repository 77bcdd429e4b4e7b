package e2e

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// EKS tenants on the local EKS: create through a two-role chain with an
// external ID, the context EKS describes, adopt, and delete that removes
// only what the plugin created.
func TestEKSCreateAdoptDelete(t *testing.T) {
	ctx := context.Background()
	local, u := startLocalEKS(t)
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	chain := []string{"--role-arn", "arn:aws:iam::111111111111:role/platform", "--role-arn", "arn:aws:iam::222222222222:role/tenant-acme",
		"--external-id", "acme-x1", "--region", "eu-west-1"}
	id := aws.Identity{Region: "eu-west-1", Roles: []aws.Hop{{RoleARN: "arn:aws:iam::111111111111:role/platform"},
		{RoleARN: "arn:aws:iam::222222222222:role/tenant-acme", ExternalID: "acme-x1"}}}
	cfg, err := id.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}

	r := u.tenant(append([]string{"create", "acme", "--kubernetes-version", "1.31", "--tags", "team=platform"}, chain...)...)
	if !strings.Contains(r.stderr, `tenant "acme" created: EKS cluster acme`) || !strings.Contains(r.stderr, "cluster acme is ACTIVE") {
		t.Errorf("create report:\n%s", r.stderr)
	}
	c, err := aws.DescribeCluster(ctx, cfg, "acme")
	if err != nil {
		t.Fatalf("the cluster is not in the tenant account: %v", err)
	}
	subnets, _ := aws.DefaultSubnets(ctx, cfg)
	out, _ := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: awssdk.String("acme")})
	if c.Version != "1.31" || c.Tags["team"] != "platform" || c.Tags["app.kubernetes.io/managed-by"] != "kubectl-tenant" || c.Tags["tenancy.kubectl-tenant.io/tenant"] != "acme" ||
		!slices.Equal(out.Cluster.ResourcesVpcConfig.SubnetIds, subnets) {
		t.Errorf("cluster in moto: %+v subnets %v (default %v)", c, out.Cluster.ResourcesVpcConfig.SubnetIds, subnets)
	}
	// The context's server and CA are what EKS describes; its user runs
	// kubectl-tenant token with the whole identity.
	if got := u.kubectl("config", "view", "--raw", "-o", "jsonpath={.clusters[?(@.name==\"kubectl-tenant:acme\")].cluster.server}"); got != c.Endpoint {
		t.Errorf("context server %q, EKS endpoint %q", got, c.Endpoint)
	}
	ca := u.kubectl("config", "view", "--raw", "-o", "jsonpath={.clusters[?(@.name==\"kubectl-tenant:acme\")].cluster.certificate-authority-data}")
	if decoded, _ := base64.StdEncoding.DecodeString(ca); string(decoded) != string(c.CAData) {
		t.Errorf("context CA differs from EKS's")
	}
	args := u.kubectl("config", "view", "-o", "jsonpath={.users[?(@.name==\"kubectl-tenant:acme:iam\")].user.exec.args}")
	for _, want := range []string{`"token"`, `"acme"`, `"--region"`, `"eu-west-1"`, `"arn:aws:iam::222222222222:role/tenant-acme"`, `"acme-x1"`} {
		if !strings.Contains(args, want) {
			t.Errorf("exec args %s lack %s", args, want)
		}
	}

	if out := u.tenant("describe", "acme").stdout; !strings.Contains(out, "EKS:") || !strings.Contains(out, "acme in eu-west-1, ACTIVE, Kubernetes 1.31, authentication API_AND_CONFIG_MAP") ||
		!strings.Contains(out, "created by kubectl-tenant (arn:aws:eks:eu-west-1:222222222222:cluster/acme)") {
		t.Errorf("describe of an EKS tenant:\n%s", out)
	}

	// token for the tenant, from the registry: an EKS token for the cluster.
	if out := u.tenant("token", "acme").stdout; !strings.Contains(out, `"token":"k8s-aws-v1.`) {
		t.Errorf("token acme: %s", out)
	}

	// The tenant inside its cluster: its namespace, labelled, made through
	// the context create wrote, as the tenant role (the cluster's creator).
	plane, err := local.Front.DataPlane("acme")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.kubectl("--context", "acme", "get", "namespace", "acme", "-o", "jsonpath={.metadata.labels}"); !strings.Contains(got, `"tenancy.kubectl-tenant.io/tenant":"acme"`) {
		t.Errorf("namespace acme's labels: %s", got)
	}
	if by := creatorOf(t, plane, "namespaces", "acme"); !strings.HasPrefix(by, "arn:aws:sts::222222222222:assumed-role/tenant-acme/") {
		t.Errorf("namespace acme was created by %q, want the tenant role's session", by)
	}

	// Again: the same command changes nothing. Under another tenant name
	// the cluster needs --adopt.
	r = u.tenant(append([]string{"create", "acme"}, chain...)...)
	if strings.Contains(r.stderr, " created\n") || strings.Contains(r.stderr, "configured") || !strings.Contains(r.stderr, "by an earlier run") {
		t.Errorf("create again changed something:\n%s", r.stderr)
	}
	if stderr := u.tenantFails(append([]string{"create", "acme-b", "--cluster", "acme"}, chain...)...); !strings.Contains(stderr, "already exists in eu-west-1: add --adopt") {
		t.Errorf("create over an existing cluster: %s", stderr)
	}

	// A private endpoint: create says, in one line, where the context
	// works; describe shows it. (The local EKS's endpoint answers from
	// here, so the tenant is bootstrapped all the same.)
	r = u.tenant(append([]string{"create", "priv", "--endpoint-access", "private"}, chain...)...)
	if n := strings.Count(r.stderr, `warning: EKS cluster priv's endpoint is private: context "priv" works only from inside its VPC`); n != 1 {
		t.Errorf("create with a private endpoint warned %d times:\n%s", n, r.stderr)
	}
	if out := u.tenant("describe", "priv").stdout; !regexp.MustCompile(`Endpoint:\s+private \(reachable only from inside the VPC\)`).MatchString(out) {
		t.Errorf("describe priv:\n%s", out)
	}
	u.tenant("delete", "priv", "--delete-cluster")

	// Someone else's cluster: adopted, and never deleted.
	if _, err := eks.NewFromConfig(cfg).CreateCluster(ctx, &eks.CreateClusterInput{Name: awssdk.String("theirs"),
		RoleArn: awssdk.String("arn:aws:iam::222222222222:role/someone"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
		t.Fatal(err)
	}
	u.tenant(append([]string{"create", "theirs", "--adopt"}, chain...)...)
	r = u.tenant("delete", "theirs", "--delete-cluster")
	if !strings.Contains(r.stderr, "was not created by kubectl-tenant") {
		t.Errorf("delete of an adopted cluster: %s", r.stderr)
	}
	if _, err := aws.DescribeCluster(ctx, cfg, "theirs"); err != nil {
		t.Errorf("someone's cluster was deleted: %v", err)
	}

	u.tenant("delete", "acme", "--delete-cluster")
	if _, err := aws.DescribeCluster(ctx, cfg, "acme"); err == nil {
		t.Error("the cluster the plugin created is still there")
	}
	data, _ := os.ReadFile(registry)
	if strings.Contains(string(data), "name: acme") || strings.Contains(string(data), "name: theirs") {
		t.Errorf("records left:\n%s", data)
	}
	if got := u.kubectl("config", "get-contexts", "-o", "name"); strings.TrimSpace(got) != "" {
		t.Errorf("contexts left: %q", got)
	}

	// Bad input: a clear error, and nothing recorded.
	before, _ := os.ReadFile(registry)
	calls := len(local.Front.Calls())
	for args, want := range map[string]string{
		"create bad --role-arn not-an-arn --region eu-west-1":                                          `--role-arn #1: Invalid value: "not-an-arn": "not-an-arn" is not an ARN`,
		"create bad --role-arn arn:aws:s3:::bucket --region eu-west-1":                                 "is not an IAM role ARN",
		"create bad --region europe":                                                                   `--region: Invalid value: "europe": not an AWS region name`,
		"create bad --region xx-mars-9":                                                                `--region "xx-mars-9" is not an AWS region; regions: `,
		"create bad --region eu-west-1 --cluster bad.name!":                                            `--cluster: cluster name "bad.name!"`,
		"create bad --region eu-west-1 --endpoint-access everywhere":                                   `--endpoint-access "everywhere"`,
		"create bad --region eu-west-1 --external-id orphan":                                           `--external-id: Invalid value: "orphan": an external ID needs the role it belongs to`,
		"create bad --region eu-west-1 --from-context admin":                                           "are exclusive",
		"create bad --region eu-west-1 --authentication-mode IAM_ONLY_PLZ":                             `--authentication-mode "IAM_ONLY_PLZ"`,
		"create bad --region eu-west-1 --endpoint-access private --public-access-cidrs 203.0.113.0/24": "--public-access-cidrs: a private endpoint (--endpoint-access private) has no public access to limit",
		"create bad --region eu-west-1 --public-access-cidrs 203.0.113.0":                              `--public-access-cidrs: "203.0.113.0" is not a CIDR block`,
		"create bad --region eu-west-1 --nodegroup ng --nodes 5 --nodes-min 1 --nodes-max 3":           "--nodes 5 does not fit between --nodes-min 1 and --nodes-max 3",
		"create bad --region eu-west-1 --nodegroup ng --nodes-min 3 --nodes-max 2":                     "--nodes-min 3 is more than --nodes-max 2",
		"create bad --region eu-west-1 --nodegroup ng --instance-types m5large":                        `--instance-types: "m5large" is not an EC2 instance type`,
		"create bad --region eu-west-1 --nodegroup -ng":                                                `--nodegroup: node group name "-ng"`,
		"create bad --region eu-west-1 --nodes 3":                                                      "--nodes: name the node group with --nodegroup NAME",
		"create bad --region eu-west-1 --nodegroup ng --node-role-arn arn:aws:iam::1:user/x":           "--node-role-arn: ",
	} {
		if stderr := u.tenantFails(strings.Fields(args)...); !strings.Contains(stderr, want) {
			t.Errorf("kubectl tenant %s: %q, want %q", args, stderr, want)
		}
	}
	if after, _ := os.ReadFile(registry); string(after) != string(before) {
		t.Error("bad input changed the registry")
	}
	if after := local.Front.Calls()[calls:]; len(after) > 0 {
		t.Errorf("bad input called EKS: %v", after)
	}
}

// creatorOf is who created an object, by the apiserver's audit log: the
// first successful create or (server-side apply) patch of it.
func creatorOf(t *testing.T, cp *testenv.ControlPlane, resource, name string) string {
	t.Helper()
	events, err := cp.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if (e.Verb == "create" || e.Verb == "patch") && e.ObjectRef.Resource == resource && e.ObjectRef.Name == name && e.ResponseStatus.Code < 300 {
			return e.User.Username
		}
	}
	return ""
}
