package e2e

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
)

// tenantChain is the identity the trust tests' tenants act as.
var tenantChain = []string{"--role-arn", "arn:aws:iam::222222222222:role/tenant", "--region", "eu-west-1"}

func tenantAccount(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := aws.Identity{Region: "eu-west-1", Roles: []aws.Hop{{RoleARN: "arn:aws:iam::222222222222:role/tenant"}}}.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A tenant that adopted another tenant's cluster cannot delete it: the
// cluster, its node group and its roles stay, the other tenant keeps its
// record and its access, and the adopter's own objects in it go.
func TestDeleteTakesOnlyTheTenantsOwn(t *testing.T) {
	ctx := context.Background()
	_, u := startLocalEKS(t)
	cfg := tenantAccount(t)
	u.tenant(append([]string{"create", "alpha", "--nodegroup", "ng", "--nodes", "1"}, tenantChain...)...)
	u.tenant("grant", "alpha", "--group", "alpha-devs", "--role", "view")
	u.tenant(append([]string{"create", "beta", "--cluster", "alpha", "--adopt"}, tenantChain...)...)
	u.tenant("grant", "beta", "--group", "beta-devs", "--role", "view")
	if got := u.kubectl("--context", "beta", "get", "rolebindings", "-n", "beta", "-l", "tenancy.kubectl-tenant.io/tenant=beta", "-o", "name"); !strings.Contains(got, "beta-devs") {
		t.Fatalf("beta's binding before the delete: %q", got)
	}
	alpha := tenantRecord(t, u, "alpha").Spec.Cluster.EKS

	// alpha's own cluster is not deleted under beta, which adopted it.
	if stderr := u.tenantFails("delete", "alpha", "--delete-cluster"); !strings.Contains(stderr, "also the cluster of tenant(s) beta") {
		t.Errorf("delete alpha --delete-cluster with beta on it: %s", stderr)
	}
	if _, err := aws.DescribeCluster(ctx, cfg, "alpha"); err != nil {
		t.Fatalf("alpha's cluster went with beta on it: %v", err)
	}

	// Its dry runs say what the run does: the cluster stays, and beta's
	// own objects would go.
	for _, mode := range []string{"--dry-run=client", "--dry-run=server"} {
		dry := u.tenant("delete", "beta", "--delete-cluster", mode)
		if !strings.Contains(dry.stderr, "the cluster stays") || !strings.Contains(dry.stderr, "beta-devs") || strings.Contains(dry.stderr, "EKS cluster alpha would be deleted") {
			t.Errorf("delete beta --delete-cluster %s:\n%s", mode, dry.stderr)
		}
	}
	if got := u.kubectl("--context", "beta", "get", "rolebindings", "-n", "beta", "-l", "tenancy.kubectl-tenant.io/tenant=beta", "-o", "name"); !strings.Contains(got, "beta-devs") {
		t.Fatalf("a dry run deleted beta's binding: %q", got)
	}
	r := u.tenant("delete", "beta", "--delete-cluster")
	for _, want := range []string{`EKS cluster alpha was created by kubectl-tenant for tenant "alpha", not "beta"`, "the cluster stays", `tenant "beta" deleted`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("delete beta --delete-cluster does not say %q:\n%s", want, r.stderr)
		}
	}
	if c, err := aws.DescribeCluster(ctx, cfg, "alpha"); err != nil || c.Status != "ACTIVE" {
		t.Fatalf("alpha's cluster after beta's delete: %+v %v", c, err)
	}
	if ng, err := aws.DescribeNodegroup(ctx, cfg, "alpha", "ng"); err != nil || ng.Status != "ACTIVE" {
		t.Errorf("alpha's node group after beta's delete: %+v %v", ng, err)
	}
	for _, role := range []string{alpha.ClusterRoleARN, alpha.NodeRoleARN} {
		if _, found, err := aws.FindRole(ctx, cfg, role[strings.LastIndex(role, "/")+1:]); !found || err != nil {
			t.Errorf("alpha's role %s after beta's delete: found %v %v", role, found, err)
		}
	}
	u.tenant("get", "alpha")
	if stderr := u.tenantFails("get", "beta"); !strings.Contains(stderr, "beta") {
		t.Errorf("beta's record after its delete: %s", stderr)
	}
	if got := u.kubectl("--context", "alpha", "get", "rolebindings", "-A", "-l", "tenancy.kubectl-tenant.io/tenant", "-o", "name"); !strings.Contains(got, "alpha-devs") || strings.Contains(got, "beta-devs") {
		t.Errorf("bindings after beta's delete (alpha's stay, beta's go):\n%s", got)
	}
	if got := u.kubectl("auth", "can-i", "--context", "alpha", "list", "pods", "-n", "alpha", "--as", "x", "--as-group", "alpha-devs"); strings.TrimSpace(got) != "yes" {
		t.Errorf("alpha-devs lost their access: %q", got)
	}
	// A tenant that reaches alpha's cluster through its context counts
	// as much as one that adopted it.
	u.tenant("create", "gamma", "--from-context", "alpha", "--namespace", "gamma")
	if stderr := u.tenantFails("delete", "alpha", "--delete-cluster"); !strings.Contains(stderr, "also the cluster of tenant(s) gamma") {
		t.Errorf("delete alpha --delete-cluster with gamma on its context: %s", stderr)
	}
	if _, err := aws.DescribeCluster(ctx, cfg, "alpha"); err != nil {
		t.Fatalf("alpha's cluster went with gamma on it: %v", err)
	}

	// bootstrap iam --create does not take over a role it did not make:
	// its trust policy and policies stay, in a server dry run too.
	admin, err := aws.Identity{Region: "us-east-1"}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := iam.NewFromConfig(admin)
	theirs := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("kubectl-tenant"), AssumeRolePolicyDocument: awssdk.String(theirs)}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"--dry-run=server", "--dry-run=none"} {
		stderr := u.tenantFails("bootstrap", "iam", "--trusted-principal", "arn:aws:iam::111111111111:role/platform", "--create", mode)
		if !strings.Contains(stderr, "was not created by kubectl-tenant") || !strings.Contains(stderr, "--force would replace its trust policy") {
			t.Errorf("bootstrap iam --create %s over a foreign role: %s", mode, stderr)
		}
	}
	role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String("kubectl-tenant")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(awssdk.ToString(role.Role.AssumeRolePolicyDocument)); !strings.Contains(doc, "ec2.amazonaws.com") || strings.Contains(doc, "platform") {
		t.Errorf("the foreign role's trust policy changed: %s", doc)
	}
	if inline, err := client.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: awssdk.String("kubectl-tenant")}); err != nil || len(inline.PolicyNames) != 0 {
		t.Errorf("the foreign role's inline policies: %v %v", inline, err)
	}
}

