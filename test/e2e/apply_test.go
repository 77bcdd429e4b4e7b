package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

const apOne = `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata:
  name: ap-one
spec:
  cluster:
    context: admin
  namespaces: [ap-one, ap-one-ci]
  grants:
  - subject: {kind: ServiceAccount, namespace: ap-one, name: deployer}
    role: edit
  - subject: {kind: User, name: alice}
    role: view
    namespaces: [ap-one-ci]
`

const apTwo = `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata:
  name: ap-two
spec:
  cluster:
    context: admin
  namespaces: [ap-two]
  grants:
  - subject: {kind: Group, name: ap-devs}
    role: edit
`

// apHeaders are the diff headers and verdicts, in order, of a dry run of
// apOne and apTwo renamed to one, two (and group devs), verdicts ending
// in suffix.
func apHeaders(one, two, devs, suffix string) []string {
	diff := func(name string) string { return "diff -u -N LIVE/" + name + " MERGED/" + name }
	return []string{
		diff("tenancy.kubectl-tenant.io.v1alpha1.Tenant.." + one),
		diff("v1.Namespace.." + one),
		diff("v1.Namespace.." + one + "-ci"),
		diff("v1.ServiceAccount." + one + ".deployer"),
		diff("rbac.authorization.k8s.io.v1.RoleBinding." + one + ".kubectl-tenant:" + one + ":edit:sa:" + one + ":deployer"),
		diff("rbac.authorization.k8s.io.v1.RoleBinding." + one + "-ci.kubectl-tenant:" + one + ":edit:sa:" + one + ":deployer"),
		diff("rbac.authorization.k8s.io.v1.RoleBinding." + one + "-ci.kubectl-tenant:" + one + ":view:user:alice"),
		diff("rbac.authorization.k8s.io.v1.ClusterRole..kubectl-tenant:" + one + ":namespaces"),
		diff("rbac.authorization.k8s.io.v1.ClusterRoleBinding..kubectl-tenant:" + one + ":namespaces"),
		"tenant.tenancy.kubectl-tenant.io/" + one + " created" + suffix,
		diff("tenancy.kubectl-tenant.io.v1alpha1.Tenant.." + two),
		diff("v1.Namespace.." + two),
		diff("rbac.authorization.k8s.io.v1.RoleBinding." + two + ".kubectl-tenant:" + two + ":edit:group:" + devs),
		diff("rbac.authorization.k8s.io.v1.ClusterRole..kubectl-tenant:" + two + ":namespaces"),
		diff("rbac.authorization.k8s.io.v1.ClusterRoleBinding..kubectl-tenant:" + two + ":namespaces"),
		"tenant.tenancy.kubectl-tenant.io/" + two + " created" + suffix,
	}
}

