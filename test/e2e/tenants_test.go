package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// accessMatrix is the acceptance matrix: verbs x resources x namespaces.
var (
	matrixVerbs     = []string{"get", "list", "create", "update", "delete", "watch"}
	matrixResources = []string{"pods", "deployments", "secrets", "configmaps", "rolebindings", "namespaces", "nodes"}
)

// expected says whether a grant of a built-in role allows verb on resource
// within a namespace it covers. A namespace is read, changed or deleted by
// name (the request is in that namespace); namespaces are listed, watched
// and created cluster-wide, and so are nodes.
func expected(role, verb, resource string) bool {
	read := verb == "get" || verb == "list" || verb == "watch"
	switch resource {
	case "nodes":
		return false
	case "namespaces":
		// The tenant's ClusterRole lets every granted subject get its own
		// namespaces by name; nothing grants list, watch or writes.
		return verb == "get"
	case "pods", "deployments", "configmaps":
		return read || role == "edit" || role == "admin"
	case "secrets":
		return role == "edit" || role == "admin"
	case "rolebindings":
		return role == "admin"
	}
	return false
}

// subject is a way of running kubectl as one identity.
type subject struct {
	name string
	args []string // kubectl flags that make kubectl act as the subject
}

// canI runs `kubectl auth can-i` for every cell and returns the cells
// where the answer differs from want(namespace, verb, resource).
func canI(t *testing.T, u *user, s subject, namespaces []string, want func(ns, verb, resource string) bool) []string {
	t.Helper()
	type cell struct{ ns, verb, resource string }
	var cells []cell
	for _, ns := range namespaces {
		for _, v := range matrixVerbs {
			for _, r := range matrixResources {
				cells = append(cells, cell{ns, v, r})
			}
		}
	}
	var mu sync.Mutex
	var wrong []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, c := range cells {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			// Ask what a real request would ask: kubectl auth can-i otherwise
			// sends the context's namespace along for cluster-scoped
			// resources too, which no real request for them carries.
			args := append([]string{"auth", "can-i"}, s.args...)
			switch {
			case c.resource == "nodes", c.resource == "namespaces" && (c.verb == "list" || c.verb == "watch" || c.verb == "create"):
				args = append(args, c.verb, c.resource, "--all-namespaces")
			case c.resource == "namespaces":
				// GET /api/v1/namespaces/NS is a request in namespace NS.
				args = append(args, c.verb, "namespaces/"+c.ns, "-n", c.ns)
			default:
				args = append(args, c.verb, c.resource, "-n", c.ns)
			}
			r := u.run("kubectl", args...)
			got := strings.TrimSpace(r.stdout) == "yes"
			// A credential that no longer authenticates (its ServiceAccount
			// was deleted) can do nothing: that answers "no" as well.
			unauthorized := strings.Contains(r.stderr, "Unauthorized")
			if r.err != nil && strings.TrimSpace(r.stdout) != "no" && !unauthorized {
				mu.Lock()
				wrong = append(wrong, fmt.Sprintf("%s: kubectl %s: %v %s", s.name, strings.Join(args, " "), r.err, r.stderr))
				mu.Unlock()
				return
			}
			if got != want(c.ns, c.verb, c.resource) {
				mu.Lock()
				wrong = append(wrong, fmt.Sprintf("%s: can-i %s %s in %s = %v, want %v", s.name, c.verb, c.resource, c.ns, got, !got))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(wrong)
	t.Logf("%s: checked %d cells (%d verbs x %d resources x %d namespaces)", s.name, len(cells), len(matrixVerbs), len(matrixResources), len(namespaces))
	return wrong
}

// Two tenants on one cluster: each subject can do exactly what it was
// granted, where it was granted, and nothing after revoke.
func TestGrantAndRevokeEnforcedByTheAPIServer(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	u.tenant("create", "ta", "--from-context", "admin")
	u.tenant("create", "tb", "--from-context", "admin", "--namespace", "tb", "--namespace", "tb-ci")

	u.tenant("grant", "ta", "--serviceaccount", "builder", "--role", "edit")
	u.tenant("grant", "tb", "--user", "bob-ta", "--role", "view", "--namespace", "tb")

	bobConfig, err := cp.AddUser("bob-ta", "developers")
	if err != nil {
		t.Fatal(err)
	}
	// The ServiceAccount acts through the kubeconfig the plugin makes.
	saConfig := filepath.Join(u.home, "builder.kubeconfig")
	u.tenant("kubeconfig", "ta", "--serviceaccount", "builder", "--minify", "--flatten", "--output-file", saConfig)
	if got := u.kubectl("--kubeconfig", saConfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); got != "system:serviceaccount:ta:builder" {
		t.Fatalf("the generated kubeconfig authenticates as %q", got)
	}
	sa := subject{"ta's ServiceAccount", []string{"--kubeconfig", saConfig}}
	bob := subject{"tb's user bob", []string{"--kubeconfig", bobConfig}}
	namespaces := []string{"ta", "tb", "default", "kube-system"}

	wrong := canI(t, u, sa, namespaces, func(ns, verb, resource string) bool {
		return ns == "ta" && expected("edit", verb, resource)
	})
	wrong = append(wrong, canI(t, u, bob, namespaces, func(ns, verb, resource string) bool {
		return ns == "tb" && expected("view", verb, resource)
	})...)
	for _, w := range wrong {
		t.Error(w)
	}

	// The ServiceAccount was created, labelled, and goes with the revoke.
	if got := u.kubectl("get", "serviceaccount", "builder", "-n", "ta", "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}"); got != "kubectl-tenant" {
		t.Errorf("ServiceAccount label %q", got)
	}
	u.tenant("revoke", "ta", "--serviceaccount", "builder")
	u.tenant("revoke", "tb", "--user", "bob-ta")
	none := func(ns, verb, resource string) bool { return false }
	for _, w := range append(canI(t, u, sa, namespaces, none), canI(t, u, bob, namespaces, none)...) {
		t.Error("after revoke: " + w)
	}
	if r := u.run("kubectl", "get", "serviceaccount", "builder", "-n", "ta"); r.err == nil {
		t.Error("the ServiceAccount the grant created is still there after revoke")
	}
	if got := u.kubectl("get", "rolebindings", "-A", "-l", "tenancy.kubectl-tenant.io/tenant in (ta,tb)", "-o", "name"); got != "" {
		t.Errorf("bindings left after revoke: %s", got)
	}
}

// Tokens are bounded: the exp claim is within the requested duration, and
// a duration above the bound is refused with the bound named.
func TestServiceAccountTokenLifetime(t *testing.T) {
	u := newUser(t)
	// A kubeconfig of this test's own, since --merge below writes to it.
	own := filepath.Join(u.home, ".kube", "config")
	data, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, own, string(data))
	u = u.with("KUBECONFIG=" + own)
	u.tenant("create", "tt", "--from-context", "admin")
	u.tenant("grant", "tt", "--serviceaccount", "ci", "--role", "view")

	before := time.Now()
	out := u.with(`KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential"}`).
		tenant("token", "tt", "--serviceaccount", "ci", "--duration", "30m").stdout
	var cred struct {
		APIVersion string `json:"apiVersion"`
		Status     struct {
			Token               string    `json:"token"`
			ExpirationTimestamp time.Time `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatalf("ExecCredential %q: %v", out, err)
	}
	if cred.APIVersion != "client.authentication.k8s.io/v1beta1" {
		t.Errorf("apiVersion %q, want the one KUBERNETES_EXEC_INFO asked for", cred.APIVersion)
	}
	exp := jwtExpiry(t, cred.Status.Token)
	if exp.After(before.Add(30*time.Minute+5*time.Second)) || exp.Before(before.Add(29*time.Minute)) {
		t.Errorf("token exp %s, want about 30m after %s", exp, before)
	}
	if !cred.Status.ExpirationTimestamp.Equal(exp) {
		t.Errorf("expirationTimestamp %s differs from the token's exp %s", cred.Status.ExpirationTimestamp, exp)
	}
	if raw := strings.TrimSpace(u.tenant("token", "tt", "--serviceaccount", "ci", "--raw").stdout); strings.Count(raw, ".") != 2 {
		t.Errorf("--raw printed %q, want a JWT", raw)
	}
	if stderr := u.tenantFails("token", "tt", "--serviceaccount", "ci", "--duration", "48h"); !strings.Contains(stderr, "above the maximum 12h0m0s") {
		t.Errorf("48h token: %s", stderr)
	}
	if got := u.kubectl("get", "secrets", "-n", "tt", "-o", "name"); got != "" {
		t.Errorf("a token Secret was created: %s", got)
	}

	// The kubeconfig's context records tenant and expiry for contexts list.
	u.tenant("kubeconfig", "tt", "--serviceaccount", "ci", "--merge")
	list := u.tenant("contexts", "list").stdout
	if !strings.Contains(list, "tt:ci") || !strings.Contains(list, " tt ") {
		t.Errorf("contexts list does not show the tenant context:\n%s", list)
	}
	if got := u.kubectl("--context", "tt:ci", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); got != "system:serviceaccount:tt:ci" {
		t.Errorf("merged context authenticates as %q", got)
	}
}

// jwtExpiry reads the exp claim of a JWT without verifying it.
func jwtExpiry(t *testing.T, tok string) time.Time {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return time.Unix(claims.Exp, 0)
}

// A second identical grant writes nothing, and a revoke leaves other
// people's objects alone.
func TestGrantIsIdempotentAndRevokeIsExact(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	u.tenant("create", "tc", "--from-context", "admin")
	// Someone's own ServiceAccount, which the grant must not adopt or delete.
	u.kubectl("create", "serviceaccount", "theirs", "-n", "tc")

	first := u.tenant("grant", "tc", "--serviceaccount", "theirs", "--role", "view")
	if !strings.Contains(first.stderr, "RoleBinding tc/kubectl-tenant:tc:view:sa:tc:theirs created") {
		t.Errorf("first grant: %s", first.stderr)
	}
	second := u.tenant("grant", "tc", "--serviceaccount", "theirs", "--role", "view")
	if !strings.Contains(second.stderr, "(0 objects written)") {
		t.Errorf("second identical grant wrote something: %s", second.stderr)
	}
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	before, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(before), "name: theirs") != 1 {
		t.Errorf("the registry holds the grant %d times:\n%s", strings.Count(string(before), "name: theirs"), before)
	}

	u.tenant("revoke", "tc", "--serviceaccount", "theirs")
	if r := u.run("kubectl", "get", "serviceaccount", "theirs", "-n", "tc"); r.err != nil {
		t.Error("revoke deleted a ServiceAccount the plugin did not create")
	}
}

func TestTenantBadInput(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	u.tenant("create", "td", "--from-context", "admin")
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	before, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	u.kubectl("create", "namespace", "someones")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"create", "Bad_Name", "--from-context", "admin"}, `metadata.name: Invalid value: "Bad_Name"`},
		{[]string{"create", "te", "--from-context", "nope"}, `no kubeconfig context named "nope"`},
		{[]string{"create", "te", "--from-context", "admin", "--namespace", "someones"}, "pass --adopt-namespaces"},
		{[]string{"create", "te", "--from-context", "admin", "--namespace", "td"}, `namespace td belongs to tenant "td"`},
		{[]string{"grant", "nope", "--user", "x", "--role", "view"}, `no tenant named "nope"; known tenants: [td]`},
		{[]string{"grant", "td", "--user", "x", "--role", "view", "--namespace", "kube-system"}, `not one of the tenant's namespaces (td)`},
		{[]string{"grant", "td", "--user", "x", "--role", "no-such-role"}, `no ClusterRole "no-such-role"`},
		{[]string{"grant", "td", "--user", "x", "--group", "y", "--role", "view"}, "name exactly one subject"},
		{[]string{"grant", "td", "--serviceaccount", "Bad_SA", "--role", "view"}, "grant.subject.name: Invalid value"},
		{[]string{"revoke", "td", "--user", "nobody"}, `tenant "td" has no grant to user nobody`},
	}
	for _, tt := range tests {
		stderr := u.tenantFails(tt.args...)
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("kubectl tenant %s: %q, want %q", strings.Join(tt.args, " "), stderr, tt.want)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
			t.Errorf("kubectl tenant %s: %d-line error:\n%s", strings.Join(tt.args, " "), n+1, stderr)
		}
	}
	after, _ := os.ReadFile(registry)
	if string(after) != string(before) {
		t.Errorf("bad input changed the registry:\n%s\n---\n%s", before, after)
	}
	if got := u.kubectl("get", "namespace", "someones", "-o", "jsonpath={.metadata.labels}"); strings.Contains(got, "kubectl-tenant") {
		t.Errorf("a refused create labelled someone's namespace: %s", got)
	}
}

// access reads the matrix from the cluster, and --verify catches a binding
// someone edited by hand.
func TestAccessVerifyFindsHandEdits(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	u.tenant("create", "tv", "--from-context", "admin", "--namespace", "tv", "--namespace", "tv-ci")
	u.tenant("grant", "tv", "--serviceaccount", "app", "--role", "edit", "--namespace", "tv")
	u.tenant("grant", "tv", "--user", "erin", "--role", "view")
	// Someone else's binding in the tenant's namespace shows up too.
	u.kubectl("create", "rolebinding", "by-hand", "-n", "tv-ci", "--clusterrole", "admin", "--user", "frank")

	table := u.tenant("access", "tv").stdout
	want := [][]string{
		{"SUBJECT", "TV", "TV-CI"},
		{"serviceaccount", "tv:app", "edit", "-"},
		{"user", "erin", "view", "view"},
		{"user", "frank", "-", "admin*"},
	}
	var got [][]string
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		got = append(got, strings.Fields(line))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access table (-want +got):\n%s", diff)
	}

	// frank's admin is access from elsewhere: --verify reports it.
	r := u.run("kubectl", "tenant", "access", "tv", "--verify")
	if r.err == nil || !strings.Contains(r.stdout, "DRIFT: user frank in tv-ci: create pods is allowed but not granted") {
		t.Errorf("verify with a hand-made binding: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	u.kubectl("delete", "rolebinding", "by-hand", "-n", "tv-ci")
	if ok := u.tenant("access", "tv", "--verify"); !strings.Contains(ok.stderr, "verified: all") {
		t.Errorf("verify of an untouched tenant: %s", ok.stderr)
	}

	// Edit the plugin's binding by hand: the ServiceAccount loses its
	// access and mallory gains it.
	u.kubectl("patch", "rolebinding", "kubectl-tenant:tv:edit:sa:tv:app", "-n", "tv", "--type=json",
		"-p", `[{"op":"replace","path":"/subjects/0","value":{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory"}}]`)
	r = u.run("kubectl", "tenant", "access", "tv", "--verify")
	for _, want := range []string{
		"DRIFT: serviceaccount tv:app in tv: create pods is granted but denied",
		"DRIFT: user mallory in tv: create pods is allowed but not granted",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify after a hand edit lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.err == nil || !strings.Contains(r.stderr, "access checks differ from tenant \"tv\"'s grants") {
		t.Errorf("verify after a hand edit should fail: %v %s", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "!edit") {
		t.Errorf("the table does not mark the missing binding:\n%s", r.stdout)
	}
	var doc struct {
		Verify struct {
			Checks   int
			Findings []map[string]any
		}
	}
	out := u.run("kubectl", "tenant", "access", "tv", "--verify", "-o", "json").stdout
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Verify.Checks == 0 || len(doc.Verify.Findings) == 0 {
		t.Errorf("access -o json: %v %+v", err, doc)
	}
}

// describe shows live state; delete removes exactly the plugin's objects,
// and namespaces only when asked.
func TestDescribeAndDelete(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	u.tenant("create", "tz", "--from-context", "admin", "--namespace", "tz", "--namespace", "tz-ci")
	u.tenant("grant", "tz", "--serviceaccount", "app", "--role", "edit")
	u.tenant("grant", "tz", "--user", "ivy", "--role", "view", "--namespace", "tz-ci")
	u.kubectl("create", "rolebinding", "not-ours", "-n", "tz", "--clusterrole", "view", "--user", "judy")

	out := u.tenant("describe", "tz").stdout
	for _, want := range []string{"reachable, Kubernetes v", "tz (Active), tz-ci (Active)"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	var grants [][]string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "edit" || f[0] == "view") {
			grants = append(grants, f)
		}
	}
	wantGrants := [][]string{{"edit", "serviceaccount", "tz:app", "tz,tz-ci", "bound"}, {"view", "user", "ivy", "tz-ci", "bound"}}
	if diff := cmp.Diff(wantGrants, grants); diff != "" {
		t.Errorf("describe grants (-want +got):\n%s", diff)
	}
	u.kubectl("delete", "rolebinding", "kubectl-tenant:tz:view:user:ivy", "-n", "tz-ci")
	if out := u.tenant("describe", "tz").stdout; !strings.Contains(out, "MISSING in tz-ci (re-run grant)") {
		t.Errorf("describe does not report the deleted binding:\n%s", out)
	}

	u.tenant("delete", "tz")
	if got := u.kubectl("get", "rolebindings,serviceaccounts", "-n", "tz", "-l", "app.kubernetes.io/managed-by=kubectl-tenant", "-o", "name"); got != "" {
		t.Errorf("the plugin's objects survived delete: %s", got)
	}
	if got := u.kubectl("get", "clusterroles,clusterrolebindings", "-l", "tenancy.kubectl-tenant.io/tenant=tz", "-o", "name"); got != "" {
		t.Errorf("cluster objects survived delete: %s", got)
	}
	u.kubectl("get", "rolebinding", "not-ours", "-n", "tz") // someone else's stays
	u.kubectl("get", "namespace", "tz")                     // kept without --delete-namespaces
	if stderr := u.tenantFails("get", "tz"); !strings.Contains(stderr, `no tenant named "tz"`) {
		t.Errorf("record after delete: %s", stderr)
	}

	u.tenant("create", "ty", "--from-context", "admin")
	r := u.tenant("delete", "ty", "--delete-namespaces")
	if !strings.Contains(r.stderr, "deleting tenant \"ty\"'s namespaces and everything in them: ty") {
		t.Errorf("delete does not name the namespaces first: %s", r.stderr)
	}
	if got := u.kubectl("get", "namespace", "ty", "--ignore-not-found", "-o", "jsonpath={.metadata.deletionTimestamp}{.metadata.name}"); got == "ty" {
		t.Error("namespace ty is neither gone nor terminating")
	}

	// A delete that fails half-way keeps the record, and a re-run
	// finishes: a namespace it deleted already is no error.
	u.tenant("create", "tx", "--from-context", "admin", "--namespace", "tx-a", "--namespace", "tx-b")
	u.kubectl("label", "namespace", "tx-b", tenant.LabelTenant+"-")
	if stderr := u.tenantFails("delete", "tx", "--delete-namespaces"); !strings.Contains(stderr, "namespace tx-b is not labelled for tenant") {
		t.Errorf("delete of a tenant with a namespace no longer its own: %s", stderr)
	}
	tenantRecord(t, u, "tx") // kept
	u.kubectl("label", "namespace", "tx-b", tenant.LabelTenant+"=tx", tenant.LabelManagedBy+"="+tenant.ManagedBy, "--overwrite")
	u.tenant("delete", "tx", "--delete-namespaces")
	if stderr := u.tenantFails("get", "tx"); !strings.Contains(stderr, `no tenant named "tx"`) {
		t.Errorf("record after the re-run: %s", stderr)
	}
}

// A tenant whose cluster does not answer: commands say so in one line and
// change nothing; describe reports it.
func TestUnreachableCluster(t *testing.T) {
	u := newUser(t)
	config := filepath.Join(u.home, "kubeconfig")
	data, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, config, string(data))
	u = u.with("KUBECONFIG=" + config)
	u.tenant("create", "tu", "--from-context", "admin")
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	before, _ := os.ReadFile(registry)

	writeFile(t, config, strings.Replace(string(data), cp.URL, "https://127.0.0.1:1", 1))
	stderr := u.tenantFails("grant", "tu", "--user", "kim", "--role", "view")
	if !strings.Contains(stderr, `tenant "tu"'s cluster (context "admin") did not answer`) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("grant on an unreachable cluster: %q", stderr)
	}
	if out := u.tenant("describe", "tu").stdout; !strings.Contains(out, "unreachable") {
		t.Errorf("describe of an unreachable cluster:\n%s", out)
	}
	if after, _ := os.ReadFile(registry); string(after) != string(before) {
		t.Error("a failed grant changed the registry")
	}
}