// A cluster delete that fails keeps the record and the context, says what
// is left, and a re-run finishes the job: with EKS unreachable, and with
// a node group that hangs in DELETING.
func TestFailedClusterDeleteKeepsTheRecord(t *testing.T) {
	ctx := context.Background()
	local, u := startLocalEKS(t)
	cfg := tenantAccount(t)
	u.tenant(append([]string{"create", "gamma", "--nodegroup", "ng", "--nodes", "1"}, tenantChain...)...)
	roles := tenantRecord(t, u, "gamma").Spec.Cluster.EKS

	kept := func(what string) {
		t.Helper()
		u.tenant("get", "gamma")
		if got := u.kubectl("config", "get-contexts", "-o", "name"); !strings.Contains(got, "gamma") {
			t.Errorf("%s: the context is gone: %q", what, got)
		}
		if _, err := aws.DescribeCluster(ctx, cfg, "gamma"); err != nil {
			t.Errorf("%s: the cluster: %v", what, err)
		}
	}

	stderr := u.with("AWS_ENDPOINT_URL_EKS=http://127.0.0.1:1").tenantFails("delete", "gamma", "--delete-cluster")
	for _, want := range []string{"left: EKS cluster gamma", `tenant "gamma"'s record and context are kept: re-run`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("delete with EKS unreachable does not say %q:\n%s", want, stderr)
		}
	}
	kept("EKS unreachable")

	local.Front.StickNodegroupDeletes(true)
	stderr = u.tenantFails("delete", "gamma", "--delete-cluster", "--timeout", "3s")
	for _, want := range []string{"node group ng still DELETING after 3s", "left: EKS cluster gamma"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("delete with a node group stuck does not say %q:\n%s", want, stderr)
		}
	}
	kept("node group stuck")
	for _, role := range []string{roles.ClusterRoleARN, roles.NodeRoleARN} {
		if _, found, _ := aws.FindRole(ctx, cfg, role[strings.LastIndex(role, "/")+1:]); !found {
			t.Errorf("role %s went before its cluster", role)
		}
	}

	local.Front.StickNodegroupDeletes(false)
	u.tenant("delete", "gamma", "--delete-cluster")
	if _, err := aws.DescribeCluster(ctx, cfg, "gamma"); err == nil {
		t.Error("the cluster is still there after the re-run")
	}
	for _, role := range []string{roles.ClusterRoleARN, roles.NodeRoleARN} {
		if _, found, _ := aws.FindRole(ctx, cfg, role[strings.LastIndex(role, "/")+1:]); found {
			t.Errorf("role %s is still there after the re-run", role)
		}
	}
	if stderr := u.tenantFails("get", "gamma"); !strings.Contains(stderr, "gamma") {
		t.Errorf("gamma's record after the re-run: %s", stderr)
	}
	if got := u.kubectl("config", "get-contexts", "-o", "name"); strings.Contains(got, "gamma") {
		t.Errorf("the context is left: %q", got)
	}
}