// objectVersions are the resourceVersions of every object labelled for
// the tenants, by kind/namespace/name: what changed between two calls is
// what was written.
func objectVersions(t *testing.T, u *user, tenants ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sel := tenant.LabelTenant + " in (" + strings.Join(tenants, ",") + ")"
	list := u.kubectl("get", "namespaces,serviceaccounts,rolebindings,clusterroles,clusterrolebindings", "-A", "-l", sel,
		"-o", `jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// changedObjects lists what differs between two objectVersions.
func changedObjects(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		switch w, ok := before[k]; {
		case !ok:
			out = append(out, "+"+k)
		case w != v:
			out = append(out, "~"+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, "-"+k)
		}
	}
	slices.Sort(out)
	return out
}

func tenantRecord(t *testing.T, u *user, name string) *tenant.Tenant {
	t.Helper()
	rec := &tenant.Tenant{}
	if err := json.Unmarshal([]byte(u.tenant("get", name, "-o", "json").stdout), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// checkConditions fails unless every condition of the tenant is true and
// speaks of generation.
func checkConditions(t *testing.T, rec *tenant.Tenant, generation int64) {
	t.Helper()
	if rec.Generation != generation || rec.Status.ObservedGeneration != generation {
		t.Errorf("tenant %s: generation %d, observed %d; want %d", rec.Name, rec.Generation, rec.Status.ObservedGeneration, generation)
	}
	var types []string
	for _, c := range rec.Status.Conditions {
		types = append(types, c.Type)
		if c.Status != metav1.ConditionTrue || c.ObservedGeneration != generation || c.Reason == "" || c.Message == "" {
			t.Errorf("tenant %s: condition %+v; want True for generation %d with a reason and a message", rec.Name, c, generation)
		}
	}
	slices.Sort(types)
	if want := []string{"AccessReady", "ClusterReady", "NamespacesReady", "Ready"}; !slices.Equal(types, want) {
		t.Errorf("tenant %s: conditions %v, want %v", rec.Name, types, want)
	}
}

// apply -f of a directory: the dry runs print a kubectl diff and change
// nothing; the apply creates both tenants with true conditions for
// generation 1; a re-run writes nothing; one grant changed in the YAML
// and applied with --prune changes exactly its two bindings; the output
// of get -o yaml applies back unchanged; a tenant that fails does not
// stop the others.
func TestApplyTenantsFromDirectory(t *testing.T) {
	u := newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)
	dir := filepath.Join(u.home, "tenants")
	writeFile(t, filepath.Join(dir, "ap-one.yaml"), apOne)
	writeFile(t, filepath.Join(dir, "team", "ap-two.yaml"), apTwo)
	writeFile(t, filepath.Join(dir, "README.md"), "not a manifest: apply reads .yaml, .yml and .json\n")
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")

	// Without -R the subdirectory is not read.
	if out := u.tenant("apply", "-f", dir, "--dry-run=client").stdout; strings.Contains(out, "ap-two") {
		t.Errorf("apply -f DIR without -R read a subdirectory:\n%s", out)
	}
	for _, mode := range []string{"client", "server"} {
		out := u.tenant("apply", "-f", dir, "-R", "--dry-run="+mode).stdout
		headers := []string{}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "diff -u -N ") || strings.HasPrefix(line, "tenant.") {
				headers = append(headers, line)
			}
		}
		suffix := map[string]string{"client": " (dry run)", "server": " (server dry run)"}[mode]
		want := apHeaders("ap-one", "ap-two", "ap-devs", suffix)
		if d := cmpLines(want, headers); d != "" {
			t.Errorf("apply --dry-run=%s, the diffs and verdicts:\n%s\nwhole output:\n%s", mode, d, out)
		}
		// The record's diff, line by line.
		record := []string{
			"--- LIVE/tenancy.kubectl-tenant.io.v1alpha1.Tenant..ap-one",
			"+++ MERGED/tenancy.kubectl-tenant.io.v1alpha1.Tenant..ap-one",
			"@@ -0,0 +1,23 @@",
			"+apiVersion: tenancy.kubectl-tenant.io/v1alpha1",
			"+kind: Tenant",
			"+metadata:",
			"+  name: ap-one",
			"+spec:",
			"+  cluster:",
			"+    context: admin",
			"+    server: " + cp.AdminConfig().Host,
		}
		if !strings.Contains(out, strings.Join(record, "\n")+"\n") {
			t.Errorf("apply --dry-run=%s: the record's diff does not start with\n%s\nwhole output:\n%s", mode, strings.Join(record, "\n"), out)
		}
		if r := u.run("kubectl", "get", "namespace", "ap-one"); r.err == nil {
			t.Fatalf("apply --dry-run=%s created namespace ap-one", mode)
		}
		if r := u.run("test", "-e", registry); r.err == nil {
			t.Fatalf("apply --dry-run=%s wrote the registry:\n%s", mode, readFile(t, registry))
		}
	}

	out := u.tenant("apply", "-f", dir, "-R")
	if want := "tenant.tenancy.kubectl-tenant.io/ap-one created\ntenant.tenancy.kubectl-tenant.io/ap-two created\n"; out.stdout != want {
		t.Errorf("apply says %q, want %q (stderr %s)", out.stdout, want, out.stderr)
	}
	t.Cleanup(func() {
		u.run("kubectl", "tenant", "delete", "ap-one", "--delete-namespaces")
		u.run("kubectl", "tenant", "delete", "ap-two", "--delete-namespaces")
	})
	checkConditions(t, tenantRecord(t, u, "ap-one"), 1)
	checkConditions(t, tenantRecord(t, u, "ap-two"), 1)
	if got := u.kubectl("auth", "can-i", "create", "deployments", "-n", "ap-two", "--as", "bob", "--as-group", "ap-devs"); strings.TrimSpace(got) != "yes" {
		t.Errorf("group ap-devs cannot create deployments in ap-two after apply: %s", got)
	}

	before := objectVersions(t, u, "ap-one", "ap-two")
	registryBefore := readFile(t, registry)
	out = u.tenant("apply", "-f", dir, "-R")
	if want := "tenant.tenancy.kubectl-tenant.io/ap-one unchanged\ntenant.tenancy.kubectl-tenant.io/ap-two unchanged\n"; out.stdout != want || out.stderr != "" {
		t.Errorf("a second apply: stdout %q stderr %q, want %q and nothing", out.stdout, out.stderr, want)
	}
	if d := changedObjects(before, objectVersions(t, u, "ap-one", "ap-two")); len(d) > 0 || readFile(t, registry) != registryBefore {
		t.Errorf("a second apply wrote %v (registry changed: %v)", d, readFile(t, registry) != registryBefore)
	}

	// alice's grant goes from view to edit: with --prune, exactly her two
	// bindings change.
	writeFile(t, filepath.Join(dir, "ap-one.yaml"), strings.Replace(apOne, "role: view", "role: edit", 1))
	out = u.tenant("apply", "-f", dir, "-R", "--prune")
	wantChanged := []string{
		"+RoleBinding/ap-one-ci/kubectl-tenant:ap-one:edit:user:alice",
		"-RoleBinding/ap-one-ci/kubectl-tenant:ap-one:view:user:alice",
	}
	if d := changedObjects(before, objectVersions(t, u, "ap-one", "ap-two")); !slices.Equal(d, wantChanged) {
		t.Errorf("apply --prune after changing one grant wrote %v, want %v\nstderr: %s", d, wantChanged, out.stderr)
	}
	if want := "RoleBinding ap-one-ci/kubectl-tenant:ap-one:edit:user:alice created\nRoleBinding ap-one-ci/kubectl-tenant:ap-one:view:user:alice deleted\n"; out.stderr != want {
		t.Errorf("apply --prune reported %q, want %q", out.stderr, want)
	}
	checkConditions(t, tenantRecord(t, u, "ap-one"), 2)
	checkConditions(t, tenantRecord(t, u, "ap-two"), 1)

	// Round trip: what get prints applies back and changes nothing.
	before, registryBefore = objectVersions(t, u, "ap-one", "ap-two"), readFile(t, registry)
	yaml := u.tenant("get", "ap-one", "-o", "yaml").stdout
	writeFile(t, filepath.Join(u.home, "roundtrip.yaml"), yaml)
	out = u.tenant("apply", "-f", filepath.Join(u.home, "roundtrip.yaml"))
	if out.stdout != "tenant.tenancy.kubectl-tenant.io/ap-one unchanged\n" || len(changedObjects(before, objectVersions(t, u, "ap-one", "ap-two"))) > 0 || readFile(t, registry) != registryBefore {
		t.Errorf("applying get -o yaml back: %q; want unchanged and nothing written (objects %v)\n%s\nregistry before:\n%s\nafter:\n%s", out.stdout,
			changedObjects(before, objectVersions(t, u, "ap-one", "ap-two")), yaml, registryBefore, readFile(t, registry))
	}

	// A document without a cluster is refused before anything changes.
	writeFile(t, filepath.Join(u.home, "nowhere.yaml"), strings.Replace(apTwo, "  cluster:\n    context: admin\n", "  cluster: {}\n", 1))
	if stderr := u.tenantFails("apply", "-f", filepath.Join(u.home, "nowhere.yaml")); !strings.Contains(stderr, "spec.cluster.context: name the kubeconfig context") {
		t.Errorf("apply of a tenant without a cluster: %s", stderr)
	}

	// One tenant's failure does not stop the others.
	writeFile(t, filepath.Join(dir, "ap-bad.yaml"), strings.NewReplacer("ap-two", "ap-bad", "context: admin", "context: nowhere").Replace(apTwo))
	r := u.run("kubectl", "tenant", "apply", "-f", dir, "-R")
	if r.err == nil || !strings.Contains(r.stderr, `error: tenant "ap-bad"`) || !strings.Contains(r.stderr, `no kubeconfig context named "nowhere"`) ||
		!strings.Contains(r.stderr, "1 of 3 tenants failed: ap-bad") || !strings.Contains(r.stdout, "ap-one unchanged") || !strings.Contains(r.stdout, "ap-two unchanged") {
		t.Errorf("apply with one bad tenant: err %v\nstdout: %s\nstderr: %s", r.err, r.stdout, r.stderr)
	}

	// A namespace dropped from the spec stays with --prune (and a warning
	// says so); --prune-namespaces deletes it, and its dry run does not.
	oneNS := filepath.Join(u.home, "ap-one-alone.yaml")
	writeFile(t, oneNS, strings.Replace(strings.Split(apOne, "  - subject: {kind: User, name: alice}")[0], "namespaces: [ap-one, ap-one-ci]", "namespaces: [ap-one]", 1))
	if stderr := u.tenantFails("apply", "-f", oneNS, "--prune-namespaces"); !strings.Contains(stderr, "--prune-namespaces: add --prune") {
		t.Errorf("--prune-namespaces without --prune: %s", stderr)
	}
	out = u.tenant("apply", "-f", oneNS, "--prune")
	if !strings.Contains(out.stderr, `namespace ap-one-ci is labelled for tenant "ap-one" but no longer in its spec: kept (--prune-namespaces deletes it`) {
		t.Errorf("apply --prune of a dropped namespace does not say it kept it:\n%s", out.stderr)
	}
	terminating := func() string {
		return u.kubectl("get", "namespace", "ap-one-ci", "-o", "jsonpath={.metadata.deletionTimestamp}", "--ignore-not-found")
	}
	if u.kubectl("get", "namespace", "ap-one-ci", "-o", "name") == "" || terminating() != "" {
		t.Fatal("apply --prune without --prune-namespaces deleted namespace ap-one-ci")
	}
	dry := u.tenant("apply", "-f", oneNS, "--prune", "--prune-namespaces", "--dry-run=server").stdout
	if !strings.Contains(dry, "diff -u -N LIVE/v1.Namespace..ap-one-ci MERGED/v1.Namespace..ap-one-ci\n") || !strings.Contains(dry, "+++ MERGED/v1.Namespace..ap-one-ci\n@@ -1,") {
		t.Errorf("apply --prune-namespaces --dry-run=server does not show the namespace's deletion:\n%s", dry)
	}
	if terminating() != "" {
		t.Fatal("apply --prune-namespaces --dry-run=server deleted namespace ap-one-ci")
	}
	out = u.tenant("apply", "-f", oneNS, "--prune", "--prune-namespaces")
	if !strings.Contains(out.stderr, "Namespace ap-one-ci deleted\n") || u.kubectl("get", "namespace", "ap-one-ci", "-o", "name", "--ignore-not-found") != "" && terminating() == "" {
		t.Errorf("apply --prune --prune-namespaces: namespace ap-one-ci is neither gone nor terminating\n%s", out.stderr)
	}
	if u.kubectl("get", "namespace", "ap-one", "-o", "name") == "" {
		t.Error("apply --prune-namespaces deleted namespace ap-one, which the spec still lists")
	}
}

// cmpLines shows where two line lists differ, or "" when they do not.
func cmpLines(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		w, g := "", ""
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		mark := " "
		if w != g {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s want %q\n  got  %q\n", mark, w, g)
	}
	return b.String()
}

// What is not ready is said, per tenant, in the status and on stderr,
// with a reason to act on: a grant of a ClusterRole the cluster lacks, a
// namespace another tenant owns, a cluster that does not answer (within
// --cluster-timeout, while the others are applied). Once the role exists
// a re-run makes that tenant ready.
func TestApplyReportsWhatIsNotReady(t *testing.T) {
	u := newUser(t)
	// A cluster that accepts connections and never answers.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	kubeconfig := filepath.Join(u.home, ".kube", "config")
	writeFile(t, kubeconfig, readFile(t, cp.AdminKubeconfig))
	u.kubectl("config", "set-cluster", "dead", "--server", "https://"+dead.Addr().String(), "--insecure-skip-tls-verify")
	u.kubectl("config", "set-context", "dead", "--cluster", "dead", "--user", "admin")

	u.kubectl("create", "namespace", "nr-taken")
	u.kubectl("label", "namespace", "nr-taken", tenant.LabelTenant+"=someone-else")
	u.kubectl("create", "namespace", "nr-unowned")
	t.Cleanup(func() {
		u.run("kubectl", "delete", "namespace", "nr-taken", "nr-unowned", "--wait=false")
		for _, name := range []string{"nr-role", "nr-ok", "nr-conflict", "nr-dead", "nr-theirs"} {
			u.run("kubectl", "tenant", "delete", name, "--delete-namespaces")
		}
		u.run("kubectl", "delete", "clusterrole", "nr-auditor")
	})
	dir := filepath.Join(u.home, "tenants")
	doc := func(name, context, namespace, role string) string {
		// Each its own group: one granted by another tenant of the cluster
		// would cross tenants.
		return strings.NewReplacer("ap-two", name, "ap-devs", name+"-devs", "context: admin", "context: "+context, "[ap-two]", "["+namespace+"]", "role: edit", "role: "+role).Replace(apTwo)
	}
	writeFile(t, filepath.Join(dir, "nr-role.yaml"), doc("nr-role", "admin", "nr-role", "nr-auditor"))
	writeFile(t, filepath.Join(dir, "nr-ok.yaml"), doc("nr-ok", "admin", "nr-ok", "view"))
	writeFile(t, filepath.Join(dir, "nr-conflict.yaml"), doc("nr-conflict", "admin", "nr-unowned", "view"))
	writeFile(t, filepath.Join(dir, "nr-theirs.yaml"), doc("nr-theirs", "admin", "nr-taken", "view"))
	writeFile(t, filepath.Join(dir, "nr-dead.yaml"), doc("nr-dead", "dead", "nr-dead", "view"))

	start := time.Now()
	r := u.run("kubectl", "tenant", "apply", "-f", dir, "--cluster-timeout", "2s")
	took := time.Since(start)
	if r.err == nil || !strings.Contains(r.stdout, "nr-ok created") || !strings.Contains(r.stderr, "4 of 5 tenants failed: nr-conflict, nr-dead, nr-role, nr-theirs") {
		t.Errorf("apply with three tenants not ready: %v\nstdout: %s\nstderr: %s", r.err, r.stdout, r.stderr)
	}
	for _, want := range []string{`no ClusterRole "nr-auditor"`, "namespace nr-taken belongs to tenant \"someone-else\"",
		"namespace nr-unowned already exists and no tenant owns it", `context "dead"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("apply's errors do not say %q:\n%s", want, r.stderr)
		}
	}
	// The dead cluster costs its timeout, not more (kubectl's own start on
	// this machine is part of the constant).
	if took > 2*time.Second+15*time.Second {
		t.Errorf("apply with an unanswering cluster took %s; want its 2s timeout plus a constant", took)
	}
	t.Logf("apply with an unanswering cluster (2s timeout) took %s", took)

	wantFalse := map[string][2]string{ // tenant: condition, reason
		"nr-role":     {"AccessReady", "RoleNotFound"},
		"nr-conflict": {"NamespacesReady", "NamespaceConflict"},
		"nr-dead":     {"ClusterReady", "Unreachable"},
	}
	for name, want := range wantFalse {
		rec := tenantRecord(t, u, name)
		c := findCondition(rec, want[0])
		ready := findCondition(rec, "Ready")
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != want[1] || c.ObservedGeneration != 1 || ready == nil || ready.Status != metav1.ConditionFalse {
			t.Errorf("tenant %s: %s = %+v, Ready = %+v; want False %s for generation 1", name, want[0], c, ready, want[1])
		}
	}
	checkConditions(t, tenantRecord(t, u, "nr-ok"), 1)
	// Another tenant's namespace is refused before anything is recorded;
	// one that no tenant owns is recorded and reported until adopted.
	if r := u.run("kubectl", "tenant", "get", "nr-theirs"); r.err == nil {
		t.Errorf("a tenant naming another tenant's namespace was recorded:\n%s", r.stdout)
	}

	// list reads every cluster: the silent one costs its timeout once.
	start = time.Now()
	table := u.tenant("list", "--cluster-timeout", "2s").stdout
	took = time.Since(start)
	for _, want := range []string{
		"nr-conflict   admin     -        nr-unowned   1        False   yes                       0/1                  0/3",
		"nr-dead       dead      -        nr-dead      1        False   no: no answer within 2s   -                    -",
		"nr-ok         admin     -        nr-ok        1        True    yes                       1/1                  3/3",
		"nr-role       admin     -        nr-role      1        False   yes                       1/1                  2/3",
	} {
		if !strings.Contains(table, want+"\n") {
			t.Errorf("list lacks the row\n%s\n%s", want, table)
		}
	}
	if took > 2*time.Second+15*time.Second {
		t.Errorf("list with an unanswering cluster took %s; want its 2s timeout plus a constant", took)
	}
	t.Logf("list with an unanswering cluster (2s timeout) took %s:\n%s", took, table)

	u.kubectl("create", "clusterrole", "nr-auditor", "--verb", "get,list", "--resource", "pods")
	u.tenant("apply", "-f", filepath.Join(dir, "nr-role.yaml"))
	checkConditions(t, tenantRecord(t, u, "nr-role"), 1)
}

