package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// kubectl tenant init installs the registry into the management cluster:
// the dry runs change nothing, the install waits for the CRD to be
// Established, a second run changes nothing, the printer columns are
// kubectl's view of tenants, the apiserver refuses an invalid Tenant with
// the field named, and the registry's ClusterRoles (and the per-tenant
// resourceNames pattern) give exactly what they say.
func TestInitInstallsTheRegistry(t *testing.T) {
	u := newUser(t)
	config := filepath.Join(u.home, ".kube", "config")
	writeFile(t, config, readFile(t, cp.AdminKubeconfig))
	const crd = "customresourcedefinition.apiextensions.k8s.io/tenants.tenancy.kubectl-tenant.io"
	absent := func(when string) {
		t.Helper()
		for _, obj := range []string{crd, "clusterrole/kubectl-tenant:registry-admin", "clusterrole/kubectl-tenant:registry-viewer"} {
			if r := u.run("kubectl", "get", obj); r.err == nil || !strings.Contains(r.stderr, "NotFound") {
				t.Fatalf("%s: %s exists (or could not be read: %s)", when, obj, r.stderr)
			}
		}
	}
	absent("before init")

	out := u.tenant("init", "--dry-run=client", "-o", "yaml").stdout
	for _, want := range []string{"kind: CustomResourceDefinition", "name: tenants.tenancy.kubectl-tenant.io", "name: kubectl-tenant:registry-admin", "name: kubectl-tenant:registry-viewer"} {
		if !strings.Contains(out, want) {
			t.Errorf("init --dry-run=client -o yaml lacks %q:\n%s", want, out)
		}
	}
	absent("after init --dry-run=client")
	out = u.tenant("init", "--dry-run=server").stdout
	if want := crd + " created (server dry run)"; !strings.Contains(out, want) {
		t.Errorf("init --dry-run=server says %q, want %q", out, want)
	}
	absent("after init --dry-run=server")

	out = u.tenant("init").stdout
	for _, want := range []string{crd + " created", "clusterrole.rbac.authorization.k8s.io/kubectl-tenant:registry-admin created"} {
		if !strings.Contains(out, want) {
			t.Errorf("init says %q, want %q", out, want)
		}
	}
	// Established: the very next request for tenants is served.
	u.kubectl("get", "tenants")
	if out := u.tenant("init").stdout; strings.Count(out, " unchanged\n") != 3 {
		t.Errorf("a second init changed something:\n%s", out)
	}

	writeFile(t, filepath.Join(u.home, "acme.yaml"), `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: acme}
spec:
  cluster: {context: workload}
  aws: {region: eu-west-1}
  namespaces: [acme, acme-ci]
---
apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: globex}
spec: {cluster: {context: workload}, namespaces: [globex]}
`)
	u.kubectl("apply", "-f", filepath.Join(u.home, "acme.yaml"))
	table := u.kubectl("get", "tenants")
	header := strings.Fields(strings.SplitN(table, "\n", 2)[0])
	if strings.Join(header, " ") != "NAME CONTEXT REGION NAMESPACES GRANTS READY AGE" {
		t.Errorf("kubectl get tenants: header %v, want NAME CONTEXT REGION NAMESPACES GRANTS READY AGE", header)
	}
	// kubectl tenant list says the same in the same words (kubectl adds
	// AGE to every kind; list adds what it reads live).
	ours := u.tenant("list", "--registry", "cluster", "--live=false").stdout
	if got, want := strings.Fields(strings.SplitN(ours, "\n", 2)[0]), header[:len(header)-1]; !slices.Equal(got, want) {
		t.Errorf("kubectl tenant list: header %v, want kubectl get tenants' %v", got, want)
	}
	if !strings.Contains(ours, "eu-west-1") {
		t.Errorf("kubectl tenant list does not show acme's region:\n%s", ours)
	}
	if !strings.Contains(table, "eu-west-1") || !strings.Contains(table, `["acme","acme-ci"]`) {
		t.Errorf("kubectl get tenants does not show acme's region and namespaces:\n%s", table)
	}
	writeFile(t, filepath.Join(u.home, "bad.yaml"), `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: bad}
spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: dev}, role: view, via: aws-auth}]}
`)
	if r := u.run("kubectl", "apply", "-f", filepath.Join(u.home, "bad.yaml")); r.err == nil || !strings.Contains(r.stderr, "an IAM role ARN") {
		t.Errorf("an IAM role that is not an ARN: %v\n%s", r.err, r.stderr)
	}

	// The registry's roles, and a role that names one tenant.
	u.kubectl("create", "clusterrolebinding", "init-viewer", "--clusterrole", "kubectl-tenant:registry-viewer", "--user", "vera")
	u.kubectl("create", "clusterrolebinding", "init-admin", "--clusterrole", "kubectl-tenant:registry-admin", "--user", "adam")
	u.kubectl("create", "clusterrole", "kubectl-tenant:registry-tenant:acme", "--verb", "get", "--resource", "tenants.tenancy.kubectl-tenant.io", "--resource-name", "acme")
	u.kubectl("create", "clusterrolebinding", "init-alice", "--clusterrole", "kubectl-tenant:registry-tenant:acme", "--user", "alice")
	t.Cleanup(func() {
		u.run("kubectl", "delete", "clusterrolebinding", "init-viewer", "init-admin", "init-alice")
		u.run("kubectl", "delete", "clusterrole", "kubectl-tenant:registry-tenant:acme")
		u.run("kubectl", "delete", "tenants", "--all")
	})
	for _, c := range []struct {
		who, verb, what string
		want            string
	}{
		{"vera", "list", "tenants", "yes"},
		{"vera", "get", "tenants/acme", "yes"},
		{"vera", "create", "tenants", "no"},
		{"vera", "patch", "tenants/acme", "no"},
		{"adam", "create", "tenants", "yes"},
		{"adam", "update", "tenants --subresource=status", "yes"},
		{"adam", "delete", "tenants/acme", "yes"},
		{"alice", "get", "tenants/acme", "yes"},
		{"alice", "get", "tenants/globex", "no"},
		{"alice", "list", "tenants", "no"},
	} {
		r := u.run("kubectl", append(append([]string{"auth", "can-i", c.verb}, strings.Fields(c.what)...), "--as", c.who)...)
		if got := strings.TrimSpace(r.stdout); got != c.want {
			t.Errorf("can %s %s %s? %q, want %q (%s)", c.who, c.verb, c.what, got, c.want, r.stderr)
		}
	}
	if r := u.run("kubectl", "get", "tenant", "globex", "--as", "alice"); r.err == nil || !strings.Contains(r.stderr, `cannot get resource "tenants"`) {
		t.Errorf("alice got globex: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if got := u.kubectl("get", "tenant", "acme", "--as", "alice", "-o", "name"); strings.TrimSpace(got) != "tenant.tenancy.kubectl-tenant.io/acme" {
		t.Errorf("alice cannot get acme: %q", got)
	}
}
