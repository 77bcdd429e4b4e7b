package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/reader"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// readerInputs writes a kubeconfig and a file registry for the reader and
// the engine to read, and points the environment at them.
func readerInputs(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("KUBECTL_TENANT_REGISTRY", "")
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://prod.example.com", certificate-authority-data: Y2E=}
users:
- name: admin
  user: {token: secret}
- name: acme-deployer
  user: {token: another}
contexts:
- name: prod-admin
  context: {cluster: prod, user: admin, namespace: default}
- name: acme@prod
  context:
    cluster: prod
    user: acme-deployer
    namespace: acme
    extensions:
    - name: kubectl-tenant
      extension: {tenant: acme, subject: "serviceaccount:acme:deployer", expires: "2026-12-07T10:00:00Z"}
current-context: acme@prod
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	reg := &tenant.FileRegistry{Path: filepath.Join(dir, "config", "kubectl-tenant", "tenants.yaml")}
	for _, name := range []string{"acme", "globex", "initech"} {
		tn := tenant.New(name)
		tn.Spec.Cluster.Context = "prod-admin"
		tn.Spec.Namespaces = []string{name, name + "-ci"}
		tn.Spec.Grants = []tenant.Grant{{Subject: tenant.Subject{Kind: tenant.SubjectGroup, Name: name + "-devs"}, Role: "view"}}
		if name == "acme" {
			tn.Spec.AWS = &tenant.AWS{RoleARNs: []string{"arn:aws:iam::111122223333:role/acme"}, Region: "eu-west-1"}
			tn.Status.Conditions = []metav1.Condition{{Type: tenant.ConditionReady, Status: metav1.ConditionTrue, Reason: "Reconciled", LastTransitionTime: metav1.Now()}}
		}
		if err := reg.Put(context.Background(), tn); err != nil {
			t.Fatal(err)
		}
	}
}

