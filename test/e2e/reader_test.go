package e2e

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The everyday read commands, through kubectl as a user runs them, print
// what the engine prints for the same command line, byte for byte, on
// both streams and with the same exit status; the reader answers them
// (the front and the reader alone, without the engine beside them, do);
// and what the reader leaves alone reaches the engine all the same.
func TestReaderPrintsWhatTheEnginePrints(t *testing.T) {
	u := newUser(t)
	config := filepath.Join(u.home, "kubeconfig")
	admin := readFile(t, cp.AdminKubeconfig)
	// Fifty more contexts than the admin one, in a second file of the
	// KUBECONFIG list, and a tenant's context made by the plugin.
	var more strings.Builder
	more.WriteString("apiVersion: v1\nkind: Config\nclusters:\n- name: far\n  cluster: {server: \"https://far.example.com\"}\nusers:\n- name: far\n  user: {token: t}\ncontexts:\n")
	for i := range 50 {
		fmt.Fprintf(&more, "- name: far-%02d\n  context: {cluster: far, user: far, namespace: ns-%d}\n", i, i)
	}
	writeFile(t, config, admin)
	writeFile(t, config+"-more", more.String())
	u = u.with("KUBECONFIG=" + config + string(os.PathListSeparator) + config + "-more")
	u.tenant("create", "tread", "--from-context", "admin", "--namespace", "tread", "--namespace", "tread-ci")
	u.tenant("create", "tread2", "--from-context", "admin")
	u.tenant("grant", "tread", "--serviceaccount", "ci", "--role", "edit")
	u.tenant("kubeconfig", "tread", "--serviceaccount", "ci", "--merge")

	engine := filepath.Join(binDir, "libexec", "kubectl-tenant", "kubectl-tenant-engine")
	alone := withoutEngine(t)
	exitCode := func(err error) int { return exitCodeOf(t, err) }
	for _, c := range []struct {
		args     []string
		answered bool // by the reader alone
	}{
		{[]string{"contexts", "list"}, true},
		{[]string{"contexts", "list", "-o", "name"}, true},
		{[]string{"contexts", "list", "-o", "yaml"}, true},
		{[]string{"contexts", "list", "--no-headers", "-o", "json"}, true},
		{[]string{"contexts", "extract", "admin"}, true},
		{[]string{"contexts", "extract", "admin", "far-07", "-o", "json"}, true},
		{[]string{"list", "--live=false"}, true},
		{[]string{"list", "-o", "name"}, true},
		{[]string{"list", "-o", "yaml"}, true},
		{[]string{"get", "tread"}, true},
		{[]string{"get", "tenant/tread2", "-o", "json"}, true},
		{[]string{"__complete", "grant", ""}, true},
		{[]string{"__complete", "grant", "tread", "--namespace", ""}, true},
		{[]string{"__complete", "contexts", "extract", "far-0"}, true},
		{[]string{"__complete", "list", "--context", "ad"}, true},
		// What the reader leaves to the engine.
		{[]string{"list"}, false},
		{[]string{"get", "nobody"}, false},
		{[]string{"get", "tread", "-o", "jsonpath={.spec.namespaces}"}, false},
		{[]string{"contexts", "extract", "nothere"}, false},
		{[]string{"__complete", "grant", "tread", "--role", "ed"}, false},
		{[]string{"list", "--live=false", "--registry", "clustr"}, false},
	} {
		viaKubectl := u.run("kubectl", append([]string{"tenant"}, c.args...)...)
		if c.args[0] == "__complete" {
			// kubectl completes a plugin through kubectl_complete-tenant.
			viaKubectl = u.run(filepath.Join(binDir, "bin", "kubectl_complete-tenant"), c.args[1:]...)
		}
		direct := u.run(engine, c.args...)
		if viaKubectl.stdout != direct.stdout || viaKubectl.stderr != direct.stderr || exitCode(viaKubectl.err) != exitCode(direct.err) {
			t.Errorf("kubectl tenant %q printed\n%s%s(exit %d)\nthe engine\n%s%s(exit %d)", c.args,
				viaKubectl.stdout, viaKubectl.stderr, exitCode(viaKubectl.err), direct.stdout, direct.stderr, exitCode(direct.err))
		}
		r := u.run(filepath.Join(alone, "kubectl-tenant"), c.args...)
		if answered := r.err == nil; answered != c.answered {
			t.Errorf("kubectl tenant %q without the engine: answered %v, want %v\n%s%s", c.args, answered, c.answered, r.stdout, r.stderr)
		}
		if c.answered && r.stdout != direct.stdout {
			t.Errorf("kubectl tenant %q without the engine printed\n%s\nthe engine\n%s", c.args, r.stdout, direct.stdout)
		}
		if !c.answered && !strings.Contains(r.stderr, "kubectl-tenant-engine not found") {
			t.Errorf("kubectl tenant %q without the engine: %s, want the engine looked for", c.args, r.stderr)
		}
	}
	if out := u.tenant("contexts", "list", "-o", "name").stdout; strings.Count(out, "\n") != 52 {
		t.Errorf("contexts list -o name: %d lines, want 52 (admin, 50 far contexts, the tenant's):\n%s", strings.Count(out, "\n"), out)
	}
}