// An EKS document without spec.aws is refused before anything runs, in
// every mode, in one line naming the field: it crashed a client dry run.
func TestApplyRefusesEKSWithoutAWS(t *testing.T) {
	u := newUser(t)
	doc := filepath.Join(u.home, "acme.yaml")
	writeFile(t, doc, "apiVersion: tenancy.kubectl-tenant.io/v1alpha1\nkind: Tenant\nmetadata: {name: acme}\nspec:\n  cluster: {eks: {name: acme}}\n  namespaces: [acme]\n")
	for _, mode := range []string{"--dry-run=client", "--dry-run=server", "--dry-run=none"} {
		r := u.run("kubectl", "tenant", "apply", "-f", doc, mode)
		var exit *exec.ExitError
		if !errors.As(r.err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("apply %s: %v, want exit 1", mode, r.err)
		}
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "spec.aws: Required value") || strings.Contains(r.stderr, "panic") {
			t.Errorf("apply %s said:\n%s", mode, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the registry was written: %v", err)
	}
}

// kubectl's connection flags reach every connection: --as is who acts,
// in grant and in access; flags that name one cluster are refused where
// a command reaches several; --context names a cluster registry's
// cluster.
func TestConnectionFlagsMeanWhatTheySay(t *testing.T) {
	u := newUser(t)
	writeFile(t, filepath.Join(u.home, ".kube", "config"), readFile(t, cp.AdminKubeconfig))
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	u.tenant("create", "cf", "--from-context", "admin", "--namespace", "cf")
	before := readFile(t, registry)
	bindings := u.kubectl("get", "rolebindings", "-n", "cf", "-o", "name")

	stderr := u.tenantFails("grant", "cf", "--group", "cf-devs", "--role", "view", "--as", "nobody")
	if !strings.Contains(stderr, `User "nobody" cannot`) {
		t.Errorf("grant --as nobody: %s", stderr)
	}
	if readFile(t, registry) != before || u.kubectl("get", "rolebindings", "-n", "cf", "-o", "name") != bindings {
		t.Error("grant --as nobody changed something")
	}
	if stderr := u.tenantFails("access", "cf", "--as", "nobody"); !strings.Contains(stderr, `User "nobody" cannot`) {
		t.Errorf("access --as nobody: %s", stderr)
	}
	// Someone who may read the bindings sees them.
	u.tenant("grant", "cf", "--group", "cf-devs", "--role", "view")
	if out := u.tenant("access", "cf", "--as", "auditor", "--as-group", "system:masters").stdout; !strings.Contains(out, "cf-devs") {
		t.Errorf("access --as auditor --as-group system:masters:\n%s", out)
	}

	for _, args := range [][]string{{"list", "--server", cp.URL}, {"access", "--all", "--cluster", "admin"}, {"apply", "-f", registry, "--insecure-skip-tls-verify"}, {"list", "--user", "admin"}} {
		if stderr := u.tenantFails(args...); !strings.Contains(stderr, "names one cluster") {
			t.Errorf("kubectl tenant %s: %s", strings.Join(args, " "), stderr)
		}
	}
	// --context chooses a cluster registry's cluster; a tenant is reached
	// through its own context, so another one is refused, not dropped.
	if stderr := u.tenantFails("grant", "cf", "--group", "cf-ops", "--role", "view", "--context", "elsewhere"); !strings.Contains(stderr, "--context would be ignored") {
		t.Errorf("grant --context elsewhere: %s", stderr)
	}
	for _, args := range [][]string{{"list", "--context", "admin"}, {"access", "--all", "--context", "admin"}, {"apply", "-f", registry, "--context", "admin"}} {
		if stderr := u.tenantFails(args...); !strings.Contains(stderr, `--context "admin" would be ignored`) {
			t.Errorf("kubectl tenant %s: %s", strings.Join(args, " "), stderr)
		}
	}
	// Where one cluster is reached, they are kept: a --server that does
	// not answer is where grant goes.
	if stderr := u.tenantFails("grant", "cf", "--group", "cf-ops", "--role", "view", "--server", "https://127.0.0.1:1"); !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("grant --server: %s", stderr)
	}
}

