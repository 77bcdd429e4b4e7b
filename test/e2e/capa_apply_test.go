package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// capaDoc is tenant acme declared for Cluster API, as a GitOps
// repository holds it: its Cluster made by CAPA in account 222222222222
// through the platform hop, with a node group of nodes machines.
func capaDoc(nodes string) string {
	return `apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: acme}
spec:
  namespaces: [acme]
  cluster:
    eks: {name: acme, nodegroup: {name: ng, nodes: ` + nodes + `, instanceTypes: [t3.medium]}}
    capa: {namespace: acme, name: acme}
  aws: {region: us-east-1, roleARNs: ["` + hopRole + `", "` + acmeRole + `"], externalID: acme-x1}
  grants:
  - subject: {kind: IAMRole, name: "` + devRole + `"}
    role: edit
    via: access-entry
`
}

// A CAPA tenant declared with apply -f, as a GitOps pipeline applies
// it: the dry runs change nothing; apply makes the same objects create
// --provider capa makes, waits for CAPA (played by
// testenv.CAPAController, as in TestCAPACreate), and records the tenant
// with its grants in place; a re-apply writes nothing, a changed node
// count is applied to the machine pool alone, and a document that would
// move the tenant or take a Cluster it does not make is refused before
// anything is written.
func TestCAPAApply(t *testing.T) {
	f, u, local := startCAPA(t, "{list: [acme]}")
	doc := filepath.Join(u.home, "acme.yaml")
	writeFile(t, doc, capaDoc("2"))

	// The dry runs: what would be applied and checked, nothing written,
	// no record and no context.
	_, seen := mgmtWrites(t, f, 0)
	dry := u.tenant("apply", "-f", doc, "--dry-run=client")
	for _, want := range []string{"would apply 8 Cluster API objects to the management cluster", "MERGED/infrastructure.cluster.x-k8s.io.v1beta2.AWSClusterRoleIdentity..acme-hop-1",
		"MERGED/controlplane.cluster.x-k8s.io.v1beta2.AWSManagedControlPlane.acme.acme-control-plane", "would wait for CAPA to make EKS cluster acme in us-east-1",
		`would add kubeconfig context "acme" for it`, "would map " + devRole + " into the new cluster", "tenant.tenancy.kubectl-tenant.io/acme created (dry run)"} {
		if !strings.Contains(dry.stdout, want) {
			t.Errorf("apply --dry-run=client does not say %q:\n%s", want, dry.stdout)
		}
	}
	server := u.tenant("apply", "-f", doc, "--dry-run=server")
	for _, want := range []string{"AWSClusterRoleIdentity acme created (server dry run)", "namespace acme does not exist yet: the server checks only the cluster-scoped objects",
		"acting as arn:aws:sts::222222222222:assumed-role/kubectl-tenant/", "tenant.tenancy.kubectl-tenant.io/acme created (server dry run)"} {
		if !strings.Contains(server.stdout+server.stderr, want) {
			t.Errorf("apply --dry-run=server does not say %q:\n%s%s", want, server.stdout, server.stderr)
		}
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("the dry runs wrote %d objects in the management cluster", n)
	}
	if records, _ := f.registryWrites(t, seen); len(records) != 0 {
		t.Errorf("the dry runs wrote records %v", records)
	}
	if got := u.kubectl("config", "get-contexts", "-o", "name"); strings.Contains(got, "acme") {
		t.Errorf("the dry runs added a context: %s", got)
	}

	// apply, with the controller at work.
	_, reconciled := playCAPA(t, f, "acme")
	r := u.tenant("apply", "-f", doc, "--create-timeout", "2m")
	if err := <-reconciled; err != nil {
		t.Fatalf("the CAPA stand-in: %v", err)
	}
	for _, want := range []string{"AWSClusterRoleIdentity acme-hop-1 created", "MachinePool acme/acme-ng created", "EKS cluster acme made by CAPA from Cluster acme/acme",
		`context "acme" added`, "RoleBinding acme/kubectl-tenant:acme:edit:iam created", "tenant.tenancy.kubectl-tenant.io/acme created"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("apply does not say %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	rec := tenantRecord(t, u, "acme")
	if c := rec.Spec.Cluster.CAPA; c == nil || !c.CreatedByPlugin || c.ManagementContext != "mgmt" || rec.Status.Server == "" {
		t.Errorf("acme's record: %+v, status %+v", c, rec.Status)
	}
	// The objects are those create --provider capa makes from the same
	// parameters: real kubectl finds nothing to change in them.
	created := filepath.Join(u.home, "create.yaml")
	writeFile(t, created, u.tenant(capaArgs("acme", "--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium", "--dry-run=client", "-o", "yaml")...).stdout)
	if d := u.run("kubectl", "--context", "mgmt", "diff", "--server-side", "--field-manager", "kubectl-tenant", "-f", created); d.err != nil {
		t.Errorf("create's objects differ from those apply made: %v\n%s%s", d.err, d.stdout, d.stderr)
	}
	// Through the tenant's context, the grant works for the developer.
	devConfig := filepath.Join(u.home, "dev.yaml")
	u.tenant("kubeconfig", "acme", "--iam-role", devRole, "--minify", "--output-file", devConfig)
	dev := newUser(t).with(append(local.Env(), "KUBECONFIG="+devConfig)...)
	if who := whoami(t, dev); !slices.Contains(who.Groups, "kubectl-tenant:acme:edit") {
		t.Errorf("the developer is %+v", who)
	}

	// A re-apply, and the record's own round trip, write nothing.
	_, seen = mgmtWrites(t, f, 0)
	if r := u.tenant("apply", "-f", doc); !strings.Contains(r.stdout, "tenant.tenancy.kubectl-tenant.io/acme unchanged") {
		t.Errorf("a re-apply says:\n%s%s", r.stdout, r.stderr)
	}
	recordFile := filepath.Join(u.home, "acme-record.yaml")
	writeFile(t, recordFile, u.tenant("get", "acme", "-o", "yaml").stdout)
	if r := u.tenant("apply", "-f", recordFile); !strings.Contains(r.stdout, "tenant.tenancy.kubectl-tenant.io/acme unchanged") {
		t.Errorf("applying the record says:\n%s%s", r.stdout, r.stderr)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("re-applies wrote %d objects in the management cluster", n)
	}
	if records, _ := f.registryWrites(t, seen); len(records) != 0 {
		t.Errorf("re-applies wrote records %v", records)
	}

	// A changed node count: the server dry run names the machine pool and
	// writes nothing; the apply changes it alone.
	writeFile(t, doc, capaDoc("3"))
	_, seen = mgmtWrites(t, f, 0)
	if r := u.tenant("apply", "-f", doc, "--dry-run=server"); !strings.Contains(r.stdout, "MachinePool acme/acme-ng configured (server dry run)") ||
		strings.Contains(r.stdout, "AWSManagedControlPlane") || !strings.Contains(r.stdout, "acme configured (server dry run)") {
		t.Errorf("the server dry run of a changed node count says:\n%s%s", r.stdout, r.stderr)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("the server dry run wrote %d objects in the management cluster", n)
	}
	if r := u.tenant("apply", "-f", doc); !strings.Contains(r.stderr, "MachinePool acme/acme-ng configured") || !strings.Contains(r.stdout, "acme configured") {
		t.Errorf("applying a changed node count says:\n%s%s", r.stdout, r.stderr)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 2 { // the machine pool and its AWSManagedMachinePool
		t.Errorf("applying a changed node count wrote %d objects, want 2", n)
	}
	if got := u.kubectl("--context", "mgmt", "get", "machinepool", "acme-ng", "-n", "acme", "-o", "jsonpath={.spec.replicas}"); got != "3" {
		t.Errorf("acme's machine pool has %s replicas", got)
	}

	// Refused before anything is written.
	globex := strings.NewReplacer("name: acme}\nspec", "name: globex}\nspec", "[acme]", "[globex]", "eks: {name: acme,", "eks: {name: globex,",
		"  grants:\n  - subject: {kind: IAMRole, name: \""+devRole+"\"}\n    role: edit\n    via: access-entry\n", "").Replace(capaDoc("3"))
	_, seen = mgmtWrites(t, f, 0)
	for _, tc := range []struct{ doc, want string }{
		{strings.Replace(capaDoc("3"), "capa: {namespace: acme, name: acme}", "capa: {namespace: team-b, name: acme}", 1),
			"spec.cluster.capa: tenant \"acme\"'s cluster is Cluster acme/acme, not team-b/acme; a tenant does not move between clusters"},
		{strings.Replace(capaDoc("3"), "capa: {namespace: acme, name: acme}", "capa: {namespace: acme, name: acme, managementContext: workload}", 1),
			"spec.cluster.capa.managementContext: tenant \"acme\"'s Cluster API objects are in the management cluster of context \"mgmt\", not \"workload\""},
		{strings.Replace(capaDoc("3"), `roleARNs: ["`+hopRole+`", `, `roleARNs: [`, 1),
			"spec.aws.roleARNs: tenant \"acme\"'s chain has 2 roles, each an AWSClusterRoleIdentity"},
		{strings.Replace(capaDoc("3"), "capa: {namespace: acme, name: acme}", "context: elsewhere", 1),
			"spec.cluster.capa: tenant \"acme\"'s cluster is Cluster acme/acme of a management cluster: keep spec.cluster.capa in its document"},
		{strings.Replace(globex, "capa: {namespace: acme, name: acme}", "capa: {namespace: globex, name: prod}", 1),
			"spec.cluster.capa.name: apply makes tenant \"globex\"'s Cluster, named \"globex\": name it so, or adopt Cluster globex/prod with `kubectl tenant create globex --from-capa globex/prod`"},
		{strings.Replace(globex, "capa: {namespace: acme, name: acme}", "capa: {namespace: acme, name: globex}", 1),
			`namespace acme of the management cluster holds tenant "acme"'s Cluster API objects`},
		{strings.NewReplacer("globex", "acme-hop-1", "capa: {namespace: acme, name: acme}", "capa: {namespace: acme-hop-1, name: acme-hop-1}").Replace(globex),
			`AWSClusterRoleIdentity acme-hop-1 is a hop of tenant "acme"'s chain; tenant "acme-hop-1"'s would have the same name`},
	} {
		writeFile(t, filepath.Join(u.home, "bad.yaml"), tc.doc)
		if got := u.tenantFails("apply", "-f", filepath.Join(u.home, "bad.yaml")); !strings.Contains(got, tc.want) {
			t.Errorf("apply of\n%s\nsays %s\nwant %q", tc.doc, got, tc.want)
		}
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("refused applies wrote %d objects in the management cluster", n)
	}
}