// withoutEngine is a directory holding the front and the reader alone: a
// command line the reader does not answer fails there, for want of the
// engine.
func withoutEngine(t *testing.T) string {
	t.Helper()
	alone := t.TempDir()
	for _, b := range []string{"kubectl-tenant", "kubectl-tenant-reader"} {
		src := filepath.Join(binDir, "bin", b)
		if b != "kubectl-tenant" {
			src = filepath.Join(binDir, "libexec", "kubectl-tenant", b)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(alone, b), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return alone
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// contexts merge runs in the reader, without the engine, and leaves the
// kubeconfig, its backup and the report the engine leaves; a conflict
// fails the same way and changes nothing; with --dry-run the engine
// answers (and writes nothing).
func TestMergeWithoutTheEngine(t *testing.T) {
	u := newUser(t)
	config := filepath.Join(u.home, "kubeconfig")
	admin := readFile(t, cp.AdminKubeconfig)
	incoming := filepath.Join(u.home, "team", "b.yaml")
	writeFile(t, incoming, "apiVersion: v1\nkind: Config\nclusters:\n- name: admin\n  cluster:\n    server: https://team.example.com\n    certificate-authority: ca.crt\n"+
		"users:\n- name: team\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubectl-tenant\n      args: [token, team]\n"+
		"contexts:\n- name: team\n  context: {cluster: admin, user: team, namespace: team}\n")
	u = u.with("KUBECONFIG=" + config)
	engine := filepath.Join(binDir, "libexec", "kubectl-tenant", "kubectl-tenant-engine")
	alone := withoutEngine(t)
	backup := config + ".kubectl-tenant.bak"
	restore := func() {
		writeFile(t, config, admin)
		_ = os.Remove(backup)
	}
	for _, args := range [][]string{
		{"contexts", "merge", incoming, "--on-conflict=rename"},
		{"contexts", "merge", incoming, "--prefix", "team-"},
		{"contexts", "merge", incoming}, // the cluster name is taken: a conflict
	} {
		restore()
		want := u.run(engine, args...)
		wantConfig, wantBackup := readFile(t, config), readOptional(t, backup)
		restore()
		got := u.run(filepath.Join(alone, "kubectl-tenant"), args...)
		if got.stdout != want.stdout || got.stderr != want.stderr || exitCodeOf(t, got.err) != exitCodeOf(t, want.err) {
			t.Errorf("%q without the engine printed\n%s%s(exit %d)\nthe engine\n%s%s(exit %d)", args,
				got.stdout, got.stderr, exitCodeOf(t, got.err), want.stdout, want.stderr, exitCodeOf(t, want.err))
		}
		if readFile(t, config) != wantConfig || readOptional(t, backup) != wantBackup {
			t.Errorf("%q without the engine left\n%s\nthe engine\n%s", args, readFile(t, config), wantConfig)
		}
		if args[len(args)-1] == incoming {
			if want.err == nil || readFile(t, config) != admin || readOptional(t, backup) != "" {
				t.Errorf("%q: a conflict merged or left a backup: %v", args, want.err)
			}
		}
	}
	// Through kubectl, as a user runs it.
	restore()
	u.tenant("contexts", "merge", incoming, "--on-conflict=rename")
	if out := u.tenant("contexts", "list", "-o", "name").stdout; !strings.Contains(out, "team\n") {
		t.Errorf("after a merge through kubectl, contexts list -o name:\n%s", out)
	}
	// An input read from a pipe is read once: its error is reported, and
	// nothing is written.
	out := filepath.Join(u.home, "piped.yaml")
	cmd := exec.Command("kubectl", "tenant", "contexts", "merge", "/dev/stdin", "--into", out)
	cmd.Env, cmd.Dir, cmd.Stdin = u.env, u.home, strings.NewReader("apiVersion: v1\nclusters: [\n")
	if msg, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(msg), "is not valid") {
		t.Errorf("merging a broken kubeconfig from a pipe: %v\n%s", err, msg)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("merging a broken kubeconfig from a pipe wrote %s: %v", out, err)
	}
	// --dry-run is the engine's: without it, the front finds no engine.
	restore()
	r := u.run(filepath.Join(alone, "kubectl-tenant"), "contexts", "merge", incoming, "--on-conflict=rename", "--dry-run=client")
	if r.err == nil || !strings.Contains(r.stderr, "kubectl-tenant-engine not found") || readFile(t, config) != admin {
		t.Errorf("a dry-run merge without the engine: %v\n%s", r.err, r.stderr)
	}
}

func readOptional(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// The front prints the reader's last answer again while nothing it was
// read from has changed, and a fresh answer once something has.
func TestAnswersKept(t *testing.T) {
	u := newUser(t)
	config := filepath.Join(u.home, "kubeconfig")
	writeFile(t, config, readFile(t, cp.AdminKubeconfig))
	u = u.with("KUBECONFIG="+config, "XDG_CACHE_HOME="+filepath.Join(u.home, "cache"))
	u.tenant("create", "tkept", "--from-context", "admin")
	// An answer is kept only from files that have not changed for two
	// seconds.
	settle := func() { time.Sleep(2100 * time.Millisecond) }
	settle()
	first := u.tenant("list", "--live=false").stdout
	answers, err := filepath.Glob(filepath.Join(u.home, "cache", "kubectl-tenant", "answers", "*.json"))
	if err != nil || len(answers) != 1 {
		t.Fatalf("answers kept: %v %v, want one", answers, err)
	}
	// What the front prints comes from the kept answer: change it.
	var kept map[string]any
	if err := json.Unmarshal([]byte(readFile(t, answers[0])), &kept); err != nil {
		t.Fatal(err)
	}
	kept["stdout"] = base64.StdEncoding.EncodeToString([]byte("from the answer kept\n"))
	data, _ := json.Marshal(kept)
	writeFile(t, answers[0], string(data))
	if got := u.tenant("list", "--live=false").stdout; got != "from the answer kept\n" {
		t.Fatalf("the second list printed %q, want the kept answer", got)
	}
	// Another command line, another environment: answered anew.
	if got := u.tenant("list", "--live=false", "--no-headers").stdout; !strings.Contains(got, "tkept") {
		t.Errorf("list --no-headers: %q", got)
	}
	if got := u.with("XDG_CONFIG_HOME="+filepath.Join(u.home, "elsewhere")).tenant("list", "--live=false").stdout; strings.Contains(got, "tkept") || strings.Contains(got, "kept answer") {
		t.Errorf("list with another registry: %q", got)
	}
	// A changed registry: the answer is made again.
	u.tenant("create", "tkept2", "--from-context", "admin")
	if got := u.tenant("list", "--live=false").stdout; !strings.Contains(got, "tkept2") || got == first {
		t.Errorf("list after a tenant was created: %q", got)
	}
	// A changed kubeconfig, even one written through "~/": contexts list
	// answers anew too.
	settle()
	home := u.with("KUBECONFIG=~/kubeconfig")
	before := home.tenant("contexts", "list", "-o", "name").stdout
	if again := home.tenant("contexts", "list", "-o", "name").stdout; again != before {
		t.Fatalf("contexts list twice: %q, then %q", before, again)
	}
	u.kubectl("config", "set-context", "another", "--cluster", "admin", "--user", "admin")
	if got := home.tenant("contexts", "list", "-o", "name").stdout; got == before || !strings.Contains(got, "another") {
		t.Errorf("contexts list after kubectl added a context: %q (before %q)", got, before)
	}
}
