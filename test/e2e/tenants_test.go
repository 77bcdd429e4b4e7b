package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// accessMatrix is the acceptance matrix: verbs x resources x namespaces.
var (
	matrixVerbs     = []string{"get", "list", "create", "update", "delete", "watch"}
	matrixResources = []string{"pods", "deployments", "secrets", "configmaps", "rolebindings", "namespaces", "nodes"}
)

// expected says whether a grant of a built-in role allows verb on resource
// within a namespace it covers. Namespaces are checked by name (the
// namespace object itself), nodes cluster-wide.
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
			args := append([]string{"auth", "can-i"}, s.args...)
			switch c.resource {
			case "namespaces":
				args = append(args, c.verb, "namespaces/"+c.ns)
			case "nodes":
				args = append(args, c.verb, "nodes")
			default:
				args = append(args, c.verb, c.resource, "-n", c.ns)
			}
			r := u.run("kubectl", args...)
			got := strings.TrimSpace(r.stdout) == "yes"
			if r.err != nil && strings.TrimSpace(r.stdout) != "no" {
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
	sa := subject{"ta's ServiceAccount", []string{"--as", "system:serviceaccount:ta:builder"}}
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
