package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// The product's story on the local EKS, as a new user runs it, once per
// authentication mode: create two tenants' clusters in two accounts
// through a role chain, grant an IAM role edit on one, hand over a
// kubeconfig for it, and that role works with real kubectl where it was
// granted, and nowhere else; after revoke, a fresh token gets nothing.
// The clusters are real apiservers that authenticate IAM tokens with
// aws-iam-authenticator; access policies are stood in for by the local
// EKS with RBAC bindings (EKS's own authorizer does not exist here).
func TestEKSStory(t *testing.T) {
	for _, mode := range []string{"CONFIG_MAP", "API_AND_CONFIG_MAP"} {
		t.Run(mode, func(t *testing.T) { eksStory(t, mode) })
	}
}

const (
	hopRole    = "arn:aws:iam::111111111111:role/platform"
	acmeRole   = "arn:aws:iam::222222222222:role/kubectl-tenant"
	globexRole = "arn:aws:iam::333333333333:role/kubectl-tenant"
	devRole    = "arn:aws:iam::222222222222:role/acme-dev"
)

func eksStory(t *testing.T, mode string) {
	ctx := context.Background()
	local, err := testenv.StartLocalEKS(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Stop()
	admin := newUser(t).with(local.Env()...)

	create := func(name, role, externalID string) result {
		return admin.tenant("create", name, "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", role, "--external-id", externalID,
			"--authentication-mode", mode)
	}
	r := create("acme", acmeRole, "acme-x1")
	if !strings.Contains(r.stderr, "cluster acme is CREATING") || !strings.Contains(r.stderr, "cluster acme is ACTIVE") || !strings.Contains(r.stderr, "Namespace acme created") {
		t.Errorf("create acme:\n%s", r.stderr)
	}
	create("globex", globexRole, "globex-x1")
	plane, err := local.Front.DataPlane("acme")
	if err != nil {
		t.Fatal(err)
	}
	if by := creatorOf(t, plane, "namespaces", "acme"); !strings.HasPrefix(by, "arn:aws:sts::222222222222:assumed-role/kubectl-tenant/") {
		t.Errorf("namespace acme was created by %q, want the tenant role's session", by)
	}
	if got := admin.kubectl("--context", "globex", "get", "namespaces", "-l", "tenancy.kubectl-tenant.io/tenant", "-o", "name"); strings.TrimSpace(got) != "namespace/globex" {
		t.Errorf("globex's cluster has tenant namespaces %q", got)
	}

	want := "aws-auth"
	if mode != "CONFIG_MAP" {
		want = "access-entry"
	}
	r = admin.tenant("grant", "acme", "--iam-role", devRole, "--role", "edit")
	if !strings.Contains(admin.tenant("access", "acme").stdout, want) {
		t.Errorf("the grant's channel is not %s:\n%s", want, r.stderr)
	}
	devConfig := filepath.Join(admin.home, "dev.yaml")
	admin.tenant("kubeconfig", "acme", "--iam-role", devRole, "--minify", "--output-file", devConfig)
	dev := newUser(t).with(append(local.Env(), "KUBECONFIG="+devConfig)...)

	who := whoami(t, dev)
	if !slices.Contains(who.Groups, "kubectl-tenant:acme:edit") {
		t.Errorf("the developer is %+v", who)
	}
	dev.kubectl("create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "-n", "acme")
	if r := dev.run("kubectl", "get", "pods", "-n", "globex"); r.err == nil || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("the developer in namespace globex: %v\n%s", r.err, r.stderr)
	}
	if r := dev.run("kubectl", "get", "nodes"); r.err == nil || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("the developer listing nodes: %v\n%s", r.err, r.stderr)
	}
	// globex's cluster does not know the developer at all.
	if r := dev.run("kubectl", "--server", globexServer(t, admin), "--insecure-skip-tls-verify", "get", "pods", "-n", "globex"); r.err == nil ||
		!strings.Contains(r.stderr, "Unauthorized") && !strings.Contains(r.stderr, "must be logged in") {
		t.Errorf("the developer on globex's cluster: %v\n%s", r.err, r.stderr)
	}
	cells := wideCanIMatrix(t, dev, func(verb, resource, ns string) bool { return ns == "acme" && resource != "nodes" })
	t.Logf("%s: the developer's can-i matrix matches edit in acme on %d cells", mode, cells)
	admin.tenant("access", "acme", "--verify")

	admin.tenant("revoke", "acme", "--iam-role", devRole)
	fresh := strings.TrimSpace(dev.tenant("token", "acme", "--cluster", "acme", "--region", "us-east-1", "--role-arn", devRole, "--no-cache", "--raw").stdout)
	if r := dev.run("kubectl", "--token", fresh, "--user", "", "auth", "whoami"); r.err == nil || !strings.Contains(r.stderr, "Unauthorized") && !strings.Contains(r.stderr, "must be logged in") {
		t.Errorf("a fresh token after revoke: %v\n%s%s", r.err, r.stdout, r.stderr)
	}

	if mode == "CONFIG_MAP" {
		return
	}
	// The same principal through an EKS access policy instead of RBAC:
	// view, in acme only.
	admin.tenant("grant", "acme", "--iam-role", devRole, "--access-policy", "view")
	viewer := newUser(t).with(append(local.Env(), "KUBECONFIG="+devConfig)...)
	cells = wideCanIMatrix(t, viewer, func(verb, resource, ns string) bool {
		return ns == "acme" && resource != "nodes" && resource != "secrets" && slices.Contains([]string{"get", "list", "watch"}, verb)
	})
	t.Logf("%s: with AmazonEKSViewPolicy, %d can-i cells match view in acme", mode, cells)
}

// globexServer is the endpoint of globex's cluster, from the admin's
// kubeconfig.
func globexServer(t *testing.T, admin *user) string {
	t.Helper()
	return admin.kubectl("config", "view", "-o", `jsonpath={.clusters[?(@.name=="kubectl-tenant:globex")].cluster.server}`)
}

// wideCanIMatrix asks kubectl auth can-i for 6 verbs x 9 resources in
// the two tenants' namespaces, and nodes cluster-wide (110 cells),
// comparing each answer with want; it returns the number of cells.
func wideCanIMatrix(t *testing.T, u *user, want func(verb, resource, ns string) bool) int {
	t.Helper()
	resources := []string{"pods", "deployments.apps", "secrets", "configmaps", "services", "jobs.batch", "persistentvolumeclaims", "serviceaccounts", "ingresses.networking.k8s.io"}
	return canIMatrixOf(t, u, []string{"acme", "globex"}, resources, want)
}
