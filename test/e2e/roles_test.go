package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// A tenant's own role, made from rules as kubectl create role takes them:
// granted, it gives exactly those rights in the tenant's namespaces and
// none outside them; a user who does not hold a right cannot put it in a
// role (the API server's escalation check, explained); and removed from
// the applied spec with --prune, its ClusterRole and bindings go.
func TestTenantRoles(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	u.tenant("create", "tr", "--from-context", "admin", "--namespace", "tr", "--namespace", "tr-ci")
	t.Cleanup(func() { u.run("kubectl", "tenant", "delete", "tr", "--delete-namespaces") })

	out := u.tenant("role", "create", "tr", "deployer", "--verb", "get,list,create", "--resource", "deploy,pods/log", "--dry-run=client", "-o", "yaml").stdout
	for _, want := range []string{"name: kubectl-tenant:tr:deployer", "- apps", "- deployments", "- pods/log"} {
		if !strings.Contains(out, want) {
			t.Errorf("role create --dry-run=client -o yaml lacks %q:\n%s", want, out)
		}
	}
	if r := u.run("kubectl", "get", "clusterrole", "kubectl-tenant:tr:deployer"); r.err == nil {
		t.Fatal("role create --dry-run=client created the ClusterRole")
	}
	u.tenant("role", "create", "tr", "deployer", "--verb", "get,list,create", "--resource", "deploy,pods/log", "--dry-run=server")
	if r := u.run("kubectl", "get", "clusterrole", "kubectl-tenant:tr:deployer"); r.err == nil || tenantRecord(t, u, "tr").Role("deployer") != nil {
		t.Fatal("role create --dry-run=server created the ClusterRole or recorded the role")
	}
	u.tenant("role", "create", "tr", "deployer", "--verb", "get,list,create", "--resource", "deploy,pods/log")
	if again := u.tenant("role", "create", "tr", "deployer", "--verb", "get,list,create", "--resource", "deploy,pods/log"); !strings.Contains(again.stderr, "unchanged") {
		t.Errorf("the same role again: %s", again.stderr)
	}
	u.tenant("grant", "tr", "--user", "dora", "--role", "deployer")
	if ref := u.kubectl("get", "rolebinding", "kubectl-tenant:tr:deployer:user:dora", "-n", "tr-ci", "-o", "jsonpath={.roleRef.name}"); ref != "kubectl-tenant:tr:deployer" {
		t.Errorf("the grant binds %q, want the tenant's role", ref)
	}
	// access sees the grant in place: its binding names the tenant's
	// ClusterRole, not the grant's short name.
	if out := u.tenant("access", "tr").stdout; !strings.Contains(out, "kubectl-tenant:tr:deployer") || strings.Contains(out, "!") {
		t.Errorf("access tr reports the tenant role's grant as missing:\n%s", out)
	}
	if r := u.run("kubectl", "tenant", "grant", "tr", "--user", "dora", "--role", "deployer", "--cluster-scope"); r.err == nil || !strings.Contains(r.stderr, "bound only in its namespaces") {
		t.Errorf("a cluster-scoped grant of a tenant role: %v %s", r.err, r.stderr)
	}

	dora := subject{"dora", []string{"--as", "dora"}}
	wrong := canI(t, u, dora, []string{"tr", "tr-ci", "default"}, func(ns, verb, resource string) bool {
		inTenant := ns == "tr" || ns == "tr-ci"
		switch resource {
		case "deployments":
			return inTenant && (verb == "get" || verb == "list" || verb == "create")
		case "namespaces":
			return inTenant && verb == "get"
		}
		return false
	})
	for _, ns := range []string{"tr", "default"} {
		got := strings.TrimSpace(u.run("kubectl", "auth", "can-i", "get", "pods", "--subresource", "log", "-n", ns, "--as", "dora").stdout)
		if want := map[bool]string{true: "yes", false: "no"}[ns == "tr"]; got != want {
			wrong = append(wrong, "can-i get pods/log in "+ns+" = "+got+", want "+want)
		}
	}
	for _, w := range wrong {
		t.Error(w)
	}

	// Someone who may write ClusterRoles but cannot read secrets cannot
	// make a role that reads them.
	cert, key, err := cp.IssueUser("limited")
	if err != nil {
		t.Fatal(err)
	}
	limitedConfig := filepath.Join(u.home, "limited.kubeconfig")
	writeFile(t, limitedConfig, "")
	if err := writeKubeconfig(cp, "admin", cert, key, limitedConfig); err != nil {
		t.Fatal(err)
	}
	u.kubectl("create", "clusterrole", "tr-role-writer", "--verb", "get,list,create,patch,update", "--resource", "clusterroles")
	u.kubectl("create", "clusterrolebinding", "tr-role-writer", "--clusterrole", "tr-role-writer", "--user", "limited")
	t.Cleanup(func() { u.run("kubectl", "delete", "clusterrole,clusterrolebinding", "tr-role-writer") })
	limited := u.with("KUBECONFIG="+limitedConfig, "KUBECTL_TENANT_REGISTRY="+filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml"))
	stderr := limited.tenantFails("role", "create", "tr", "snoop", "--verb", "get", "--resource", "secrets")
	if !strings.Contains(stderr, "escalation check") || !strings.Contains(stderr, "rights its writer holds") {
		t.Errorf("a role beyond the writer's rights: the error does not explain the escalation check:\n%s", stderr)
	}
	if rec := tenantRecord(t, u, "tr"); rec.Role("snoop") != nil {
		t.Error("the refused role was recorded")
	}

	// Applied, then removed from the applied spec with --prune: the
	// ClusterRole and its bindings go.
	doc := filepath.Join(u.home, "tr.yaml")
	writeFile(t, doc, u.tenant("get", "tr", "-o", "yaml").stdout)
	u.tenant("apply", "-f", doc)
	rec := u.tenant("get", "tr", "-o", "yaml").stdout
	head, _, _ := strings.Cut(rec, "  grants:")
	_, tail, _ := strings.Cut(rec, "  namespaces:")
	writeFile(t, doc, head+"  namespaces:"+strings.Split(tail, "  roles:")[0])
	out = u.tenant("apply", "-f", doc, "--prune").stderr
	for _, gone := range []string{"clusterrole/kubectl-tenant:tr:deployer", "rolebinding/kubectl-tenant:tr:deployer:user:dora"} {
		if r := u.run("kubectl", "get", gone, "-n", "tr"); r.err == nil {
			t.Errorf("%s is still there after apply --prune without the role:\n%s\n%s", gone, readFile(t, doc), out)
		}
	}
	if rec := tenantRecord(t, u, "tr"); rec.Role("deployer") != nil || len(rec.Spec.Grants) != 0 {
		t.Errorf("after apply --prune the record keeps roles %v, grants %v", rec.Spec.Roles, rec.Spec.Grants)
	}

	// role delete: refused while granted, naming the grant; the dry runs
	// delete nothing; then the ClusterRole and the record's role go.
	u.tenant("role", "create", "tr", "auditor", "--verb", "get", "--resource", "events")
	u.tenant("grant", "tr", "--user", "erin", "--role", "auditor")
	if stderr := u.tenantFails("role", "delete", "tr", "auditor"); !strings.Contains(stderr, `role "auditor" of tenant "tr" is granted to user erin: revoke those grants first`) {
		t.Errorf("role delete of a granted role: %s", stderr)
	}
	u.tenant("revoke", "tr", "--user", "erin", "--role", "auditor")
	for _, mode := range []string{"client", "server"} {
		out := u.tenant("role", "delete", "tr", "auditor", "--dry-run="+mode).stderr
		if want := "ClusterRole kubectl-tenant:tr:auditor deleted (" + strings.TrimPrefix(mode+" dry run)", "client "); !strings.Contains(out, want) {
			t.Errorf("role delete --dry-run=%s says %q, want %q", mode, out, want)
		}
		if r := u.run("kubectl", "get", "clusterrole", "kubectl-tenant:tr:auditor"); r.err != nil || tenantRecord(t, u, "tr").Role("auditor") == nil {
			t.Fatalf("role delete --dry-run=%s deleted the role: %v", mode, r.err)
		}
	}
	u.tenant("role", "delete", "tr", "auditor")
	if r := u.run("kubectl", "get", "clusterrole", "kubectl-tenant:tr:auditor"); r.err == nil || tenantRecord(t, u, "tr").Role("auditor") != nil {
		t.Error("role delete left the ClusterRole or the record's role")
	}
	if stderr := u.tenantFails("role", "delete", "tr", "auditor"); !strings.Contains(stderr, `tenant "tr" has no role "auditor" (its roles: none)`) {
		t.Errorf("role delete of a role that is gone: %s", stderr)
	}
}

// writeKubeconfig writes a kubeconfig for the control plane whose one
// context, name, authenticates with the certificate.
func writeKubeconfig(c *testenv.ControlPlane, name string, cert, key []byte, path string) error {
	return clientcmd.WriteToFile(*c.Kubeconfig(name, cert, key), path)
}
