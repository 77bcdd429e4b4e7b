package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// A subject of another tenant is refused as a grant subject unless
// --allow-cross-tenant is given, with nothing written; access marks such
// grants. A ServiceAccount of a namespace no tenant owns (a CI system) is
// allowed and shown as external.
func TestCrossTenantSubjects(t *testing.T) {
	u := newUser(t)
	writeFile(t, filepath.Join(u.home, ".kube", "config"), readFile(t, cp.AdminKubeconfig))
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	u.tenant("create", "xa", "--from-context", "admin", "--namespace", "xa")
	u.tenant("create", "xb", "--from-context", "admin", "--namespace", "xb")
	u.tenant("grant", "xb", "--user", "bob@example.com", "--role", "view")
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ci-system"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	before := readFile(t, registry)
	bindings := u.kubectl("get", "rolebindings", "-n", "xa", "-o", "name")
	for args, want := range map[string]string{
		"grant xa --serviceaccount xb:deployer --role view":   `serviceaccount xb:deployer belongs to tenant "xb" (its namespace xb is tenant "xb"'s)`,
		"grant xa --group kubectl-tenant:xb:view --role view": `belongs to tenant "xb" (it is tenant "xb"'s kubectl-tenant group)`,
		"grant xa --user bob@example.com --role view":         `belongs to tenant "xb" (tenant "xb" grants it)`,
	} {
		stderr := u.tenantFails(strings.Fields(args)...)
		if !strings.Contains(strings.ToLower(stderr), strings.ToLower(want)) || !strings.Contains(stderr, "--allow-cross-tenant") {
			t.Errorf("kubectl tenant %s: %s\nwant %q", args, stderr, want)
		}
	}
	if readFile(t, registry) != before || u.kubectl("get", "rolebindings", "-n", "xa", "-o", "name") != bindings {
		t.Error("a refused cross-tenant grant changed something")
	}

	u.tenant("grant", "xa", "--serviceaccount", "xb:deployer", "--role", "view", "--allow-cross-tenant")
	if r := u.tenant("grant", "xa", "--serviceaccount", "ci-system:runner", "--role", "view"); !strings.Contains(r.stderr, "which no tenant owns: granted as an external subject") {
		t.Errorf("granting a CI ServiceAccount:\n%s", r.stderr)
	}
	out := u.tenant("access", "xa").stdout
	for _, want := range []string{"xb:deployer (tenant xb)", "ci-system:runner (external)"} {
		if !strings.Contains(out, want) {
			t.Errorf("access xa does not mark %q:\n%s", want, out)
		}
	}

	// apply admits the subjects of a document the same way: refused in
	// every mode, nothing bound; with --allow-cross-tenant bound.
	doc := filepath.Join(u.home, "xa.yaml")
	writeFile(t, doc, `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: xa}
spec:
  cluster: {context: admin}
  namespaces: [xa]
  grants:
  - {subject: {kind: ServiceAccount, name: builder, namespace: xb}, role: edit}
`)
	before = readFile(t, registry)
	bindings = u.kubectl("get", "rolebindings", "-n", "xa", "-o", "name")
	for _, mode := range []string{"--dry-run=client", "--dry-run=server", "--dry-run=none"} {
		stderr := u.tenantFails("apply", "-f", doc, mode)
		if !strings.Contains(stderr, `serviceaccount xb:builder belongs to tenant "xb"`) || !strings.Contains(stderr, "--allow-cross-tenant") {
			t.Errorf("apply %s of another tenant's ServiceAccount: %s", mode, stderr)
		}
	}
	if readFile(t, registry) != before || u.kubectl("get", "rolebindings", "-n", "xa", "-o", "name") != bindings {
		t.Error("a refused cross-tenant apply changed something")
	}
	if r := u.tenant("apply", "-f", doc, "--allow-cross-tenant"); !strings.Contains(r.stderr, "granted across tenants as asked") {
		t.Errorf("apply --allow-cross-tenant:\n%s", r.stderr)
	}
	if got := u.kubectl("get", "rolebindings", "-n", "xa", "-o", "jsonpath={.items[*].subjects[*].name}"); !strings.Contains(got, "builder") {
		t.Errorf("apply --allow-cross-tenant bound nothing: %s", got)
	}
	// Every apply asks, as every grant does.
	if stderr := u.tenantFails("apply", "-f", doc); !strings.Contains(stderr, "--allow-cross-tenant") {
		t.Errorf("re-apply of a cross-tenant grant without the flag: %s", stderr)
	}
	if r := u.tenant("apply", "-f", doc, "--allow-cross-tenant"); !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("re-apply of an allowed cross-tenant grant:\n%s%s", r.stdout, r.stderr)
	}

	// Two new tenants of one apply see each other, though neither is
	// recorded when the other is admitted.
	batch := filepath.Join(u.home, "batch.yaml")
	writeFile(t, batch, `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: xc}
spec:
  cluster: {context: admin}
  namespaces: [xc]
  grants:
  - {subject: {kind: ServiceAccount, name: builder, namespace: xd}, role: edit}
---
apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: xd}
spec:
  cluster: {context: admin}
  namespaces: [xd]
`)
	if stderr := u.tenantFails("apply", "-f", batch); !strings.Contains(stderr, `serviceaccount xd:builder belongs to tenant "xd"`) {
		t.Errorf("apply of two new tenants, one granting the other's ServiceAccount: %s", stderr)
	}
	if r := u.run("kubectl", "tenant", "get", "xc"); r.err == nil {
		t.Errorf("tenant xc was recorded with another tenant's ServiceAccount:\n%s", r.stdout)
	}

	// A namespace is one tenant's. A document naming xb's is refused in
	// every mode, before anything is recorded, and create refuses it too.
	theirs := filepath.Join(u.home, "xe.yaml")
	writeFile(t, theirs, `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: xe}
spec:
  cluster: {context: admin}
  namespaces: [xe, xb]
`)
	for _, args := range [][]string{
		{"apply", "-f", theirs, "--dry-run=client"}, {"apply", "-f", theirs, "--dry-run=server"}, {"apply", "-f", theirs},
		{"create", "xe", "--from-context", "admin", "--namespace", "xe", "--namespace", "xb"},
	} {
		if stderr := u.tenantFails(args...); !strings.Contains(stderr, `namespace xb belongs to tenant "xb"`) {
			t.Errorf("%s naming another tenant's namespace: %s", strings.Join(args, " "), stderr)
		}
	}
	if r := u.run("kubectl", "tenant", "get", "xe"); r.err == nil {
		t.Errorf("tenant xe was recorded with another tenant's namespace:\n%s", r.stdout)
	}
	// A record edited by hand to list it cannot grant in it.
	reg, err := tenant.OpenRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	xa := tenantRecord(t, u, "xa")
	xa.Spec.Namespaces = append(xa.Spec.Namespaces, "xb")
	if err := reg.Put(context.Background(), xa); err != nil {
		t.Fatal(err)
	}
	if stderr := u.tenantFails("grant", "xa", "--group", "xa-ops", "--role", "view"); !strings.Contains(stderr, `namespace xb belongs to tenant "xb"`) {
		t.Errorf("grant of a tenant whose record lists another tenant's namespace: %s", stderr)
	}
	if got := u.kubectl("get", "rolebindings", "-n", "xb", "-o", "name"); strings.Contains(got, "kubectl-tenant:xa:") {
		t.Errorf("xa's grant bound in xb: %s", got)
	}
}