func findCondition(t *tenant.Tenant, typ string) *metav1.Condition {
	for i := range t.Status.Conditions {
		if t.Status.Conditions[i].Type == typ {
			return &t.Status.Conditions[i]
		}
	}
	return nil
}

// An EKS tenant made by create, then applied: the document adds a
// namespace, a role of the tenant's own and an IAM role granted it
// through an EKS access entry. The dry run shows the access-entry calls;
// the apply makes the entry (its groups bound to the tenant's role in
// both namespaces of the cluster on the local EKS) and a re-run changes
// nothing.
func TestApplyEKSTenant(t *testing.T) {
	ctx := context.Background()
	_, u := startLocalEKS(t)
	chain := []string{"--role-arn", "arn:aws:iam::111111111111:role/platform", "--role-arn", "arn:aws:iam::222222222222:role/tenant-ek",
		"--external-id", "ek-x1", "--region", "eu-west-1"}
	u.tenant(append([]string{"create", "ek"}, chain...)...)

	rec := tenantRecord(t, u, "ek")
	const dev = "arn:aws:iam::222222222222:role/ek-dev"
	rec.Spec.Namespaces = append(rec.Spec.Namespaces, "ek-ci")
	rec.Spec.Roles = []tenant.Role{{Name: "deployer", Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}}}}
	rec.Spec.Grants = []tenant.Grant{{Subject: tenant.Subject{Kind: tenant.SubjectIAMRole, Name: dev}, Role: "deployer", Via: tenant.ViaAccessEntry}}
	rec.Status = tenant.Status{}
	data, err := yaml.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(u.home, "ek.yaml")
	writeFile(t, doc, string(data))

	out := u.tenant("apply", "-f", doc, "--dry-run=server").stdout
	for _, want := range []string{"would call CreateAccessEntry", "MERGED/rbac.authorization.k8s.io.v1.ClusterRole..kubectl-tenant:ek:deployer", "+  - ek-ci", "tenant.tenancy.kubectl-tenant.io/ek configured (server dry run)"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply --dry-run=server lacks %q:\n%s", want, out)
		}
	}
	id := aws.Identity{Region: "eu-west-1", Roles: []aws.Hop{{RoleARN: "arn:aws:iam::111111111111:role/platform"},
		{RoleARN: "arn:aws:iam::222222222222:role/tenant-ek", ExternalID: "ek-x1"}}}
	cfg, err := id.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := aws.DescribeAccessEntry(ctx, cfg, "ek", dev); found {
		t.Fatal("apply --dry-run=server made the access entry")
	}

	applied := u.tenant("apply", "-f", doc)
	if applied.stdout != "tenant.tenancy.kubectl-tenant.io/ek configured\n" {
		t.Errorf("apply: %q\n%s", applied.stdout, applied.stderr)
	}
	_, groups, found, err := aws.DescribeAccessEntry(ctx, cfg, "ek", dev)
	if err != nil || !found || !slices.Contains(groups, "kubectl-tenant:ek:deployer") {
		t.Errorf("the access entry of %s: found %v, groups %v, %v", dev, found, groups, err)
	}
	for _, ns := range []string{"ek", "ek-ci"} {
		ref := u.kubectl("--context", "ek", "get", "rolebinding", "kubectl-tenant:ek:deployer:iam", "-n", ns, "-o", "jsonpath={.roleRef.name}")
		if ref != "kubectl-tenant:ek:deployer" {
			t.Errorf("in %s the IAM groups' binding refers to %q, want the tenant's role", ns, ref)
		}
	}
	checkConditions(t, tenantRecord(t, u, "ek"), 2)
	if again := u.tenant("apply", "-f", doc); again.stdout != "tenant.tenancy.kubectl-tenant.io/ek unchanged\n" || again.stderr != "" {
		t.Errorf("a second apply: %q %q", again.stdout, again.stderr)
	}

	// On a machine without the tenant's context (its record shared), the
	// dry run says how to get it and apply makes it from the record.
	u.kubectl("config", "delete-context", "ek")
	if stderr := u.tenantFails("apply", "-f", doc, "--dry-run=client"); !strings.Contains(stderr, `no kubeconfig context named "ek"`) || !strings.Contains(stderr, "apply without --dry-run adds") {
		t.Errorf("a dry run without the EKS tenant's context: %s", stderr)
	}
	if again := u.tenant("apply", "-f", doc); again.stdout != "tenant.tenancy.kubectl-tenant.io/ek unchanged\n" || !strings.Contains(again.stderr, `context "ek" added to`) {
		t.Errorf("apply without the EKS tenant's context: %q %q", again.stdout, again.stderr)
	}

	// A new tenant's document naming that cluster (created for ek) is
	// refused before anything changes, unless it adopts the cluster.
	rec.Name = "ek-new"
	rec.Spec.Cluster.Context = ""
	rec.Spec.Namespaces, rec.Spec.Grants, rec.Spec.Roles = []string{"ek-new"}, nil, nil
	rec.Annotations = nil
	data, err = yaml.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	newDoc := filepath.Join(u.home, "ek-new.yaml")
	writeFile(t, newDoc, string(data))
	if stderr := u.tenantFails("apply", "-f", newDoc); !strings.Contains(stderr, "EKS cluster ek already exists in eu-west-1: add --adopt-clusters to adopt it") {
		t.Errorf("apply of a new EKS tenant on another tenant's cluster: %s", stderr)
	}
	if r := u.run("kubectl", "tenant", "get", "ek-new"); r.err == nil {
		t.Error("the refused EKS tenant was recorded")
	}
	for mode, want := range map[string]string{
		"client": "would create (or pick up, or adopt) EKS cluster ek in eu-west-1 (--dry-run=server asks AWS)\n",
		"server": "would adopt EKS cluster ek (arn:aws:eks:eu-west-1:222222222222:cluster/ek, ACTIVE, Kubernetes ",
	} {
		if out := u.tenant("apply", "-f", newDoc, "--adopt-clusters", "--dry-run="+mode).stdout; !strings.Contains(out, want) || !strings.HasSuffix(out, "ek-new created ("+strings.TrimPrefix(mode+" dry run)\n", "client ")) {
			t.Errorf("apply --adopt-clusters --dry-run=%s lacks %q:\n%s", mode, want, out)
		}
	}
	if r := u.run("kubectl", "tenant", "get", "ek-new"); r.err == nil {
		t.Error("a dry run recorded the EKS tenant")
	}
	if adopted := u.tenant("apply", "-f", newDoc, "--adopt-clusters"); adopted.stdout != "tenant.tenancy.kubectl-tenant.io/ek-new created\n" || !strings.Contains(adopted.stderr, "EKS cluster ek adopted") {
		t.Errorf("apply --adopt-clusters: %q %q", adopted.stdout, adopted.stderr)
	}
	if e := tenantRecord(t, u, "ek-new").Spec.Cluster.EKS; e.CreatedByPlugin || e.ARN == "" {
		t.Errorf("the adopted cluster's record: %+v; want its ARN, not created by the plugin", e)
	}
	if got := strings.TrimSpace(u.kubectl("--context", "ek-new", "get", "namespace", "ek-new", "-o", "name")); got != "namespace/ek-new" {
		t.Errorf("namespace ek-new through the adopted cluster's context: %q", got)
	}
}
