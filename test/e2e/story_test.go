package e2e

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
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
	local, admin := startLocalEKS(t)

	create := func(name, role, externalID string, more ...string) result {
		return admin.tenant(append([]string{"create", name, "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", role, "--external-id", externalID,
			"--authentication-mode", mode}, more...)...)
	}
	r := create("acme", acmeRole, "acme-x1", "--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium")
	for _, want := range []string{"cluster acme is CREATING", "cluster acme is ACTIVE", "Namespace acme created", "creating node group ng: 2 x t3.medium", "node group ng is ACTIVE"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("create acme does not say %q:\n%s", want, r.stderr)
		}
	}
	create("globex", globexRole, "globex-x1")
	if out := admin.tenant("describe", "acme").stdout; !regexp.MustCompile(`ng\s+ACTIVE, 2 x t3.medium \(min 2, max 2\), role arn:aws:iam::222222222222:role/kubectl-tenant-acme-node`).MatchString(out) ||
		!regexp.MustCompile(`Endpoint:\s+public\n`).MatchString(out) || !regexp.MustCompile(`Namespaces:\s+acme \(Active\)`).MatchString(out) {
		t.Errorf("describe acme:\n%s", out)
	}
	if got := admin.kubectl("--context", "acme", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup=ng", "-o", "name"); strings.Count(got, "node/") != 2 {
		t.Errorf("acme's nodes: %q", got)
	}
	nodeMapping := func() bool {
		return strings.Contains(admin.kubectl("--context", "acme", "get", "configmap", "aws-auth", "-n", "kube-system", "-o", "jsonpath={.data.mapRoles}"),
			"rolearn: arn:aws:iam::222222222222:role/kubectl-tenant-acme-node")
	}
	if mode == "CONFIG_MAP" && !nodeMapping() {
		t.Error("EKS did not map the node role in aws-auth")
	}
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
	// Reaching the role through the tenant's chain: the exec line gives
	// the tenant role its external ID, and the role its own hop.
	throughConfig := filepath.Join(admin.home, "through.yaml")
	admin.tenant("kubeconfig", "acme", "--iam-role", devRole, "--through-tenant-role", "--output-file", throughConfig)
	through := newUser(t).with(append(local.Env(), "KUBECONFIG="+throughConfig)...)
	if args := through.kubectl("config", "view", "-o", "jsonpath={.users[0].user.exec.args}"); !strings.Contains(args,
		`"--role-arn","`+hopRole+`","--role-arn","`+acmeRole+`","--external-id","acme-x1","--role-arn","`+devRole+`"`) {
		t.Errorf("the exec line through the tenant role: %s", args)
	}
	if who := whoami(t, through); !slices.Contains(who.Groups, "kubectl-tenant:acme:edit") {
		t.Errorf("through the tenant role, the developer is %+v", who)
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

	if mode == "CONFIG_MAP" && !nodeMapping() {
		t.Error("grant and revoke lost the node role's aws-auth mapping")
	}

	if mode == "API_AND_CONFIG_MAP" {
		// The same principal through an EKS access policy instead of
		// RBAC: view, in acme only.
		admin.tenant("grant", "acme", "--iam-role", devRole, "--access-policy", "view")
		// Granting it again reads what is associated and writes nothing.
		calls := len(local.Front.Calls())
		admin.tenant("grant", "acme", "--iam-role", devRole, "--access-policy", "view")
		if w := eksWrites(local.Front.Calls()[calls:]); len(w) > 0 {
			t.Errorf("%s: granting the access policy again wrote to EKS: %v", mode, w)
		}
		viewer := newUser(t).with(append(local.Env(), "KUBECONFIG="+devConfig)...)
		cells = wideCanIMatrix(t, viewer, func(verb, resource, ns string) bool {
			return ns == "acme" && resource != "nodes" && resource != "secrets" && slices.Contains([]string{"get", "list", "watch"}, verb)
		})
		t.Logf("%s: with AmazonEKSViewPolicy, %d can-i cells match view in acme", mode, cells)
	}

	// Deleting a tenant but not its cluster: its objects inside go,
	// through its context; the cluster, its namespace and the context stay.
	r = admin.tenant("delete", "globex")
	if !strings.Contains(r.stderr, `tenant "globex" deleted; namespaces globex kept`) {
		t.Errorf("delete globex:\n%s", r.stderr)
	}
	if got := admin.run("kubectl", "--context", "globex", "get", "clusterrole", "kubectl-tenant:globex:namespaces"); got.err == nil || !strings.Contains(got.stderr, "NotFound") {
		t.Errorf("globex's ClusterRole after delete: %v %s", got.err, got.stderr)
	}
	admin.kubectl("--context", "globex", "get", "namespace", "globex")

	// Deleting the cluster takes the node group first, then the cluster,
	// then the roles the plugin made.
	r = admin.tenant("delete", "acme", "--delete-cluster")
	for _, want := range []string{"node group ng is deleted", "deleting EKS cluster acme", "deleted IAM role arn:aws:iam::222222222222:role/kubectl-tenant-acme-cluster",
		"deleted IAM role arn:aws:iam::222222222222:role/kubectl-tenant-acme-node"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("delete acme --delete-cluster does not say %q:\n%s", want, r.stderr)
		}
	}
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

// eksWrites are the calls of a local EKS front's log that change
// something.
func eksWrites(calls []string) []string {
	var out []string
	for _, c := range calls {
		for _, verb := range []string{"Create", "Update", "Delete", "Associate", "Disassociate", "Tag", "Untag"} {
			if strings.HasPrefix(c, verb) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
