package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/clusterregistry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// fleet is a management cluster holding the registry and the shared
// control plane as the workload cluster, reached through contexts "mgmt"
// and "workload" of one kubeconfig.
type fleet struct {
	mgmt *testenv.ControlPlane
	u    *user // KUBECONFIG with both contexts, KUBECTL_TENANT_REGISTRY=cluster:mgmt
}

func startFleet(t *testing.T) *fleet {
	t.Helper()
	mgmt, err := testenv.StartControlPlane(context.Background(), t.TempDir(), testenv.Options{Audit: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgmt.Stop)
	u := newUser(t)
	var paths []string
	for name, c := range map[string]*testenv.ControlPlane{"mgmt": mgmt, "workload": cp} {
		cert, key, err := c.IssueUser("admin", "system:masters")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(u.home, ".kube", name)
		writeFile(t, path, "")
		if err := clientcmd.WriteToFile(*c.Kubeconfig(name, cert, key), path); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	slices.Sort(paths) // mgmt first: its context is the current one
	u = u.with("KUBECONFIG="+strings.Join(paths, ":"), "KUBECTL_TENANT_REGISTRY=cluster:mgmt")
	u.tenant("init")
	return &fleet{mgmt: mgmt, u: u}
}

// registryWrites counts the writes the plugin made to tenants in the
// management cluster (a server-side dry run writes nothing) since the audit log had seen events, by tenant and
// subresource ("acme" or "acme/status").
func (f *fleet) registryWrites(t *testing.T, seen int) (map[string]int, int) {
	t.Helper()
	events, err := f.mgmt.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range events[seen:] {
		if e.ObjectRef.Resource != "tenants" || !slices.Contains([]string{"create", "update", "patch", "delete"}, e.Verb) || e.DryRun() {
			continue
		}
		key := e.ObjectRef.Name
		if e.ObjectRef.Subresource != "" {
			key += "/" + e.ObjectRef.Subresource
		}
		out[key]++
	}
	return out, len(events)
}

// The registry in a management cluster, tenants in a workload cluster:
// apply -f of a directory records both tenants as Tenant objects and
// makes their namespaces and bindings in the workload cluster; a re-run
// writes nothing anywhere; changing one grant and re-applying with
// --prune writes exactly that grant's bindings and that tenant's object
// and status, whose conditions carry the new generation.
//
// The directory also holds a tenant with its own EKS cluster (on the
// local EKS: moto, and a real data plane per cluster): apply makes the
// cluster in the tenant's account through its role chain, adds the
// context, and the tenant is reached with kubectl through it.
func TestApplyWithAManagementCluster(t *testing.T) {
	f := startFleet(t)
	local, _ := startLocalEKS(t)
	u := f.u.with(local.Env()...)
	f.u = u
	dir := filepath.Join(u.home, "tenants")
	one := strings.NewReplacer("ap-one", "fl-one", "context: admin", "context: workload").Replace(apOne)
	two := strings.NewReplacer("ap-two", "fl-two", "ap-devs", "fl-devs", "context: admin", "context: workload").Replace(apTwo)
	writeFile(t, filepath.Join(dir, "fl-eks.yaml"), flEKS)
	writeFile(t, filepath.Join(dir, "fl-one.yaml"), one)
	writeFile(t, filepath.Join(dir, "fl-two.yaml"), two)
	t.Cleanup(func() {
		u.run("kubectl", "tenant", "delete", "fl-one", "--delete-namespaces")
		u.run("kubectl", "tenant", "delete", "fl-two", "--delete-namespaces")
	})
	_, seen := f.registryWrites(t, 0)

	// The dry runs: the EKS tenant's part line by line (the other two
	// tenants' diffs are checked so in TestApplyTenantsFromDirectory).
	for _, mode := range []string{"client", "server"} {
		out := u.tenant("apply", "-f", dir, "--dry-run="+mode).stdout
		if got, want := headerLines(out, "fl-eks"), flEKSDryRun[mode]; !slices.Equal(got, want) {
			t.Errorf("apply --dry-run=%s, fl-eks's lines:\n%s\nwant:\n%s", mode, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// After fl-eks's part, the two workload tenants' diffs and verdicts.
		var rest []string
		for _, line := range strings.Split(out[strings.Index(out, "tenant.tenancy.kubectl-tenant.io/fl-eks created"):], "\n") {
			if strings.HasPrefix(line, "diff -u -N ") || strings.HasPrefix(line, "tenant.") {
				rest = append(rest, line)
			}
		}
		suffix := map[string]string{"client": " (dry run)", "server": " (server dry run)"}[mode]
		want := append([]string{"tenant.tenancy.kubectl-tenant.io/fl-eks created" + suffix}, apHeaders("fl-one", "fl-two", "fl-devs", suffix)...)
		if d := cmpLines(want, rest); d != "" {
			t.Errorf("apply --dry-run=%s, the diffs and verdicts after fl-eks's:\n%s", mode, d)
		}
	}
	if got := u.kubectl("--context", "mgmt", "get", "tenants", "-o", "name"); got != "" {
		t.Fatalf("apply --dry-run recorded tenants: %s", got)
	}
	if writes, _ := f.registryWrites(t, seen); len(writes) > 0 {
		t.Fatalf("apply --dry-run wrote to the registry: %v", writes)
	}
	if r := u.run("kubectl", "--context", "workload", "get", "namespace", "fl-one"); r.err == nil {
		t.Fatal("apply --dry-run=server created namespace fl-one in the workload cluster")
	}
	id := aws.Identity{Region: "eu-west-1", Roles: []aws.Hop{{RoleARN: "arn:aws:iam::111111111111:role/platform"},
		{RoleARN: "arn:aws:iam::222222222222:role/tenant-fl", ExternalID: "fl-x1"}}}
	cfg, err := id.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := aws.DescribeCluster(context.Background(), cfg, "fl-eks"); !errors.Is(err, aws.ErrNoCluster) {
		t.Fatalf("after apply --dry-run, EKS cluster fl-eks: %v; want none", err)
	}

	out := u.tenant("apply", "-f", dir)
	if want := "tenant.tenancy.kubectl-tenant.io/fl-eks created\ntenant.tenancy.kubectl-tenant.io/fl-one created\ntenant.tenancy.kubectl-tenant.io/fl-two created\n"; out.stdout != want {
		t.Errorf("apply says %q, want %q\n%s", out.stdout, want, out.stderr)
	}
	for _, want := range []string{`tenant "fl-eks": creating EKS cluster fl-eks in eu-west-1`, "EKS cluster fl-eks created (arn:aws:eks:eu-west-1:222222222222:cluster/fl-eks", `context "fl-eks" added to`} {
		if !strings.Contains(out.stderr, want) {
			t.Errorf("apply's messages lack %q:\n%s", want, out.stderr)
		}
	}
	// The EKS tenant's cluster, reached with real kubectl through the
	// context apply added (an exec plugin signing IAM tokens), as the
	// tenant's developer, whose access entry apply made.
	rec := tenantRecord(t, u, "fl-eks")
	if e := rec.Spec.Cluster.EKS; !e.CreatedByPlugin || !e.ClusterRoleCreated || e.ARN == "" || e.AuthenticationMode != "API" || !e.NodeRoleCreated || e.Nodegroup == nil {
		t.Errorf("fl-eks's cluster record: %+v; want created by the plugin with its roles, and the document's authentication mode and node group", e)
	}
	ng, err := aws.DescribeNodegroup(context.Background(), cfg, "fl-eks", "general")
	if err != nil || ng.NodeRoleARN != rec.Spec.Cluster.EKS.NodeRoleARN {
		t.Errorf("node group general: %+v, %v; want it with the recorded node role", ng, err)
	}
	if got := u.kubectl("--context", "fl-eks", "get", "namespace", "fl-eks", "-o", "jsonpath={.metadata.labels.tenancy\\.kubectl-tenant\\.io/tenant}"); got != "fl-eks" {
		t.Errorf("namespace fl-eks in the new EKS cluster is labelled for %q", got)
	}
	if got := u.kubectl("--context", "fl-eks", "auth", "can-i", "create", "deployments", "-n", "fl-eks", "--as", "dev", "--as-group", "kubectl-tenant:fl-eks:edit"); strings.TrimSpace(got) != "yes" {
		t.Errorf("the IAM developer's group cannot create deployments in fl-eks: %s", got)
	}
	// kubectl's own view of the registry: the printer columns.
	table := u.kubectl("--context", "mgmt", "get", "tenants")
	for _, want := range []string{"fl-eks   fl-eks     eu-west-1", "fl-one   workload   ", "fl-two   workload   "} {
		if !strings.Contains(table, want) || strings.Count(table, "True") != 3 {
			t.Errorf("kubectl get tenants lacks %q or three READY True:\n%s", want, table)
		}
	}
	checkConditions(t, tenantRecord(t, u, "fl-one"), 1)
	checkConditions(t, rec, 1)
	if got := u.kubectl("--context", "workload", "auth", "can-i", "create", "deployments", "-n", "fl-two", "--as", "bob", "--as-group", "fl-devs"); strings.TrimSpace(got) != "yes" {
		t.Errorf("group fl-devs cannot create deployments in fl-two: %s", got)
	}

	// A re-run writes nothing, in any cluster.
	_, seen = f.registryWrites(t, 0)
	before := objectVersions(t, u.with("KUBECONFIG="+cp.AdminKubeconfig), "fl-one", "fl-two")
	eksKubeconfig := filepath.Join(u.home, "fl-eks.kubeconfig")
	writeFile(t, eksKubeconfig, u.kubectl("config", "view", "--minify", "--flatten", "--context", "fl-eks"))
	eksBefore := objectVersions(t, u.with("KUBECONFIG="+eksKubeconfig), "fl-eks")
	calls := len(local.Front.Calls())
	out = u.tenant("apply", "-f", dir)
	if w := eksWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("a re-run wrote to EKS: %v", w)
	}
	writes, seen := f.registryWrites(t, seen)
	if d := changedObjects(eksBefore, objectVersions(t, u.with("KUBECONFIG="+eksKubeconfig), "fl-eks")); len(d) > 0 {
		t.Errorf("a re-run wrote in the EKS cluster: %v", d)
	}
	if strings.Count(out.stdout, " unchanged\n") != 3 || len(writes) > 0 || len(changedObjects(before, objectVersions(t, u.with("KUBECONFIG="+cp.AdminKubeconfig), "fl-one", "fl-two"))) > 0 {
		t.Errorf("a re-run: %q; registry writes %v", out.stdout, writes)
	}

	// One grant changed, applied with --prune: exactly its bindings, and
	// one write each of fl-one's object and status.
	writeFile(t, filepath.Join(dir, "fl-one.yaml"), strings.Replace(one, "role: view", "role: edit", 1))
	u.tenant("apply", "-f", dir, "--prune")
	writes, _ = f.registryWrites(t, seen)
	if want := map[string]int{"fl-one": 1, "fl-one/status": 1}; fmt.Sprint(writes) != fmt.Sprint(want) {
		t.Errorf("registry writes of apply --prune after one grant changed: %v, want %v", writes, want)
	}
	want := []string{
		"+RoleBinding/fl-one-ci/kubectl-tenant:fl-one:edit:user:alice",
		"-RoleBinding/fl-one-ci/kubectl-tenant:fl-one:view:user:alice",
	}
	if d := changedObjects(before, objectVersions(t, u.with("KUBECONFIG="+cp.AdminKubeconfig), "fl-one", "fl-two")); !slices.Equal(d, want) {
		t.Errorf("workload writes of apply --prune: %v, want %v", d, want)
	}
	checkConditions(t, tenantRecord(t, u, "fl-one"), 2)
	checkConditions(t, tenantRecord(t, u, "fl-two"), 1)

	// The fleet's access matrix, as one document.
	var report struct {
		Kind  string `json:"kind"`
		Items []struct {
			Tenant string `json:"tenant"`
			Error  string `json:"error"`
			Matrix *struct {
				Rows []json.RawMessage `json:"rows"`
			} `json:"matrix"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(u.tenant("access", "--all", "-o", "json").stdout), &report); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, item := range report.Items {
		if item.Error != "" || item.Matrix == nil || len(item.Matrix.Rows) == 0 {
			t.Errorf("access --all: tenant %s: error %q, matrix %v", item.Tenant, item.Error, item.Matrix)
		}
		got = append(got, item.Tenant)
	}
	if report.Kind != "AccessReportList" || !slices.Equal(got, []string{"fl-eks", "fl-one", "fl-two"}) {
		t.Errorf("access --all -o json: kind %q, tenants %v", report.Kind, got)
	}

	// Round trip through the cluster registry: get prints no server
	// bookkeeping, and what it prints applies back with no write.
	yaml := u.tenant("get", "fl-one", "-o", "yaml").stdout
	if strings.Contains(yaml, "managedFields") {
		t.Errorf("get -o yaml prints managedFields:\n%s", yaml)
	}
	writeFile(t, filepath.Join(u.home, "fl-one.yaml"), yaml)
	_, seen = f.registryWrites(t, 0)
	out = u.tenant("apply", "-f", filepath.Join(u.home, "fl-one.yaml"))
	if writes, _ := f.registryWrites(t, seen); out.stdout != "tenant.tenancy.kubectl-tenant.io/fl-one unchanged\n" || len(writes) > 0 {
		t.Errorf("applying get -o yaml back: %q, registry writes %v; want unchanged and none", out.stdout, writes)
	}

	// As for kubectl, --kubeconfig names the file the cluster registry's
	// context is read from ($KUBECONFIG unset, no ~/.kube/config).
	alone := u.with("KUBECONFIG=", "KUBECTL_TENANT_REGISTRY=")
	if r := alone.run("kubectl", "tenant", "get", "fl-one", "--registry", "cluster"); r.err == nil {
		t.Fatalf("with no kubeconfig at all, the cluster registry was reached: %s", r.stdout)
	}
	viaFlag := alone.tenant("--kubeconfig", filepath.Join(u.home, ".kube", "mgmt"), "--registry", "cluster", "get", "fl-one", "-o", "yaml").stdout
	if !strings.Contains(viaFlag, "name: fl-one\n") {
		t.Errorf("get through --kubeconfig's cluster registry:\n%s", got)
	}
}

// flEKS is a tenant with its own EKS cluster, made by apply in account
// 222222222222 through the platform role.
const flEKS = `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata:
  name: fl-eks
spec:
  cluster:
    eks:
      name: fl-eks
      authenticationMode: API
      tags: {team: payments}
      nodegroup: {name: general, nodes: 1}
  aws:
    region: eu-west-1
    roleARNs: ["arn:aws:iam::111111111111:role/platform", "arn:aws:iam::222222222222:role/tenant-fl"]
    externalID: fl-x1
  namespaces: [fl-eks]
  grants:
  - subject: {kind: IAMRole, name: "arn:aws:iam::222222222222:role/fl-dev"}
    role: edit
    via: access-entry
`

// flEKSDryRun are the lines of fl-eks's part of an apply dry run that
// are not inside a diff: the diffs' headers, in order, and what would be
// done in AWS.
var flEKSDryRun = map[string][]string{
	"client": {
		"diff -u -N LIVE/tenancy.kubectl-tenant.io.v1alpha1.Tenant..fl-eks MERGED/tenancy.kubectl-tenant.io.v1alpha1.Tenant..fl-eks",
		"would create (or pick up) EKS cluster fl-eks in eu-west-1 (--dry-run=server asks AWS)",
		"would create node group general unless it exists",
		`would add kubeconfig context "fl-eks" for it`,
		"diff -u -N LIVE/v1.Namespace..fl-eks MERGED/v1.Namespace..fl-eks",
		"diff -u -N LIVE/rbac.authorization.k8s.io.v1.RoleBinding.fl-eks.kubectl-tenant:fl-eks:edit:iam MERGED/rbac.authorization.k8s.io.v1.RoleBinding.fl-eks.kubectl-tenant:fl-eks:edit:iam",
		"diff -u -N LIVE/rbac.authorization.k8s.io.v1.ClusterRole..kubectl-tenant:fl-eks:namespaces MERGED/rbac.authorization.k8s.io.v1.ClusterRole..kubectl-tenant:fl-eks:namespaces",
		"diff -u -N LIVE/rbac.authorization.k8s.io.v1.ClusterRoleBinding..kubectl-tenant:fl-eks:namespaces MERGED/rbac.authorization.k8s.io.v1.ClusterRoleBinding..kubectl-tenant:fl-eks:namespaces",
		"would map arn:aws:iam::222222222222:role/fl-dev into the new cluster (access-entry) for role edit",
	},
}

func init() {
	// A server dry run reads the account: the default VPC's subnets and
	// the cluster's role, which do not exist yet.
	server := slices.Clone(flEKSDryRun["client"])
	server[1] = "would use the default VPC's subnets *"
	server[2] = "would create node group general unless it exists: 1 x m5.large (min 1, max 1)"
	server = slices.Insert(server, 2, "would create or reuse IAM role kubectl-tenant-fl-eks-cluster for the cluster",
		"would create EKS cluster fl-eks in eu-west-1 (authentication API, endpoint public)")
	flEKSDryRun["server"] = server
}

// headerLines are the lines of a dry run's output that name tenant, and
// are not inside a diff (those start with a space, + or -, or @@): the
// diff headers and the would-lines. The subnets' IDs are not pinned.
func headerLines(out, tenantName string) []string {
	var got []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "diff -u -N "):
			in = strings.Contains(line, tenantName)
		case strings.HasPrefix(line, "tenant.tenancy"):
			in = false
			continue
		case strings.HasPrefix(line, "would use the default VPC's subnets "):
			line = "would use the default VPC's subnets *"
		case strings.HasPrefix(line, "would "):
		default:
			continue
		}
		if in {
			got = append(got, line)
		}
	}
	return got
}

// Races on the cluster registry: two processes applying different fields
// of one tenant at once (as different field managers) both land, and 20
// concurrent grants of one tenant all end up recorded and in place.
func TestRegistryRaces(t *testing.T) {
	f := startFleet(t)
	u := f.u
	base := strings.NewReplacer("ap-two", "rc-one", "ap-devs", "rc-devs", "context: admin", "context: workload").Replace(apTwo)
	writeFile(t, filepath.Join(u.home, "base.yaml"), base)
	u.tenant("apply", "-f", filepath.Join(u.home, "base.yaml"))
	t.Cleanup(func() { u.run("kubectl", "tenant", "delete", "rc-one", "--delete-namespaces") })

	// Team A adds a grant, team B a namespace, at the same moment.
	writeFile(t, filepath.Join(u.home, "a.yaml"), base+"  - subject: {kind: User, name: carol}\n    role: view\n")
	writeFile(t, filepath.Join(u.home, "b.yaml"), strings.Replace(base, "namespaces: [rc-one]", "namespaces: [rc-one, rc-one-qa]", 1))
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i, team := range []string{"a", "b"} {
		wg.Go(func() {
			results[i] = u.run("kubectl", "tenant", "apply", "-f", filepath.Join(u.home, team+".yaml"), "--field-manager", "team-"+team)
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("apply of team %d: %v\n%s", i, r.err, r.stderr)
		}
	}
	rec := tenantRecord(t, u, "rc-one")
	if !slices.Contains(rec.Spec.Namespaces, "rc-one-qa") || !slices.ContainsFunc(rec.Spec.Grants, func(g tenant.Grant) bool { return g.Subject.Name == "carol" }) {
		t.Errorf("after two concurrent applies the record lost a change: namespaces %v, grants %+v", rec.Spec.Namespaces, rec.Spec.Grants)
	}
	if got := u.kubectl("--context", "workload", "auth", "can-i", "get", "pods", "-n", "rc-one-qa", "--as", "carol"); strings.TrimSpace(got) != "yes" {
		t.Errorf("carol cannot get pods in rc-one-qa, the other team's namespace: %s", got)
	}

	// The same for a tenant neither has applied yet: the second to record
	// it merges into the first one's record instead of replacing it.
	fresh := strings.NewReplacer("rc-one", "rc-new", "rc-devs", "rc-new-devs").Replace(base)
	// (dave, not carol: carol is rc-one's, and granting her in another
	// tenant would cross tenants.)
	writeFile(t, filepath.Join(u.home, "new-a.yaml"), fresh+"  - subject: {kind: User, name: dave}\n    role: view\n")
	writeFile(t, filepath.Join(u.home, "new-b.yaml"), strings.Replace(fresh, "namespaces: [rc-new]", "namespaces: [rc-new, rc-new-qa]", 1))
	t.Cleanup(func() { u.run("kubectl", "tenant", "delete", "rc-new", "--delete-namespaces") })
	for i, team := range []string{"a", "b"} {
		wg.Go(func() {
			results[i] = u.run("kubectl", "tenant", "apply", "-f", filepath.Join(u.home, "new-"+team+".yaml"), "--field-manager", "team-"+team)
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("first apply of team %d: %v\n%s", i, r.err, r.stderr)
		}
	}
	rec = tenantRecord(t, u, "rc-new")
	if !slices.Contains(rec.Spec.Namespaces, "rc-new-qa") || !slices.ContainsFunc(rec.Spec.Grants, func(g tenant.Grant) bool { return g.Subject.Name == "dave" }) {
		t.Errorf("after two concurrent first applies the record lost a change: namespaces %v, grants %+v", rec.Spec.Namespaces, rec.Spec.Grants)
	}
	if len(rec.Annotations) != 2 {
		t.Errorf("the record keeps the last applied spec of %d managers, want both: %v", len(rec.Annotations), rec.Annotations)
	}

	const n = 20
	grants := make([]result, n)
	for i := range n {
		wg.Go(func() {
			grants[i] = u.run("kubectl", "tenant", "grant", "rc-one", "--user", fmt.Sprintf("racer-%02d", i), "--role", "view")
		})
	}
	wg.Wait()
	for i, r := range grants {
		if r.err != nil {
			t.Errorf("grant %d: %v\n%s", i, r.err, r.stderr)
		}
	}
	rec = tenantRecord(t, u, "rc-one")
	var racers []string
	for _, g := range rec.Spec.Grants {
		if strings.HasPrefix(g.Subject.Name, "racer-") {
			racers = append(racers, g.Subject.Name)
		}
	}
	if len(racers) != n {
		t.Errorf("after %d concurrent grants the record holds %d: %v", n, len(racers), racers)
	}
	bindings := u.kubectl("--context", "workload", "get", "rolebindings", "-n", "rc-one", "-o", "name")
	if got := strings.Count(bindings, ":view:user:racer-"); got != n {
		t.Errorf("%d racer bindings in rc-one, want %d:\n%s", got, n, bindings)
	}
}

// Registry RBAC decides what a user gets: alice may get tenant a only
// (a ClusterRole with resourceNames), so she gets a's context, is refused
// b with the missing permission named, and --all, which must list, says
// so; an admin's --all gets every EKS tenant's context.
func TestRegistryRBACLimitsKubeconfigs(t *testing.T) {
	f := startFleet(t)
	client, err := dynamic.NewForConfig(f.mgmt.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	reg := clusterregistry.NewRegistry(client)
	for _, name := range []string{"a", "b"} {
		rec := tenant.New(name)
		rec.Spec = tenant.Spec{
			Cluster:    tenant.Cluster{Context: name, EKS: &tenant.EKSCluster{Name: name + "-cluster"}},
			AWS:        &tenant.AWS{Region: "eu-west-1", RoleARNs: []string{"arn:aws:iam::444455556666:role/kubectl-tenant"}, ExternalID: name + "-x1"},
			Namespaces: []string{name},
		}
		rec.Status = tenant.Status{Server: "https://" + name + ".eks.example.com", CAData: []byte("ca of " + name), AuthenticationMode: "API_AND_CONFIG_MAP"}
		if err := reg.Put(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	f.u.kubectl("--context", "mgmt", "create", "clusterrole", "kubectl-tenant:registry-tenant:a", "--verb", "get", "--resource", "tenants.tenancy.kubectl-tenant.io", "--resource-name", "a")
	f.u.kubectl("--context", "mgmt", "create", "clusterrolebinding", "alice-a", "--clusterrole", "kubectl-tenant:registry-tenant:a", "--user", "alice")

	cert, key, err := f.mgmt.IssueUser("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice := newUser(t)
	config := filepath.Join(alice.home, ".kube", "config")
	writeFile(t, config, "")
	if err := clientcmd.WriteToFile(*f.mgmt.Kubeconfig("mgmt", cert, key), config); err != nil {
		t.Fatal(err)
	}
	alice = alice.with("KUBECTL_TENANT_REGISTRY=cluster:mgmt")

	out := alice.tenant("kubeconfig", "a").stdout
	for _, want := range []string{"server: https://a.eks.example.com", "name: a", "command: kubectl-tenant", "- a-x1"} {
		if !strings.Contains(out, want) {
			t.Errorf("alice's kubeconfig for a lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "token:") || strings.Contains(out, "client-key") {
		t.Errorf("a tenant's own context holds a secret:\n%s", out)
	}
	stderr := alice.tenantFails("kubeconfig", "b")
	for _, want := range []string{`"alice" cannot get resource "tenants" in API group "tenancy.kubectl-tenant.io"`, `"b"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("alice's kubeconfig for b: the error does not say %q:\n%s", want, stderr)
		}
	}
	stderr = alice.tenantFails("kubeconfig", "--all")
	if !strings.Contains(stderr, `cannot list resource "tenants"`) || !strings.Contains(stderr, "one by one") {
		t.Errorf("alice's kubeconfig --all: %s", stderr)
	}

	out = f.u.tenant("kubeconfig", "--all").stdout
	for _, want := range []string{"server: https://a.eks.example.com", "server: https://b.eks.example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("the admin's kubeconfig --all lacks %q:\n%s", want, out)
		}
	}

	// --merge writes both contexts into the kubeconfig; its dry runs
	// write nothing. Before it, list says how to get them.
	admin := f.u.with("KUBECONFIG=" + filepath.Join(f.u.home, ".kube", "mgmt"))
	if out := admin.tenant("list").stdout; !strings.Contains(out, `no context "a" here; 'kubectl tenant kubeconfig --all --merge' adds it`) {
		t.Errorf("list without the tenants' contexts:\n%s", out)
	}
	mgmtBefore := readFile(t, filepath.Join(f.u.home, ".kube", "mgmt"))
	for _, mode := range []string{"client", "server"} {
		admin.tenant("kubeconfig", "--all", "--merge", "--dry-run="+mode)
		if readFile(t, filepath.Join(f.u.home, ".kube", "mgmt")) != mgmtBefore {
			t.Fatalf("kubeconfig --all --merge --dry-run=%s changed the kubeconfig", mode)
		}
	}
	admin.tenant("kubeconfig", "--all", "--merge")
	if got := admin.kubectl("config", "get-contexts", "-o", "name"); got != "a\nb\nmgmt\n" {
		t.Errorf("contexts after kubeconfig --all --merge: %q, want a, b and mgmt", got)
	}
}