// --registry cluster reads the registry of --context's cluster.
func TestClusterRegistryFollowsContext(t *testing.T) {
	f := startFleet(t) // contexts mgmt (current; the registry) and workload
	doc := filepath.Join(f.u.home, "only-in-mgmt.yaml")
	writeFile(t, doc, "apiVersion: tenancy.kubectl-tenant.io/v1alpha1\nkind: Tenant\nmetadata: {name: only-in-mgmt}\nspec:\n  cluster: {context: workload}\n  namespaces: [only-in-mgmt]\n")
	f.u.kubectl("--context", "mgmt", "apply", "-f", doc)
	if out := f.u.tenant("list", "--registry", "cluster", "--context", "mgmt", "--live=false", "-o", "name").stdout; !strings.Contains(out, "only-in-mgmt") {
		t.Errorf("list --registry cluster --context mgmt: %q", out)
	}
	// workload's cluster may hold a registry of other tests' tenants, or
	// none; either way not mgmt's.
	r := f.u.run("kubectl", "tenant", "list", "--registry", "cluster", "--context", "workload", "--live=false", "-o", "name")
	if strings.Contains(r.stdout, "only-in-mgmt") {
		t.Errorf("list --registry cluster --context workload read mgmt's registry: %q", r.stdout)
	}
}

// create, and apply of a new EKS tenant, check what they can before
// their first AWS write: a context of the tenant's name that is someone
// else's stops them with no cluster made, in every mode.
func TestCreateChecksBeforeItMakesACluster(t *testing.T) {
	ctx := context.Background()
	local, u := startLocalEKS(t)
	cfg := tenantAccount(t)
	u.kubectl("config", "set-context", "delta", "--cluster", "elsewhere", "--user", "someone")
	doc := filepath.Join(u.home, "delta.yaml")
	writeFile(t, doc, `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: delta}
spec:
  cluster: {eks: {name: delta}}
  aws: {region: eu-west-1, roleARNs: ["arn:aws:iam::222222222222:role/tenant"]}
  namespaces: [delta]
`)
	calls := len(local.Front.Calls())
	for _, args := range [][]string{
		append([]string{"create", "delta"}, tenantChain...),
		{"apply", "-f", doc},
		{"apply", "-f", doc, "--dry-run=server"},
		{"apply", "-f", doc, "--dry-run=client"},
	} {
		stderr := u.tenantFails(args...)
		if !strings.Contains(stderr, `context "delta" already exists`) || !strings.Contains(stderr, "nothing was created") {
			t.Errorf("%s over someone's context: %s", strings.Join(args, " "), stderr)
		}
	}
	for _, call := range local.Front.Calls()[calls:] {
		if strings.HasPrefix(call, "Create") {
			t.Errorf("create or apply called %s before failing", call)
		}
	}
	if _, err := aws.DescribeCluster(ctx, cfg, "delta"); err == nil {
		t.Error("EKS cluster delta was made")
	}
	if got := u.kubectl("config", "view", "-o", "jsonpath={.contexts[?(@.name==\"delta\")].context.cluster}"); got != "elsewhere" {
		t.Errorf("someone's context delta now points at %q", got)
	}
}
