package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
)

// fileBackedKubeconfig writes a kubeconfig for the admin user whose CA,
// certificate and key are separate files referenced by relative paths, as
// kubeadm and many installers leave them. It returns its path.
func fileBackedKubeconfig(t *testing.T, dir, name string) string {
	t.Helper()
	cert, key, err := cp.IssueUser(name, "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "pki", "ca.crt"), string(cp.CAData))
	writeFile(t, filepath.Join(dir, "pki", name+".crt"), string(cert))
	writeFile(t, filepath.Join(dir, "pki", name+".key"), string(key))
	path := filepath.Join(dir, "config")
	writeFile(t, path, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority: pki/ca.crt
users:
- name: %[1]s
  user:
    client-certificate: pki/%[1]s.crt
    client-key: pki/%[1]s.key
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: %[1]s}
- name: other
  context: {cluster: %[1]s, user: %[1]s, namespace: kube-system}
current-context: other
`, name, cp.URL))
	return path
}

// An extracted context carries its certificates inline: real kubectl uses
// it after the files it came from are gone.
func TestExtractedContextWorksForKubectl(t *testing.T) {
	u := newUser(t)
	src := fileBackedKubeconfig(t, filepath.Join(u.home, "src"), "admin-e2e")
	out := filepath.Join(u.home, "extracted.yaml")

	// -o FILE, as earlier releases taught it: still written, with a warning.
	if r := u.tenant("--kubeconfig", src, "contexts", "extract", "admin-e2e", "-o", out); !strings.Contains(r.stderr, "-o FILE is deprecated") {
		t.Errorf("extract -o FILE gave no deprecation warning:\n%s", r.stderr)
	}
	if err := os.RemoveAll(filepath.Join(u.home, "src")); err != nil {
		t.Fatal(err)
	}
	if got := u.kubectl("--kubeconfig", out, "get", "ns", "kube-system", "-o", "name"); strings.TrimSpace(got) != "namespace/kube-system" {
		t.Errorf("kubectl get ns through the extracted context: %q", got)
	}
	if got := strings.Fields(u.kubectl("--kubeconfig", out, "config", "get-contexts", "-o", "name")); !cmp.Equal(got, []string{"admin-e2e"}) {
		t.Errorf("extracted contexts %v, want only admin-e2e", got)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("extracted file mode: %v %v, want 0600", fi.Mode(), err)
	}
	// Same answer as kubectl's own minify+flatten.
	ours := u.kubectl("--kubeconfig", out, "config", "view", "--raw", "-o", "jsonpath={.users[0].user.client-key-data}")
	if ours == "" {
		t.Error("no inlined client key")
	}
}

// Merging into the active kubeconfig (KUBECONFIG list) and reading the
// result with kubectl config view: exactly the expected contexts, each
// usable, file references still valid from the new place.
func TestMergedFileForKubectl(t *testing.T) {
	u := newUser(t)
	teamA := fileBackedKubeconfig(t, filepath.Join(u.home, "team-a"), "alice-e2e")
	teamB := filepath.Join(u.home, "team-b.yaml")
	// Same context name "other" as team-a's, different content: a conflict.
	writeFile(t, teamB, fmt.Sprintf(`clusters:
- name: b-cluster
  cluster: {server: %s, insecure-skip-tls-verify: true}
users:
- name: b-user
  user: {token: not-a-real-token}
contexts:
- name: other
  context: {cluster: b-cluster, user: b-user}
`, cp.URL))
	mine := filepath.Join(u.home, ".kube", "config")
	writeFile(t, mine, `apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: home
  cluster: {server: https://home.example}
users:
- name: me
  user: {token: mine}
contexts:
- name: home
  context: {cluster: home, user: me}
current-context: home
`)
	before := readFile(t, mine)

	stderr := u.tenantFails("contexts", "merge", teamA, teamB)
	if !strings.Contains(stderr, `context "other"`) || !strings.Contains(stderr, "nothing was changed") {
		t.Errorf("conflict error: %s", stderr)
	}
	if readFile(t, mine) != before {
		t.Fatal("a refused merge changed the kubeconfig")
	}

	r := u.tenant("contexts", "merge", teamA, teamB, "--on-conflict=rename")
	if !strings.Contains(r.stderr, `renamed context "other"`) {
		t.Errorf("merge report does not mention the rename: %s", r.stderr)
	}
	got := strings.Fields(u.kubectl("config", "view", "-o", "jsonpath={.contexts[*].name}"))
	sort.Strings(got)
	if want := []string{"alice-e2e", "home", "other", "other-2"}; !cmp.Equal(got, want) {
		t.Errorf("kubectl config view contexts = %v, want %v", got, want)
	}
	if cur := u.kubectl("config", "current-context"); strings.TrimSpace(cur) != "home" {
		t.Errorf("current context changed to %q", cur)
	}
	// The relative certificate paths from team-a resolve from ~/.kube/config.
	if got := u.kubectl("--context", "alice-e2e", "get", "ns", "default", "-o", "name"); strings.TrimSpace(got) != "namespace/default" {
		t.Errorf("kubectl through a merged context: %q", got)
	}
	if got := u.kubectl("config", "view", "-o", "jsonpath={.contexts[?(@.name==\"other-2\")].context.cluster}"); got != "b-cluster" {
		t.Errorf("renamed context points at %q, want b-cluster", got)
	}
	if backup := readFile(t, mine+kubeconfig.BackupSuffix); backup != before {
		t.Errorf("backup is not the previous content:\n%s", backup)
	}
}

// KUBECONFIG=first:second: an overwrite lands in the file holding the
// entry, new entries in the first file, and the second file's other
// entries are untouched.
func TestMergeFollowsKubeconfigList(t *testing.T) {
	u := newUser(t)
	firstPath := filepath.Join(u.home, "first.yaml")
	secondPath := filepath.Join(u.home, "second.yaml")
	writeFile(t, firstPath, "clusters:\n- name: a\n  cluster: {server: https://a.example}\n")
	writeFile(t, secondPath, "clusters:\n- name: b\n  cluster: {server: https://b.example}\n- name: keep\n  cluster: {server: https://keep.example}\n")
	in := filepath.Join(u.home, "in.yaml")
	writeFile(t, in, "clusters:\n- name: b\n  cluster: {server: https://b2.example}\n- name: c\n  cluster: {server: https://c.example}\n")

	lu := u.with("KUBECONFIG=" + firstPath + string(os.PathListSeparator) + secondPath)
	lu.tenant("contexts", "merge", in, "--on-conflict=overwrite")

	servers := func(path string) string {
		return u.kubectl("--kubeconfig", path, "config", "view", "-o", `jsonpath={range .clusters[*]}{.name}={.cluster.server} {end}`)
	}
	if got, want := servers(firstPath), "a=https://a.example c=https://c.example "; got != want {
		t.Errorf("first file: %q, want %q", got, want)
	}
	if got, want := servers(secondPath), "b=https://b2.example keep=https://keep.example "; got != want {
		t.Errorf("second file: %q, want %q", got, want)
	}
}

// Twenty merges at once into one file: every one lands, nothing is lost,
// the file parses and keeps mode 0600.
func TestConcurrentMerges(t *testing.T) {
	u := newUser(t)
	target := filepath.Join(u.home, "shared-config")
	writeFile(t, target, `clusters:
- name: orig
  cluster: {server: https://orig.example}
users:
- name: orig
  user: {token: t}
contexts:
- name: orig-1
  context: {cluster: orig, user: orig}
- name: orig-2
  context: {cluster: orig, user: orig, namespace: x}
current-context: orig-1
`)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]string, n)
	for i := range n {
		in := filepath.Join(u.home, fmt.Sprintf("in-%d.yaml", i))
		writeFile(t, in, fmt.Sprintf("clusters:\n- name: c%[1]d\n  cluster: {server: https://c%[1]d.example}\ncontexts:\n- name: ctx-%[1]d\n  context: {cluster: c%[1]d, user: orig}\n", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := u.run("kubectl", "tenant", "contexts", "merge", in, "--into", target)
			if r.err != nil {
				errs[i] = r.stderr
			}
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("merge %d failed: %s", i, e)
		}
	}
	got := strings.Fields(u.kubectl("--kubeconfig", target, "config", "view", "-o", "jsonpath={.contexts[*].name}"))
	sort.Strings(got)
	want := []string{"orig-1", "orig-2"}
	for i := range n {
		want = append(want, fmt.Sprintf("ctx-%d", i))
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("contexts after %d concurrent merges (-want +got):\n%s", n, diff)
	}
	fi, err := os.Stat(target)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v %v, want 0600", fi.Mode(), err)
	}
	if _, err := os.Stat(target + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}

func TestRemoveAndList(t *testing.T) {
	u := newUser(t)
	src := fileBackedKubeconfig(t, filepath.Join(u.home, "k"), "bob-e2e")
	lu := u.with("KUBECONFIG=" + src)

	table := lu.tenant("contexts", "list").stdout
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	want := [][]string{
		{"NAME", "CLUSTER", "USER", "NAMESPACE", "CURRENT", "TENANT", "EXPIRES"},
		{"bob-e2e", "bob-e2e", "bob-e2e"},
		{"other", "bob-e2e", "bob-e2e", "kube-system", "*"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("list table (-want +got):\n%s", diff)
	}
	var listed struct {
		Contexts []struct{ Name string } `json:"contexts"`
	}
	if err := json.Unmarshal([]byte(lu.tenant("contexts", "list", "-o", "json").stdout), &listed); err != nil || len(listed.Contexts) != 2 {
		t.Errorf("list -o json: %+v %v", listed, err)
	}

	r := lu.tenant("contexts", "remove", "other")
	if !strings.Contains(r.stderr, "the current context was removed") {
		t.Errorf("remove report: %s", r.stderr)
	}
	// bob-e2e's cluster and user stay: the bob-e2e context still uses them.
	if got := lu.kubectl("--context", "bob-e2e", "get", "ns", "default", "-o", "name"); strings.TrimSpace(got) != "namespace/default" {
		t.Errorf("remaining context: %q", got)
	}
	lu.tenant("contexts", "remove", "bob-e2e")
	if got := lu.kubectl("config", "view", "-o", "jsonpath={.clusters[*].name}{.users[*].name}{.contexts[*].name}"); got != "" {
		t.Errorf("after removing every context, left: %q", got)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	u := newUser(t)
	mine := filepath.Join(u.home, ".kube", "config")
	writeFile(t, mine, "contexts:\n- name: a\n  context: {cluster: a}\n")
	before := readFile(t, mine)
	bad := filepath.Join(u.home, "bad.yaml")
	writeFile(t, bad, "clusters:\n- name: x\n  cluster: {server: [\n")

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"contexts", "merge", bad}, bad + " is not valid: yaml: line"},
		{[]string{"contexts", "merge", filepath.Join(u.home, "missing.yaml")}, "missing.yaml does not exist"},
		{[]string{"contexts", "merge", bad, "--on-conflict", "merge"}, `unknown conflict policy "merge"`},
		{[]string{"contexts", "extract", "nope"}, `no context named "nope"; known contexts: a`},
		{[]string{"contexts", "remove", "a", "nope"}, `no context named "nope"`},
		{[]string{"version", "-o", "xml"}, `--output "xml" is not supported`},
	}
	for _, tt := range tests {
		stderr := u.tenantFails(tt.args...)
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("kubectl tenant %s: stderr %q, want %q", strings.Join(tt.args, " "), stderr, tt.want)
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 {
			t.Errorf("kubectl tenant %s: error is %d lines, want one:\n%s", strings.Join(tt.args, " "), lines+1, stderr)
		}
	}
	if readFile(t, mine) != before {
		t.Error("bad input changed the kubeconfig")
	}
	if _, err := os.Stat(mine + kubeconfig.BackupSuffix); !os.IsNotExist(err) {
		t.Errorf("bad input made a backup: %v", err)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	u := newUser(t)
	var v struct{ Version, GoVersion string }
	if err := json.Unmarshal([]byte(u.tenant("version", "-o", "json").stdout), &v); err != nil || v.Version == "" || v.GoVersion == "" {
		t.Errorf("version -o json: %+v %v", v, err)
	}
	// kubectl's own completion reaches the plugin through kubectl_complete-tenant.
	if got := u.kubectl("__complete", "tenant", "con"); !strings.Contains(got, "contexts") {
		t.Errorf("kubectl completion of 'tenant con': %q", got)
	}
	writeFile(t, filepath.Join(u.home, ".kube", "config"), "contexts:\n- name: alpha\n  context: {}\n- name: beta\n  context: {}\n")
	if got := u.kubectl("__complete", "tenant", "contexts", "extract", ""); !strings.Contains(got, "alpha\nbeta\n") {
		t.Errorf("kubectl completion of context names: %q", got)
	}
	// Tenant names complete wherever a command takes one.
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	writeFile(t, registry, tenantList(
		"{name: acme}\n  spec: {cluster: {context: alpha}, namespaces: [acme]}",
		"{name: globex}\n  spec: {cluster: {context: beta}, namespaces: [globex]}"))
	for _, cmd := range [][]string{{"get"}, {"grant"}, {"aws-auth", "restore"}, {"kubeconfig"}} {
		args := append(append([]string{"__complete", "tenant"}, cmd...), "a")
		if got := u.kubectl(args...); !strings.HasPrefix(got, "acme\n") || strings.Contains(got, "globex") {
			t.Errorf("kubectl completion of 'tenant %s a': %q", strings.Join(cmd, " "), got)
		}
	}
	// A record's own bad field is named by its path, not by a flag no one gave.
	writeFile(t, registry, tenantList("{name: acme}\n  spec: {cluster: {context: alpha, eks: {name: acme}}, aws: {region: europe}, namespaces: [acme]}"))
	if out := u.tenant("describe", "acme").stdout; !strings.Contains(out, `spec.aws.region: Invalid value: "europe"`) || strings.Contains(out, "--region") {
		t.Errorf("describe of a record with a bad region:\n%s", out)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if out := u.tenant("completion", shell).stdout; !strings.Contains(out, "kubectl-tenant") {
			t.Errorf("completion %s does not mention the binary", shell)
		}
	}
}

// tenantList is a registry file holding Tenants, each given as its
// metadata, a new line, and its indented spec.
func tenantList(tenants ...string) string {
	out := "apiVersion: tenancy.kubectl-tenant.io/v1alpha1\nkind: TenantList\nitems:\n"
	for _, t := range tenants {
		out += "- apiVersion: tenancy.kubectl-tenant.io/v1alpha1\n  kind: Tenant\n  metadata: " + t + "\n"
	}
	return out
}
