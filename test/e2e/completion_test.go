package e2e

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
)

// Shell completion as kubectl runs it: `kubectl __complete tenant ...`
// finds kubectl_complete-tenant on PATH. Tenants, contexts, a tenant's
// namespaces, ClusterRoles and the subjects a tenant grants complete from
// the registry, the kubeconfig and the cluster; a cluster that does not
// answer costs a second at most, and the completion still answers what it
// knows without it.
func TestCompletion(t *testing.T) {
	u := newUser(t)
	config := filepath.Join(u.home, "kubeconfig")
	admin, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, config, string(admin))
	u = u.with("KUBECONFIG=" + config)
	u.tenant("create", "tcomp", "--from-context", "admin", "--namespace", "tcomp", "--namespace", "tcomp-ci")
	u.tenant("grant", "tcomp", "--user", "kim", "--role", "view")
	u.tenant("grant", "tcomp", "--serviceaccount", "deployer", "--role", "edit", "--namespace", "tcomp-ci")
	u.kubectl("create", "clusterrole", "tcomp-auditor", "--verb", "get", "--resource", "pods")

	complete := func(via string, args ...string) []string {
		t.Helper()
		var r result
		switch via {
		case "kubectl":
			r = u.run("kubectl", append([]string{"__complete", "tenant"}, args...)...)
		case "plugin":
			r = u.run(filepath.Join(binDir, "bin", "kubectl-tenant"), append([]string{"__complete"}, args...)...)
		}
		if r.err != nil {
			t.Fatalf("completing %q through %s: %v\n%s", args, via, r.err, r.stderr)
		}
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if strings.HasPrefix(line, ":") {
				break
			}
			name, _, _ := strings.Cut(line, "\t")
			out = append(out, name)
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want []string
		not  []string
	}{
		{args: []string{"grant", "tc"}, want: []string{"tcomp"}},
		{args: []string{"grant", "tcomp", "--role", ""}, want: []string{"admin", "edit", "tcomp-auditor", "view"}, not: []string{"system:aggregate-to-view"}},
		{args: []string{"grant", "tcomp", "--role", "system:aggregate-to-v"}, want: []string{"system:aggregate-to-view"}},
		{args: []string{"grant", "tcomp", "--namespace", ""}, want: []string{"tcomp", "tcomp-ci"}},
		{args: []string{"revoke", "tcomp", "--user", ""}, want: []string{"kim"}},
		{args: []string{"revoke", "tcomp", "--serviceaccount", ""}, want: []string{"tcomp:deployer"}},
		{args: []string{"revoke", "tcomp", "--role", ""}, want: []string{"edit", "view"}},
		{args: []string{"create", "other", "--from-context", ""}, want: []string{"admin"}},
		{args: []string{"list", "--context", ""}, want: []string{"admin"}},
		{args: []string{"contexts", "extract", ""}, want: []string{"admin"}},
	} {
		for _, via := range []string{"kubectl", "plugin"} {
			got := complete(via, c.args...)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("completing %q through %s: %v lacks %q", c.args, via, got, w)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("completing %q through %s: %v has %q", c.args, via, got, n)
				}
			}
			if len(c.not) == 0 && len(got) != len(c.want) {
				t.Errorf("completing %q through %s: %v, want exactly %v", c.args, via, got, c.want)
			}
		}
	}

	// A server that takes the connection and never answers.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	writeFile(t, config, strings.Replace(string(admin), cp.URL, "https://"+hole.Addr().String(), 1))
	timed := func(via string, args ...string) ([]string, time.Duration) {
		start := time.Now()
		got := complete(via, args...)
		return got, time.Since(start)
	}
	// Through the helper kubectl runs, the bound is ours alone.
	got, took := timed("plugin", "grant", "tcomp", "--role", "")
	t.Logf("completing --role against a cluster that never answers took %s", took)
	if !slices.Equal(got, []string{"admin", "edit", "view"}) || took > cmdutil.CompletionTimeout {
		t.Errorf("completing --role against a silent cluster: %v after %s, want admin, edit, view within the 1s bound", got, took)
	}
	// A registry in a management cluster that never answers: the tenant
	// names are given up on, quietly, within the same bound.
	start := time.Now()
	r := u.run(filepath.Join(binDir, "bin", "kubectl-tenant"), "__complete", "--registry", "cluster:admin", "grant", "")
	if took := time.Since(start); r.err != nil || took > cmdutil.CompletionTimeout || strings.Contains(r.stdout, "tcomp") {
		t.Errorf("completing tenants from a silent registry cluster: %v after %s:\n%s%s", r.err, took, r.stdout, r.stderr)
	}
	// Through kubectl, kubectl's own time comes first (a version-dispatching
	// kubectl, such as gcloud's, asks the server its version itself): a
	// completion that asks no cluster is the baseline, and the one that
	// does may cost the bound more.
	_, base := timed("kubectl", "grant", "tc")
	got, took = timed("kubectl", "grant", "tcomp", "--role", "")
	t.Logf("through kubectl: %s, of which kubectl's own (a completion that asks no cluster): %s", took, base)
	if !slices.Equal(got, []string{"admin", "edit", "view"}) || took > base+cmdutil.CompletionTimeout {
		t.Errorf("completing --role through kubectl against a silent cluster: %v after %s (kubectl alone %s), want admin, edit, view within the 1s bound", got, took, base)
	}
}
