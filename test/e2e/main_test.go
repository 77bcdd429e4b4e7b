// Package e2e runs the built kubectl-tenant binary the way a user does:
// first on PATH, called as `kubectl tenant ...` by the real kubectl, with a
// clean environment and a fresh HOME per test, against a real apiserver.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var (
	cp     *testenv.ControlPlane
	binDir string // holds bin/kubectl-tenant, bin/kubectl_complete-tenant and libexec/kubectl-tenant/kubectl-tenant-engine
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-tenant-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := buildPlugin(dir); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: building kubectl-tenant: %v\n", err)
		return 1
	}
	if _, err := testenv.Kubectl(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return testenv.RunWithControlPlane(m, testenv.Options{}, &cp)
}

// buildPlugin builds the front into dir/bin, with the completion helper
// as a link to it, and the engine, signer and reader into dir/libexec/kubectl-tenant,
// as `make install` lays them out.
func buildPlugin(dir string) error {
	root := repoRoot()
	for pkg, out := range map[string]string{
		"./cmd/kubectl-tenant":        filepath.Join(dir, "bin", "kubectl-tenant"),
		"./cmd/kubectl-tenant-engine": filepath.Join(dir, "libexec", "kubectl-tenant", "kubectl-tenant-engine"),
		"./cmd/kubectl-tenant-signer": filepath.Join(dir, "libexec", "kubectl-tenant", "kubectl-tenant-signer"),
		"./cmd/kubectl-tenant-reader": filepath.Join(dir, "libexec", "kubectl-tenant", "kubectl-tenant-reader"),
	} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
	}
	return os.Symlink("kubectl-tenant", filepath.Join(dir, "bin", "kubectl_complete-tenant"))
}

// user is one person's environment: a fresh HOME, the plugin first on PATH.
type user struct {
	t    *testing.T
	home string
	env  []string
}

func newUser(t *testing.T) *user {
	t.Helper()
	home := t.TempDir()
	kubectl, _ := testenv.Kubectl()
	return &user{t: t, home: home, env: []string{
		"HOME=" + home,
		"PATH=" + filepath.Join(binDir, "bin") + string(os.PathListSeparator) + filepath.Dir(kubectl) + string(os.PathListSeparator) + "/usr/bin:/bin",
	}}
}

// with returns a copy of u with more environment variables.
func (u *user) with(env ...string) *user {
	c := *u
	c.env = append(append([]string(nil), u.env...), env...)
	return &c
}

type result struct {
	stdout, stderr string
	err            error
}

// run runs a command (usually kubectl) in the user's environment.
func (u *user) run(name string, args ...string) result {
	u.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = u.env
	cmd.Dir = u.home
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// kubectl runs kubectl and fails the test if it fails.
func (u *user) kubectl(args ...string) string {
	u.t.Helper()
	r := u.run("kubectl", args...)
	if r.err != nil {
		u.t.Fatalf("kubectl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// tenant runs `kubectl tenant ARGS` and fails the test if it fails.
func (u *user) tenant(args ...string) result {
	u.t.Helper()
	r := u.run("kubectl", append([]string{"tenant"}, args...)...)
	if r.err != nil {
		u.t.Fatalf("kubectl tenant %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}

// tenantFails runs `kubectl tenant ARGS`, which must fail, and returns stderr.
func (u *user) tenantFails(args ...string) string {
	u.t.Helper()
	r := u.run("kubectl", append([]string{"tenant"}, args...)...)
	if r.err == nil {
		u.t.Fatalf("kubectl tenant %s succeeded, want a failure\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	}
	return r.stderr
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// startLocalEKS starts a local EKS for the test and returns a user of it;
// the test process reads it too (to check), through the same environment.
func startLocalEKS(t *testing.T) (*testenv.LocalEKS, *user) {
	t.Helper()
	local, err := testenv.StartLocalEKS(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Stop)
	for _, kv := range local.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return local, newUser(t).with(local.Env()...)
}