// runEngine runs the engine's command tree in this process.
func runEngine(args []string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	root := NewCmdTenant(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// runReader runs the reader in this process; served is false when it
// leaves the command line to the engine.
func runReader(t *testing.T, args []string) (stdout, stderr string, served bool) {
	t.Helper()
	var out, errOut bytes.Buffer
	served, err := reader.Serve(context.Background(), args, &out, &errOut)
	if err != nil {
		t.Fatalf("reader %q: %v", args, err)
	}
	if !served && (out.Len() > 0 || errOut.Len() > 0) {
		t.Errorf("reader %q declined but wrote %q %q", args, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), served
}

// The reader answers exactly what the engine answers, byte for byte, for
// every command line it takes; the ones it must take, it does.
func TestReaderAnswersAsTheEngine(t *testing.T) {
	readerInputs(t)
	mustServe := [][]string{
		{"contexts", "list"}, {"contexts", "ls"}, {"contexts", "list", "--no-headers"}, {"contexts", "list", "-o", "name"},
		{"contexts", "list", "-oyaml"}, {"contexts", "list", "--output=json"},
		{"contexts", "extract", "acme@prod"}, {"contexts", "extract"}, {"contexts", "extract", "prod-admin", "acme@prod", "-o", "json"},
		{"list", "--live=false"}, {"ls", "--live=false", "--no-headers"}, {"list", "-o", "name"}, {"list", "-o", "yaml"}, {"list", "-o", "json"},
		{"get", "acme"}, {"get", "tenant/globex", "-o", "json"}, {"get", "acme", "-o", "name"}, {"get", "tenant.tenancy.kubectl-tenant.io/acme", "-o=yaml"},
		{"--registry", filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kubectl-tenant", "tenants.yaml"), "get", "acme"},
		{"get", "acme", "--kubeconfig", os.Getenv("KUBECONFIG")},
		{"__complete", "--context", ""}, {"__complete", "list", "--context", "acme"},
		{"__complete", "grant", "acme", "--namespace", ""}, {"__complete", "revoke", "acme", "--role", "view", "--namespace", "acme-"},
		{"__complete", "grant", "nobody", "--namespace", ""},
		{"__completeNoDesc", "get", ""},
	}
	mustDecline := [][]string{
		{"list"}, {"list", "-o", "wide"}, {"list", "--live=false", "--concurrency", "2"}, {"get", "nobody"}, {"get", "acme", "-o", "jsonpath={.spec}"},
		{"get", "acme", "--context", "prod-admin"}, {"contexts", "extract", "nothere"}, {"contexts", "extract", "-o", "out.yaml"},
		{"contexts", "extract", "--output-file", "x"}, {"contexts", "merge"},
		{"contexts", "merge", os.Getenv("KUBECONFIG"), "--dry-run"}, {"contexts", "merge", os.Getenv("KUBECONFIG"), "--on-conflict", "maybe"},
		{"contexts", "merge", os.Getenv("KUBECONFIG"), "--context", "prod-admin"}, {"--registry", "cluster", "get", "acme"},
		{"__complete", "contexts", ""}, {"__complete", "grant", "acme", "--role", ""}, {"__complete", "grant", "--"},
		{"__complete", "addon", "acme", ""}, {"version"}, {"grant", "acme"},
	}
	for _, args := range mustServe {
		wantOut, wantErr, err := runEngine(args)
		if err != nil {
			t.Fatalf("engine %q: %v\n%s", args, err, wantErr)
		}
		gotOut, gotErr, served := runReader(t, args)
		if !served {
			t.Errorf("reader %q: declined, want it answered", args)
			continue
		}
		if diff := cmp.Diff(wantOut, gotOut); diff != "" {
			t.Errorf("reader %q stdout differs from the engine's (-engine +reader):\n%s", args, diff)
		}
		if diff := cmp.Diff(wantErr, gotErr); diff != "" {
			t.Errorf("reader %q stderr differs from the engine's (-engine +reader):\n%s", args, diff)
		}
	}
	for _, args := range mustDecline {
		if out, _, served := runReader(t, args); served {
			t.Errorf("reader %q: answered %q, want it left to the engine", args, out)
		}
	}
	// Spellings pflag and cobra read their own way: the reader leaves
	// them alone, or answers exactly as the engine, which must succeed.
	for _, args := range [][]string{
		{"--no-headers", "contexts", "list"}, {"contexts", "--no-headers", "list"}, {"--no-headers", "list", "--live=false"},
		{"--live", "list", "-o", "name"}, {"-o", "yaml", "get", "acme"}, {"--registry", "", "get", "acme"},
		{"get", "acme", "-oyaml=x"}, {"contexts", "extract", "-oyaml=x"}, {"get", "acme", "-oname=x"},
		{"get", "acme", "-o", ""}, {"get", "acme", "--output="}, {"get", "acme", "-o="}, {"contexts", "list", "-o="},
		{"get", "acme", "---output=json"}, {"get", "acme", "-o", "yaml", "-o", "json"}, {"list", "--live=0", "--live=t"},
		{"list", "--live=false", "--no-headers=false"}, {"get", "ACME"}, {"get", "acme", "globex"},
		{"__complete", "nosuch", "--context", ""}, {"__complete", "GET", "--context", ""}, {"__complete", "contexts", "--context", ""},
		{"__complete", "--registry=x.yaml", "foo", "--namespace", "x", "--context", "a"}, {"__complete", "help", ""},
		{"__complete", "completion", "--context", ""}, {"__complete", "role", "rm", ""}, {"__complete", "--no-headers", "get", ""},
	} {
		wantOut, wantErr, err := runEngine(args)
		gotOut, gotErr, served := runReader(t, args)
		if served && (err != nil || gotOut != wantOut || gotErr != wantErr) {
			t.Errorf("reader %q answered %q %q; the engine %q %q (error %v)", args, gotOut, gotErr, wantOut, wantErr, err)
		}
	}
}

// Every command of the engine's tree, completed the ways the reader
// knows: wherever the reader answers, it answers as the engine; and every
// command whose first argument completes to the tenant names is one the
// reader answers (reader.TenantVerbs is the tree's list, not a guess).
func TestReaderCompletesAsTheEngine(t *testing.T) {
	readerInputs(t)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if len(path) > 0 && !c.HasSubCommands() {
			for _, name := range append([]string{c.Name()}, c.Aliases...) {
				paths = append(paths, append(slices.Clone(path[:len(path)-1]), name))
			}
		}
		for _, s := range c.Commands() {
			walk(s, append(slices.Clone(path), s.Name()))
		}
	}
	walk(NewCmdTenant(genericiooptions.NewTestIOStreamsDiscard()), nil)

	tenantNames := "acme\nglobex\ninitech\n:4\n"
	var completeTenants []string
	served := 0
	for _, path := range paths {
		for _, tail := range [][]string{
			{""}, {"g"}, {"acme", ""}, {"acme", "--namespace", ""}, {"--context", ""}, {"--context", "prod"},
			{"--registry", filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kubectl-tenant", "tenants.yaml"), ""},
		} {
			args := append(append([]string{"__complete"}, path...), tail...)
			wantOut, wantErr, _ := runEngine(args)
			if slices.Equal(tail, []string{""}) && wantOut == tenantNames {
				completeTenants = append(completeTenants, strings.Join(path, " "))
			}
			gotOut, gotErr, ok := runReader(t, args)
			if !ok {
				continue
			}
			served++
			if wantOut != gotOut || wantErr != gotErr {
				t.Errorf("completing %q: reader %q %q, engine %q %q", args, gotOut, gotErr, wantOut, wantErr)
			}
		}
	}
	if served < 50 {
		t.Errorf("the reader answered %d completions, want most of them", served)
	}
	var commands []string
	aliases := map[string]string{}
	var list func(c *cobra.Command, path string)
	list = func(c *cobra.Command, path string) {
		for _, a := range c.Aliases {
			aliases[a] = c.Name()
		}
		if !c.HasSubCommands() && path != "help" && !strings.HasPrefix(path, "completion ") {
			commands = append(commands, path)
		}
		for _, s := range c.Commands() {
			list(s, strings.TrimPrefix(path+" "+s.Name(), " "))
		}
	}
	list(NewCmdTenant(genericiooptions.NewTestIOStreamsDiscard()), "")
	slices.Sort(commands)
	if diff := cmp.Diff(commands, reader.Commands); diff != "" {
		t.Errorf("reader.Commands (-the engine's tree +reader.Commands):\n%s", diff)
	}
	if diff := cmp.Diff(aliases, reader.Aliases); diff != "" {
		t.Errorf("reader.Aliases (-the engine's tree +reader.Aliases):\n%s", diff)
	}
	want := slices.Concat(reader.TenantVerbs, []string{"addon"})
	slices.Sort(want)
	slices.Sort(completeTenants)
	if diff := cmp.Diff(want, slices.Compact(completeTenants)); diff != "" {
		t.Errorf("the commands completing tenant names (-reader.TenantVerbs and addon +the engine's tree):\n%s", diff)
	}
}

// contexts merge, the reader's one write, leaves the same files and
// prints the same report or error as the engine's: each command line runs
// against the same files twice, restored in between, once through each.
func TestReaderMergesAsTheEngine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	target := filepath.Join(dir, "kubeconfig")
	t.Setenv("KUBECONFIG", target)
	files := map[string]string{
		"kubeconfig": "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://prod.example.com\n" +
			"users:\n- name: admin\n  user:\n    token: secret\ncontexts:\n- name: prod\n  context:\n    cluster: prod\n    user: admin\ncurrent-context: prod\n",
		"team/a.yaml": "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://other.example.com\n    certificate-authority: ca.crt\n" +
			"users:\n- name: dev\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubectl-tenant\n      args: [token, acme]\n" +
			"contexts:\n- name: acme\n  context: {cluster: prod, user: dev, namespace: acme}\n",
		"b.yaml": "clusters:\n- name: staging\n  cluster: {server: \"https://staging.example.com\"}\n" +
			"users:\n- name: admin\n  user: {token: secret}\ncontexts:\n- name: staging\n  context: {cluster: staging, user: admin}\n",
		"bad.yaml": "apiVersion: v1\nclusters: [\n",
	}
	restore := func() {
		for _, p := range []string{"kubeconfig", "kubeconfig.kubectl-tenant.bak", "out.yaml", "out.yaml.kubectl-tenant.bak"} {
			_ = os.Remove(filepath.Join(dir, p))
		}
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	state := func() string {
		var b strings.Builder
		for _, p := range []string{"kubeconfig", "kubeconfig.kubectl-tenant.bak", "out.yaml", "out.yaml.kubectl-tenant.bak"} {
			data, err := os.ReadFile(filepath.Join(dir, p))
			b.WriteString("== " + p + "\n" + string(data))
			if err != nil {
				b.WriteString("(absent)\n")
			}
		}
		return b.String()
	}
	a, b := filepath.Join(dir, "team", "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, args := range [][]string{
		{"contexts", "merge", b},
		{"contexts", "merge", a},
		{"contexts", "merge", a, b, "--on-conflict=rename"},
		{"contexts", "merge", a, "--on-conflict", "skip"},
		{"contexts", "merge", a, "--on-conflict", "overwrite"},
		{"contexts", "merge", a, b, "--into", filepath.Join(dir, "out.yaml")},
		{"contexts", "merge", b, "--prefix", "staging-", "--kubeconfig", target},
		{"--kubeconfig", target, "contexts", "merge", b, b},
		// Once an input is read, the reader reports what fails: the
		// engine could not read a pipe again.
		{"contexts", "merge", filepath.Join(dir, "bad.yaml")},
		{"contexts", "merge", b, filepath.Join(dir, "missing.yaml")},
	} {
		restore()
		wantOut, wantErr, err := runEngine(args)
		wantState := state()
		restore()
		gotOut, gotErr, served, gotErrErr := serveReader(args)
		if !served {
			t.Errorf("reader %q: declined, want it merged", args)
			continue
		}
		if gotOut != wantOut || gotErr != wantErr || fmt.Sprint(gotErrErr) != fmt.Sprint(err) {
			t.Errorf("reader %q printed %q %q (error %v); the engine %q %q (error %v)", args, gotOut, gotErr, gotErrErr, wantOut, wantErr, err)
		}
		if diff := cmp.Diff(wantState, state()); diff != "" {
			t.Errorf("reader %q left other files than the engine (-engine +reader):\n%s", args, diff)
		}
	}
}

func serveReader(args []string) (stdout, stderr string, served bool, err error) {
	var out, errOut bytes.Buffer
	served, err = reader.Serve(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), served, err
}
