package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// iamCluster is a control plane whose token webhook is
// aws-iam-authenticator's own server (cluster ID acme-cluster), with moto
// for STS.
type iamCluster struct {
	moto    *testenv.Moto
	cluster *testenv.ControlPlane
	authn   *testenv.Authenticator
}

func startIAMCluster(t *testing.T) *iamCluster {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	moto, err := testenv.StartMoto(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(moto.Stop)
	authn, err := testenv.PrepareAuthenticator(dir, "acme-cluster")
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := testenv.StartControlPlane(ctx, dir, testenv.Options{APIServerArgs: authn.APIServerArgs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	saved := http.DefaultTransport
	http.DefaultTransport = moto.STSTransport(saved)
	t.Cleanup(func() { http.DefaultTransport = saved })
	if err := authn.Start(ctx, cluster.AdminKubeconfig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(authn.Stop)
	return &iamCluster{moto: moto, cluster: cluster, authn: authn}
}

// The whole chain with real parts but STS: a kube-apiserver whose token
// webhook is aws-iam-authenticator's own server (its Verifier, STS
// answered by the harness's signature-checking endpoint over moto's
// issued credentials, and its aws-auth mapper watching this apiserver);
// kubectl-tenant grant writes the aws-auth entry and the RBAC; real
// kubectl uses the context kubectl-tenant kubeconfig --iam-role made,
// whose exec plugin assumes the role in moto and presigns the token.
func TestIAMGrantWholeChain(t *testing.T) {
	ctx := context.Background()
	env := startIAMCluster(t)
	moto, cluster, authn := env.moto, env.cluster, env.authn

	// aws-auth as EKS and an operator left it: the node role and an
	// administrator, with a comment.
	client, err := cluster.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	original := map[string]string{"mapRoles": eksAWSAuth}
	if _, err := client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: original}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	awsAuth := func() map[string]string {
		cm, err := client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data
	}

	admin := newUser(t).with(moto.Env()...)
	writeFile(t, filepath.Join(admin.home, ".kube", "config"), readFile(t, cluster.AdminKubeconfig))
	admin.tenant("create", "acme", "--from-context", "admin", "--namespace", "acme")
	admin.tenant("create", "globex", "--from-context", "admin", "--namespace", "globex")
	admin.kubectl("create", "secret", "generic", "plans", "-n", "globex", "--from-literal=k=v")

	const role = "arn:aws:iam::222222222222:role/acme-dev"
	memberConfig := filepath.Join(admin.home, "member.kubeconfig")
	admin.tenant("kubeconfig", "acme", "--iam-role", role, "--cluster-id", "acme-cluster", "--region", "us-east-1", "--output-file", memberConfig)
	if data := readFile(t, memberConfig); strings.Contains(data, "token:") || strings.Contains(data, "client-key") || !strings.Contains(data, "--role-arn") {
		t.Fatalf("the IAM kubeconfig should carry no secret and run the token exec plugin:\n%s", data)
	}
	// The member has moto's static credentials and nothing else: no
	// registry, no kubeconfig but the one they were given.
	member := newUser(t).with(append(moto.Env(), "KUBECONFIG="+memberConfig)...)

	// Not mapped yet: the token is valid but the authenticator knows no
	// such principal, so the apiserver does not authenticate it.
	if r := member.run("kubectl", "auth", "whoami"); r.err == nil || !strings.Contains(r.stderr, "Unauthorized") && !strings.Contains(r.stderr, "must be logged in") {
		t.Fatalf("before the grant: %v\n%s%s", r.err, r.stdout, r.stderr)
	}

	admin.tenant("grant", "acme", "--iam-role", role, "--role", "edit", "--via", "aws-auth")
	if got := awsAuth()["mapRoles"]; !strings.HasPrefix(got, original["mapRoles"]) || !strings.Contains(got, "kubectl-tenant:acme:edit") {
		t.Fatalf("aws-auth after the grant:\n%s", got)
	}
	who := whoami(t, member)
	if !strings.HasPrefix(who.Username, "acme:kubectl-tenant") || !slices.Contains(who.Groups, "kubectl-tenant:acme:edit") {
		t.Fatalf("authenticated as %+v, want acme:SESSION in kubectl-tenant:acme:edit\nauthenticator log:\n%s", who, authn.Log())
	}

	// access traces the principal: channel, username, groups, roles, and
	// the live mapping; --verify checks its groups with the apiserver.
	out := admin.tenant("access", "acme").stdout
	if !strings.Contains(strings.Join(strings.Fields(out), " "), role+" aws-auth acme:{{SessionName}} kubectl-tenant:acme:edit acme=edit yes") {
		t.Errorf("access does not show the IAM principal as mapped:\n%s", out)
	}
	admin.tenant("access", "acme", "--verify")

	// What the grant means, through real kubectl and the real apiserver.
	member.kubectl("create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "-n", "acme")
	if r := member.run("kubectl", "get", "secrets", "-n", "globex"); r.err == nil || !strings.Contains(r.stderr, "Forbidden") && !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("reading globex's secrets: %v\n%s", r.err, r.stderr)
	}
	if r := member.run("kubectl", "get", "nodes"); r.err == nil || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("listing nodes: %v\n%s", r.err, r.stderr)
	}
	t.Logf("the member is %s in %v", who.Username, who.Groups)
	cells := canIMatrix(t, member, func(verb, resource, ns string) bool { return ns == "acme" && resource != "nodes" })
	t.Logf("IAM principal through aws-iam-authenticator: %d can-i cells as granted", cells)

	admin.tenant("revoke", "acme", "--iam-role", role)
	if got := awsAuth(); got["mapRoles"] != original["mapRoles"] {
		t.Errorf("aws-auth after revoke differs from before the grant:\n%q\nwant\n%q", got["mapRoles"], original["mapRoles"])
	}
	// The same token: the apiserver still authenticates it (it keeps the
	// webhook's answer for its cache TTL, as EKS does), but every right is
	// gone.
	if again := whoami(t, member); again.Username != who.Username {
		t.Errorf("after revoke the cached token is %+v, want still %s", again, who.Username)
	}
	cells = canIMatrix(t, member, func(string, string, string) bool { return false })
	t.Logf("after revoke: %d can-i cells, all no", cells)
	// A fresh token for the same role is not authenticated at all: its
	// mapping is gone.
	fresh := member.tenant("token", "acme", "--cluster", "acme-cluster", "--region", "us-east-1", "--role-arn", role, "--no-cache", "--raw").stdout
	if r := member.run("kubectl", "--token", strings.TrimSpace(fresh), "--user", "", "auth", "whoami"); r.err == nil || !strings.Contains(r.stderr, "Unauthorized") && !strings.Contains(r.stderr, "must be logged in") {
		t.Errorf("a fresh token after revoke: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
}

type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

func whoami(t *testing.T, u *user) userInfo {
	t.Helper()
	var review struct {
		Status struct {
			UserInfo userInfo `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(u.kubectl("auth", "whoami", "-o", "json")), &review); err != nil {
		t.Fatal(err)
	}
	return review.Status.UserInfo
}

// canIMatrix asks kubectl auth can-i for 6 verbs x 5 resources in the two
// tenants' namespaces, and nodes cluster-wide, comparing each answer with
// want. It returns the number of cells.
func canIMatrix(t *testing.T, u *user, want func(verb, resource, ns string) bool) int {
	t.Helper()
	return canIMatrixOf(t, u, []string{"acme", "globex"}, []string{"pods", "deployments.apps", "secrets", "configmaps", "services"}, want)
}

// canIMatrixOf asks kubectl auth can-i for 6 verbs on each resource in
// each namespace, and get and list on nodes, comparing each answer with
// want. It returns the number of cells.
func canIMatrixOf(t *testing.T, u *user, namespaces, resources []string, want func(verb, resource, ns string) bool) int {
	t.Helper()
	cells := 0
	ask := func(verb, resource, ns string) {
		args := []string{"auth", "can-i", verb, resource}
		if ns != "" {
			args = append(args, "-n", ns)
		}
		r := u.run("kubectl", args...)
		got := strings.TrimSpace(r.stdout) == "yes"
		if r.err != nil && strings.TrimSpace(r.stdout) != "no" {
			t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
		}
		if got != want(verb, resource, ns) {
			t.Errorf("can-i %s %s -n %q: %v, want %v", verb, resource, ns, got, !got)
		}
		cells++
	}
	for _, ns := range namespaces {
		for _, verb := range []string{"get", "list", "watch", "create", "update", "delete"} {
			for _, res := range resources {
				ask(verb, res, ns)
			}
		}
	}
	for _, verb := range []string{"get", "list"} {
		ask(verb, "nodes", "")
	}
	return cells
}

// aws-auth edits never take away the caller's own access (DESIGN): an
// operator who reaches the cluster through an aws-auth mapping cannot
// revoke it, nor restore an aws-auth from before it, without --force;
// with --force they can. The caller is found as kubectl auth whoami finds
// it (SelfSubjectReview), through aws-iam-authenticator's own server.
func TestCallerKeepsOwnAccess(t *testing.T) {
	ctx := context.Background()
	env := startIAMCluster(t)
	client, err := env.cluster.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: map[string]string{"mapRoles": eksAWSAuth}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mapsOps := func() bool {
		cm, err := client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(cm.Data["mapRoles"], "platform-ops")
	}

	admin := newUser(t).with(env.moto.Env()...)
	writeFile(t, filepath.Join(admin.home, ".kube", "config"), readFile(t, env.cluster.AdminKubeconfig))
	admin.tenant("create", "acme", "--from-context", "admin", "--namespace", "acme")
	const ops = "arn:aws:iam::222222222222:role/platform-ops"
	grant := []string{"grant", "acme", "--iam-role", ops, "--role", "admin", "--via", "aws-auth"}
	admin.tenant(grant...)
	// Its group is also the platform team's way to administer the cluster.
	admin.kubectl("create", "clusterrolebinding", "platform-ops", "--clusterrole", "cluster-admin", "--group", "kubectl-tenant:acme:admin")

	// The operator: the same registry, and the tenant's context (admin)
	// reaching the cluster as the ops role.
	operator := newUser(t).with(env.moto.Env()...)
	registry := filepath.Join(".config", "kubectl-tenant", "tenants.yaml")
	writeFile(t, filepath.Join(operator.home, registry), readFile(t, filepath.Join(admin.home, registry)))
	admin.tenant("kubeconfig", "acme", "--iam-role", ops, "--cluster-id", "acme-cluster", "--region", "us-east-1",
		"--context-name", "admin", "--output-file", filepath.Join(operator.home, ".kube", "config"))
	if who := whoami(t, operator); !slices.Contains(who.Groups, "kubectl-tenant:acme:admin") {
		t.Fatalf("the operator is %+v", who)
	}

	for _, args := range [][]string{{"aws-auth", "restore", "acme"}, {"revoke", "acme", "--iam-role", ops}} {
		if stderr := operator.tenantFails(args...); !strings.Contains(stderr, "would remove your own aws-auth mapping ("+ops) || !strings.Contains(stderr, "--force") {
			t.Errorf("kubectl tenant %s by the operator: %s", strings.Join(args, " "), stderr)
		}
		if !mapsOps() {
			t.Fatalf("kubectl tenant %s took the operator's mapping without --force", strings.Join(args, " "))
		}
	}
	operator.tenant("revoke", "acme", "--iam-role", ops, "--force")
	if mapsOps() {
		t.Error("revoke --force kept the operator's mapping")
	}

	admin.tenant(grant...)
	operator.tenantFails("aws-auth", "restore", "acme")
	operator.tenant("aws-auth", "restore", "acme", "--force")
	if mapsOps() {
		t.Error("restore --force kept the operator's mapping")
	}
}
