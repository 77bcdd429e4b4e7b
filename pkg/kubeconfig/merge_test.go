package kubeconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles writes name -> content under dir and returns the paths in
// the order of names.
func writeFiles(t *testing.T, dir string, files map[string]string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[n]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func mustRead(t *testing.T, path string) *File {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// summary renders a config's names and references compactly for comparison.
func summary(t *testing.T, f *File) []string {
	t.Helper()
	var out []string
	for _, c := range f.Config.Clusters {
		out = append(out, "cluster "+c.Name+" "+c.Cluster.Server+" "+c.Cluster.CertificateAuthority)
	}
	for _, u := range f.Config.AuthInfos {
		out = append(out, "user "+u.Name+" "+u.AuthInfo.Token+u.AuthInfo.ClientKey)
	}
	for _, c := range f.Config.Contexts {
		out = append(out, "context "+c.Name+" "+c.Context.Cluster+"/"+c.Context.AuthInfo)
	}
	out = append(out, "current "+f.Config.CurrentContext)
	return out
}

const target = `apiVersion: v1
kind: Config
preferences:
  colors: true
  extensions:
  - name: pref-ext
    extension: {keep: me}
clusters:
- name: prod
  cluster: {server: https://prod.example}
- name: shared
  cluster: {server: https://shared.example}
users:
- name: alice
  user: {token: a}
contexts:
- name: prod
  context:
    cluster: prod
    user: alice
    extensions:
    - name: ctx-ext
      extension: {tenant: acme}
current-context: prod
extensions:
- name: top-ext
  extension: {keep: too}
`

// incoming clashes with target on cluster "prod" and context "prod",
// repeats "shared" identically, and brings a new user.
const incoming = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: https://other.example}
- name: shared
  cluster: {server: https://shared.example}
users:
- name: bob
  user: {token: b}
contexts:
- name: prod
  context: {cluster: prod, user: bob}
- name: shared
  context: {cluster: shared, user: bob}
current-context: prod
`

func TestMergePolicies(t *testing.T) {
	tests := []struct {
		policy  ConflictPolicy
		want    []string
		wantErr string
	}{
		{
			policy:  OnConflictError,
			wantErr: `2 conflicting entries, nothing was changed: cluster "prod"`,
		},
		{
			policy: OnConflictRename,
			want: []string{
				"cluster prod https://prod.example ", "cluster shared https://shared.example ", "cluster prod-2 https://other.example ",
				"user alice a", "user bob b",
				"context prod prod/alice", "context prod-2 prod-2/bob", "context shared shared/bob",
				"current prod",
			},
		},
		{
			policy: OnConflictSkip,
			want: []string{
				"cluster prod https://prod.example ", "cluster shared https://shared.example ",
				"user alice a", "user bob b",
				"context prod prod/alice", "context shared shared/bob",
				"current prod",
			},
		},
		{
			policy: OnConflictOverwrite,
			want: []string{
				"cluster prod https://other.example ", "cluster shared https://shared.example ",
				"user alice a", "user bob b",
				"context prod prod/bob", "context shared shared/bob",
				"current prod",
			},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			dir := t.TempDir()
			paths := writeFiles(t, dir, map[string]string{"config": target, "in.yaml": incoming}, "config", "in.yaml")
			set := NewSet(mustRead(t, paths[0]))
			_, err := set.Merge([]*File{mustRead(t, paths[1])}, MergeOptions{OnConflict: tt.policy})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var ce *ConflictError
				if !errors.As(err, &ce) || len(ce.Conflicts) != 2 {
					t.Fatalf("want a ConflictError naming cluster and context prod, got %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := set.WriteChanged(); err != nil {
				t.Fatal(err)
			}
			got := mustRead(t, paths[0])
			if diff := cmp.Diff(tt.want, summary(t, got)); diff != "" {
				t.Errorf("merged config (-want +got):\n%s", diff)
			}
			// What the merge did not mean to change is kept.
			if !got.Config.Preferences.Colors || len(got.Config.Preferences.Extensions) != 1 || len(got.Config.Extensions) != 1 {
				t.Errorf("preferences or extensions lost: %+v %+v", got.Config.Preferences, got.Config.Extensions)
			}
			if tt.policy != OnConflictOverwrite {
				if exts := got.Config.Contexts[0].Context.Extensions; len(exts) != 1 || !strings.Contains(string(exts[0].Extension.Raw), "acme") {
					t.Errorf("context extension lost: %+v", exts)
				}
			}
		})
	}
}

func TestMergeSkipDropsContextsOfSkippedEntries(t *testing.T) {
	dir := t.TempDir()
	paths := writeFiles(t, dir, map[string]string{
		"config": target,
		"in.yaml": `clusters:
- name: prod
  cluster: {server: https://evil.example}
users:
- name: carol
  user: {token: c}
contexts:
- name: carol-prod
  context: {cluster: prod, user: carol}
`}, "config", "in.yaml")
	set := NewSet(mustRead(t, paths[0]))
	changes, err := set.Merge([]*File{mustRead(t, paths[1])}, MergeOptions{OnConflict: OnConflictSkip})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := set.Context("carol-prod"); c != nil {
		t.Errorf("context carol-prod was added, pointing at the existing prod cluster")
	}
	var reasons []string
	for _, c := range changes {
		if c.Action == Skipped {
			reasons = append(reasons, string(c.Kind)+" "+c.Name+": "+c.Reason)
		}
	}
	want := []string{
		"cluster prod: a different cluster of that name exists in " + paths[0],
		`context carol-prod: its cluster "prod" was skipped`,
	}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
}

func TestMergeIdenticalIsNoChange(t *testing.T) {
	dir := t.TempDir()
	paths := writeFiles(t, dir, map[string]string{"config": target, "copy.yaml": target}, "config", "copy.yaml")
	set := NewSet(mustRead(t, paths[0]))
	changes, err := set.Merge([]*File{mustRead(t, paths[1])}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Action != Unchanged {
			t.Errorf("merging a file with itself: %+v", c)
		}
	}
	if len(set.Changed) != 0 {
		t.Errorf("files marked changed: %d", len(set.Changed))
	}
}

func TestMergeRenameIsConsistent(t *testing.T) {
	dir := t.TempDir()
	// Everything clashes, and the incoming file already uses the name
	// "prod-2", so the rename must go to prod-3.
	paths := writeFiles(t, dir, map[string]string{
		"config": target,
		"in.yaml": `clusters:
- name: prod
  cluster: {server: https://x.example}
- name: prod-2
  cluster: {server: https://y.example}
users:
- name: alice
  user: {token: other}
contexts:
- name: prod
  context: {cluster: prod, user: alice}
current-context: prod
`}, "config", "in.yaml")
	set := NewSet(mustRead(t, paths[0]))
	if _, err := set.Merge([]*File{mustRead(t, paths[1])}, MergeOptions{OnConflict: OnConflictRename}); err != nil {
		t.Fatal(err)
	}
	got := summary(t, set.Files[0])
	want := []string{
		"cluster prod https://prod.example ", "cluster shared https://shared.example ",
		"cluster prod-3 https://x.example ", "cluster prod-2 https://y.example ",
		"user alice a", "user alice-2 other",
		"context prod prod/alice", "context prod-2 prod-3/alice-2",
		"current prod",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMergePrefixAndCurrentContext(t *testing.T) {
	dir := t.TempDir()
	paths := writeFiles(t, dir, map[string]string{"in.yaml": incoming}, "in.yaml")
	set := NewSet(mustRead(t, filepath.Join(dir, "new-config"))) // does not exist yet
	if _, err := set.Merge([]*File{mustRead(t, paths[0])}, MergeOptions{Prefix: "b-"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cluster b-prod https://other.example ", "cluster b-shared https://shared.example ",
		"user b-bob b",
		"context b-prod b-prod/b-bob", "context b-shared b-shared/b-bob",
		"current b-prod",
	}
	if diff := cmp.Diff(want, summary(t, set.Files[0])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMergeResolvesPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := t.TempDir()
	paths := writeFiles(t, dir, map[string]string{"sub/in.yaml": `clusters:
- name: c
  cluster: {server: https://c.example, certificate-authority: certs/ca.crt}
- name: abs
  cluster: {server: https://d.example, certificate-authority: /etc/ca.crt}
users:
- name: u
  user:
    client-certificate: ../u.crt
    client-key: ~/keys/u.key
    tokenFile: token
    exec: {command: ./bin/auth, apiVersion: client.authentication.k8s.io/v1}
- name: v
  user:
    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}
contexts:
- name: c
  context: {cluster: c, user: u}
`}, "sub/in.yaml")
	set := NewSet(mustRead(t, filepath.Join(t.TempDir(), "elsewhere", "config")))
	if _, err := set.Merge([]*File{mustRead(t, paths[0])}, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := set.Files[0].Config
	u := cfg.AuthInfos[0].AuthInfo
	got := []string{cfg.Clusters[0].Cluster.CertificateAuthority, cfg.Clusters[1].Cluster.CertificateAuthority,
		u.ClientCertificate, u.ClientKey, u.TokenFile, u.Exec.Command, cfg.AuthInfos[1].AuthInfo.Exec.Command}
	want := []string{
		filepath.Join(dir, "sub/certs/ca.crt"), "/etc/ca.crt",
		filepath.Join(dir, "u.crt"), filepath.Join(home, "keys/u.key"), filepath.Join(dir, "sub/token"),
		filepath.Join(dir, "sub/bin/auth"), "aws", // a PATH command stays as it is
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved paths (-want +got):\n%s", diff)
	}
}

func TestMergeSeveralSourcesConflictAmongThemselves(t *testing.T) {
	dir := t.TempDir()
	a := "clusters:\n- name: x\n  cluster: {server: https://a}\n"
	b := "clusters:\n- name: x\n  cluster: {server: https://b}\n"
	paths := writeFiles(t, dir, map[string]string{"a": a, "b": b}, "a", "b")
	set := NewSet(mustRead(t, filepath.Join(dir, "out")))
	_, err := set.Merge([]*File{mustRead(t, paths[0]), mustRead(t, paths[1])}, MergeOptions{})
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Conflicts) != 1 || ce.Conflicts[0].From != paths[1] || ce.Conflicts[0].In != paths[0] {
		t.Fatalf("want one conflict of %s with %s, got %v", paths[1], paths[0], err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"malformed yaml", "clusters:\n- name: a\n  cluster: [\n", "line"},
		{"wrong type", "clusters: {a: b}\n", "cannot unmarshal"},
		{"wrong kind", "kind: Pod\n", `kind is "Pod"`},
		{"duplicate", "contexts:\n- name: a\n  context: {}\n- name: a\n  context: {}\n", `contexts "a" is defined twice`},
		{"unnamed", "users:\n- user: {token: x}\n", "users[0] has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFiles(t, t.TempDir(), map[string]string{"bad": tt.content}, "bad")[0]
			_, err := ReadFile(path)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != path || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a ParseError for %s containing %q", err, path, tt.want)
			}
		})
	}
}

func TestReadMissingAndEmpty(t *testing.T) {
	dir := t.TempDir()
	missing := mustRead(t, filepath.Join(dir, "nope"))
	if missing.Exists || len(missing.Config.Contexts) != 0 {
		t.Errorf("missing file: %+v", missing)
	}
	empty := mustRead(t, writeFiles(t, dir, map[string]string{"empty": "\n  \n"}, "empty")[0])
	if !empty.Exists || len(empty.Config.Clusters) != 0 {
		t.Errorf("empty file: %+v", empty)
	}
}

func TestAbsPathExpandsHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	got, err := AbsPath("~/.kube/config")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".kube/config"); got != want {
		t.Errorf("AbsPath = %s, want %s", got, want)
	}
}
