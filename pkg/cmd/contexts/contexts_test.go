package contexts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

const sample = `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: https://c1.example}
users:
- name: u1
  user: {token: t1}
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team}
- name: prod
  context: {cluster: c1, user: u1}
current-context: prod
`

// run executes `contexts ARGS` against the kubeconfig at path and returns
// stdout, stderr and the error.
func run(t *testing.T, path string, args ...string) (string, string, error) {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &path
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCmdContexts(flags, streams)
	cmd.PersistentFlags().String("context", "", "") // the root command's flag
	cmd.SetArgs(args)
	cmd.SetOut(errOut)
	cmd.SetErr(errOut)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestList(t *testing.T) {
	path := writeConfig(t, sample)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "NAME   CLUSTER   USER   NAMESPACE   CURRENT   TENANT   EXPIRES\ndev    c1        u1     team                           \nprod   c1        u1                 *                  \n"},
		{[]string{"list", "-o", "name"}, "dev\nprod\n"},
		{[]string{"list", "-o", "yaml"}, `apiVersion: v1
clusters: null
contexts:
- context:
    cluster: c1
    namespace: team
    user: u1
  name: dev
- context:
    cluster: c1
    user: u1
  name: prod
current-context: prod
kind: Config
users: null
`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, _, err := run(t, path, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := run(t, path, "list", "-o", "wide"); err == nil || !strings.Contains(err.Error(), `unable to match a printer suitable for the output format "wide"`) {
		t.Errorf("list -o wide: %v", err)
	}
}

func TestMergeReportsAndWrites(t *testing.T) {
	path := writeConfig(t, sample)
	in := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(in, []byte("clusters:\n- name: c1\n  cluster: {server: https://other}\ncontexts:\n- name: qa\n  context: {cluster: c1, user: u1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, _, err := run(t, path, "merge", in)
	if err == nil || !strings.Contains(err.Error(), `cluster "c1"`) {
		t.Fatalf("conflicting merge: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != sample {
		t.Fatal("a refused merge wrote the file")
	}

	_, stderr, err := run(t, path, "merge", in, "--on-conflict=rename", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != sample {
		t.Fatal("--dry-run wrote the file")
	}
	want := "would merge (dry run) 1 file(s) into " + path + ": contexts 1 added; clusters 1 renamed\n" +
		`renamed cluster "c1" from ` + in + ` to "c1-2"` + "\n"
	if diff := cmp.Diff(want, stderr); diff != "" {
		t.Errorf("dry-run report (-want +got):\n%s", diff)
	}

	if _, _, err := run(t, path, "merge", in, "--on-conflict=rename"); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, path, "extract", "qa")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "server: https://other") || !strings.Contains(out, "cluster: c1-2") {
		t.Errorf("the merged context does not use the renamed cluster:\n%s", out)
	}
}

func TestExtractCurrentAndFlag(t *testing.T) {
	path := writeConfig(t, sample)
	out, _, err := run(t, path, "extract")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "current-context: prod") || strings.Contains(out, "name: dev") {
		t.Errorf("extract with no name should give the current context only:\n%s", out)
	}
	out, _, err = run(t, path, "extract", "--context", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "current-context: dev") || strings.Contains(out, "name: prod") {
		t.Errorf("extract --context dev:\n%s", out)
	}
	target := filepath.Join(t.TempDir(), "not-a-kubeconfig")
	if err := os.WriteFile(target, []byte("just: [notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, path, "extract", "dev", "--output-file", target); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Errorf("extract over a file that is not a kubeconfig: %v", err)
	}
}
