package kubeconfig

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
)

// Two files as in KUBECONFIG=first:second. Both define cluster "shared"
// and context "dup"; the first file's win.
const first = `clusters:
- name: shared
  cluster: {server: https://first.example, certificate-authority: ca.crt}
users:
- name: u1
  user: {client-certificate: u1.crt, client-key: u1.key}
contexts:
- name: one
  context: {cluster: shared, user: u1, namespace: ns1}
- name: dup
  context: {cluster: shared, user: u1}
`

const second = `clusters:
- name: shared
  cluster: {server: https://second.example}
- name: lonely
  cluster: {server: https://lonely.example}
users:
- name: u2
  user: {token: t2}
contexts:
- name: two
  context: {cluster: lonely, user: u2}
- name: dup
  context: {cluster: lonely, user: u2}
- name: three
  context: {cluster: shared, user: u2}
current-context: two
`

func listSet(t *testing.T) (*Set, []string) {
	t.Helper()
	dir := t.TempDir()
	paths := writeFiles(t, dir, map[string]string{"first/config": first, "second/config": second}, "first/config", "second/config")
	for name, data := range map[string]string{"first/ca.crt": "CA1", "first/u1.crt": "CERT1", "first/u1.key": "KEY1"} {
		writeFiles(t, dir, map[string]string{name: data}, name)
	}
	set, err := ReadSet(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return set, paths
}

func TestSetFirstFileWins(t *testing.T) {
	set, paths := listSet(t)
	if c, f := set.Cluster("shared"); c.Cluster.Server != "https://first.example" || f.Path != paths[0] {
		t.Errorf("cluster shared from %s: %+v", f.Path, c)
	}
	if c, f := set.Context("dup"); c.Context.Cluster != "shared" || f.Path != paths[0] {
		t.Errorf("context dup from %s: %+v", f.Path, c)
	}
	if got := set.CurrentContext(); got != "two" {
		t.Errorf("current context %q, want two (first file that sets one)", got)
	}
	if diff := cmp.Diff([]string{"dup", "one", "three", "two"}, set.ContextNames()); diff != "" {
		t.Errorf("context names (-want +got):\n%s", diff)
	}
}

func TestExtractFlattens(t *testing.T) {
	set, _ := listSet(t)
	out, err := set.Extract([]string{"three", "one", "three"})
	if err != nil {
		t.Fatal(err)
	}
	if out.CurrentContext != "three" {
		t.Errorf("current context %q, want the first named", out.CurrentContext)
	}
	var got []string
	for _, c := range out.Contexts {
		got = append(got, "context "+c.Name)
	}
	for _, c := range out.Clusters {
		got = append(got, "cluster "+c.Name+" "+c.Cluster.Server+" ca="+string(c.Cluster.CertificateAuthorityData)+" file="+c.Cluster.CertificateAuthority)
	}
	for _, u := range out.AuthInfos {
		got = append(got, "user "+u.Name+" cert="+string(u.AuthInfo.ClientCertificateData)+" key="+string(u.AuthInfo.ClientKeyData)+" token="+u.AuthInfo.Token)
	}
	want := []string{
		"context three", "context one",
		// "three" uses cluster "shared", which resolves to the first file's
		// entry; its CA file is relative to that file.
		"cluster shared https://first.example ca=CA1 file=",
		"user u2 cert= key= token=t2",
		"user u1 cert=CERT1 key=KEY1 token=",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extracted (-want +got):\n%s", diff)
	}
	data, err := Encode(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("certificate-authority-data: "+base64.StdEncoding.EncodeToString([]byte("CA1")))) {
		t.Errorf("encoded output lacks inlined CA:\n%s", data)
	}
}

func TestExtractErrors(t *testing.T) {
	set, _ := listSet(t)
	_, err := set.Extract([]string{"nope"})
	var uc *UnknownContextError
	if !errors.As(err, &uc) || !strings.Contains(err.Error(), "known contexts: dup, one, three, two") {
		t.Errorf("unknown context: %v", err)
	}

	dir := t.TempDir()
	p := writeFiles(t, dir, map[string]string{"c": `clusters:
- name: c
  cluster: {server: https://x, certificate-authority: missing.crt}
contexts:
- name: c
  context: {cluster: c}
- name: dangling
  context: {cluster: gone}
`}, "c")
	set2 := NewSet(mustRead(t, p[0]))
	if _, err := set2.Extract([]string{"c"}); err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("missing CA file: %v", err)
	}
	if _, err := set2.Extract([]string{"dangling"}); err == nil || !strings.Contains(err.Error(), `cluster "gone"`) {
		t.Errorf("dangling cluster: %v", err)
	}
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name     string
		remove   []string
		want     Removed
		wantErr  string
		firstHas []string // contexts left in the first file
	}{
		{
			name:   "shared cluster stays while another context uses it",
			remove: []string{"one"},
			want:   Removed{Contexts: []string{"one"}},
			// u1 is still used by dup
			firstHas: []string{"dup"},
		},
		{
			name:     "last users of a cluster and user take them along",
			remove:   []string{"one", "dup"},
			want:     Removed{Contexts: []string{"one", "dup"}, Users: []string{"u1"}},
			firstHas: []string{},
		},
		{
			name:     "current context",
			remove:   []string{"two"},
			want:     Removed{Contexts: []string{"two"}, CurrentUnset: true},
			firstHas: []string{"one", "dup"},
		},
		{
			name:    "unknown name changes nothing",
			remove:  []string{"one", "nope"},
			wantErr: `no context named "nope"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, paths := listSet(t)
			got, err := set.Remove(tt.remove)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if len(set.Changed) != 0 {
					t.Errorf("files marked changed after a refused remove")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("removed (-want +got):\n%s", diff)
			}
			if err := set.WriteChanged(); err != nil {
				t.Fatal(err)
			}
			f := mustRead(t, paths[0])
			left := contextNames(f.Config)
			if diff := cmp.Diff(tt.firstHas, left); diff != "" {
				t.Errorf("contexts left in the first file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteKeepsBackupModeAndLinks(t *testing.T) {
	dir := t.TempDir()
	real := writeFiles(t, dir, map[string]string{"dotfiles/kubeconfig": first}, "dotfiles/kubeconfig")[0]
	if err := os.Chmod(real, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	f := mustRead(t, link)
	f.Config.CurrentContext = "one"
	if err := Write(f); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symbolic link was replaced: %v %v", fi, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if got := mustRead(t, real).Config.CurrentContext; got != "one" {
		t.Errorf("link target not updated: current context %q", got)
	}
	backup, err := os.ReadFile(real + BackupSuffix)
	if err != nil || string(backup) != first {
		t.Errorf("backup = %q, %v; want the previous content", backup, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(real)); len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// A write that fails before the rename leaves the original byte-identical
// and no temporary file behind.
func TestWriteFailureLeavesOriginal(t *testing.T) {
	dir := t.TempDir()
	path := writeFiles(t, dir, map[string]string{"config": target}, "config")[0]
	f := mustRead(t, path)
	f.Config.CurrentContext = "changed"
	failed := errors.New("disk full")
	calls := 0
	atomicfile.SyncFile = func(*os.File) error {
		calls++
		if calls == 2 { // the first sync is the backup's; fail the real write
			return failed
		}
		return nil
	}
	defer func() { atomicfile.SyncFile = (*os.File).Sync }()
	if err := Write(f); !errors.Is(err, failed) {
		t.Fatalf("Write: %v, want the injected failure", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != target {
		t.Errorf("original changed after a failed write: %q %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestWriteRefusesToDropUnknownFields(t *testing.T) {
	path := writeFiles(t, t.TempDir(), map[string]string{"config": target + "custom-field: 1\n"}, "config")[0]
	f := mustRead(t, path)
	f.Config.CurrentContext = "x"
	if err := Write(f); err == nil || !strings.Contains(err.Error(), "custom-field") {
		t.Fatalf("Write: %v, want a refusal naming custom-field", err)
	}
	if got, _ := os.ReadFile(path); string(got) != target+"custom-field: 1\n" {
		t.Errorf("file changed")
	}
}

func TestWriteUnchangedDoesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	f := mustRead(t, path)
	f.Config.CurrentContext = "a"
	if err := Write(f); err != nil {
		t.Fatal(err)
	}
	again := mustRead(t, path)
	if err := Write(again); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + BackupSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a write that changed nothing made a backup: %v", err)
	}
}

// Extracting from a lazily read set gives what extracting from a fully
// read one gives, and the lazily read files cannot be written.
func TestReadSetToExtractMatchesFullRead(t *testing.T) {
	full, paths := listSet(t)
	lazy, err := ReadSetToExtract(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if lazy.Files[0].lazy == nil || lazy.Files[1].lazy == nil {
		t.Fatal("the files were not read lazily")
	}
	for _, names := range [][]string{{"three", "one"}, {"two"}, {"dup"}} {
		want, err := full.Extract(names)
		if err != nil {
			t.Fatal(err)
		}
		got, err := lazy.Extract(names)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Extract(%v) lazily (-full +lazy):\n%s", names, diff)
		}
	}
	if c, _ := lazy.Cluster("lonely"); c == nil || c.Cluster.Server != "https://lonely.example" {
		t.Errorf("cluster lonely, used by context two, was not decoded in full: %+v", c)
	}
	if c, _ := lazy.User("u1"); c == nil || len(c.AuthInfo.ClientKey) == 0 {
		t.Errorf("user u1 was not decoded in full: %+v", c)
	}
	lazy.Changed[lazy.Files[0]] = true
	if err := lazy.WriteChanged(); err == nil || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("writing a lazily read file: %v", err)
	}
}
