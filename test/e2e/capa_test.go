package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// capaArgs is create's command line for a CAPA tenant in the tenant
// account 222222222222, through the platform hop.
func capaArgs(name string, more ...string) []string {
	return append([]string{"create", name, "--provider", "capa", "--region", "us-east-1",
		"--role-arn", hopRole, "--role-arn", acmeRole, "--external-id", name + "-x1"}, more...)
}

// capaResources are what a CAPA tenant is made of in the management
// cluster.
var capaResources = []string{"namespaces", "awsclusterroleidentities", "clusters", "awsmanagedclusters", "awsmanagedcontrolplanes", "machinepools", "awsmanagedmachinepools"}

// mgmtWrites counts the writes to CAPA tenants' resources in the
// management cluster (a server dry run writes nothing) since seen
// events, and returns the events seen now.
func mgmtWrites(t *testing.T, f *fleet, seen int) (int, int) {
	t.Helper()
	events, err := f.mgmt.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events[seen:] {
		if slices.Contains(capaResources, e.ObjectRef.Resource) && slices.Contains([]string{"create", "update", "patch", "delete"}, e.Verb) && !e.DryRun() {
			n++
		}
	}
	return n, len(events)
}

// startCAPA starts a fleet whose management cluster has Cluster API's
// and CAPA's CRDs and CAPA's controller identity admitting allowed
// (allowedNamespaces, as YAML), and a local EKS; the fleet's user works
// with both.
func startCAPA(t *testing.T, allowed string) (*fleet, *user, *testenv.LocalEKS) {
	t.Helper()
	f := startFleet(t)
	local, _ := startLocalEKS(t)
	u := f.u.with(local.Env()...)
	if err := f.mgmt.InstallCAPI(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(u.home, "default-identity.yaml"), `apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterControllerIdentity
metadata: {name: default}
spec: {allowedNamespaces: `+allowed+`}
`)
	u.kubectl("--context", "mgmt", "apply", "-f", filepath.Join(u.home, "default-identity.yaml"))
	return f, u, local
}

// playCAPA starts testenv.CAPAController on f's management cluster,
// making tenant name's cluster ready once its objects are declared
// (within 3 minutes); the channel gets the outcome.
func playCAPA(t *testing.T, f *fleet, name string) (*testenv.CAPAController, <-chan error) {
	t.Helper()
	controller, err := testenv.NewCAPAController(f.mgmt.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	reconciled := make(chan error, 1)
	go func() { reconciled <- controller.Reconcile(ctx, name, name+"-control-plane", name) }()
	return controller, reconciled
}

// Cluster API mode, as a platform engineer runs it against a management
// cluster with Cluster API's and CAPA's own CRDs. No CAPA controller
// runs here: testenv.CAPAController plays it, on the wire as CAPA does
// (it follows the identities, makes the EKS cluster on the local EKS in
// the tenant's account, reports conditions, and writes the user
// kubeconfig Secret). create applies the objects, waits with CAPA's
// conditions, and adopts the cluster with the identities' role chain;
// real kubectl then reaches it as the tenant role, and a grant of an
// IAM role works through it as in the EKS story. A dry run prints what
// is applied, a re-run writes nothing, and bad input applies nothing.
func TestCAPACreate(t *testing.T) {
	ctx := context.Background()
	// CAPA's controller makes its own identity at start, admitting every
	// namespace (AutoControllerIdentityCreator).
	f, u, local := startCAPA(t, "{}")

	// The client dry run: the objects, in apply order, each namespaced one
	// naming its namespace; nothing is written.
	_, seen := mgmtWrites(t, f, 0)
	dry := u.tenant(capaArgs("acme", "--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium", "--dry-run=client", "-o", "yaml")...)
	docs := strings.Split(dry.stdout, "\n---\n")
	var kinds []string
	for _, d := range docs {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct{ Namespace string }
		}
		if err := yaml.Unmarshal([]byte(d), &obj); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		kinds = append(kinds, obj.Kind)
		if namespaced := obj.Kind != "Namespace" && obj.Kind != "AWSClusterRoleIdentity"; namespaced != (obj.Metadata.Namespace == "acme") {
			t.Errorf("%s in namespace %q:\n%s", obj.Kind, obj.Metadata.Namespace, d)
		}
	}
	if want := []string{"Namespace", "AWSClusterRoleIdentity", "AWSClusterRoleIdentity", "Cluster", "AWSManagedCluster", "AWSManagedControlPlane", "MachinePool", "AWSManagedMachinePool"}; !slices.Equal(kinds, want) {
		t.Errorf("the dry run prints %v, want %v", kinds, want)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("the client dry run wrote %d objects", n)
	}
	dryFile := filepath.Join(u.home, "acme-capa.yaml")
	writeFile(t, dryFile, dry.stdout)

	// The server dry run: checked by the management cluster, nothing kept.
	_, seen = mgmtWrites(t, f, 0)
	if r := u.tenant(capaArgs("acme", "--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium", "--dry-run=server", "-o", "yaml")...); !strings.Contains(r.stderr, "AWSClusterRoleIdentity acme created (server dry run)") ||
		!strings.Contains(r.stderr, "namespace acme does not exist yet: the server checks only the cluster-scoped objects") || r.stdout != dry.stdout {
		t.Errorf("the server dry run says:\n%s\nand prints:\n%s", r.stderr, r.stdout)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("the server dry run wrote %d objects", n)
	}

	// create, with the controller at work.
	controller, reconciled := playCAPA(t, f, "acme")
	r := u.tenant(capaArgs("acme", "--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium", "--timeout", "2m")...)
	if err := <-reconciled; err != nil {
		t.Fatalf("the CAPA stand-in: %v", err)
	}
	for _, want := range []string{"AWSClusterRoleIdentity acme-hop-1 created", "AWSManagedControlPlane acme/acme-control-plane created",
		"EKSControlPlaneReady=False (Creating: EKS is creating the cluster)", `context "acme" added`, "Namespace acme created", `tenant "acme" created: EKS cluster acme`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("create does not say %q:\n%s", want, r.stderr)
		}
	}
	rec := tenantRecord(t, u, "acme")
	if c := rec.Spec.Cluster.CAPA; c == nil || c.Namespace != "acme" || c.Name != "acme" || !c.CreatedByPlugin || rec.Spec.Cluster.EKS.CreatedByPlugin {
		t.Errorf("acme's record: %+v %+v", rec.Spec.Cluster.CAPA, rec.Spec.Cluster.EKS)
	}
	// The context runs the plugin's token with the identities' chain, not
	// the Secret's aws-iam-authenticator with ambient credentials.
	args := u.kubectl("config", "view", "-o", `jsonpath={.users[?(@.name=="kubectl-tenant:acme:iam")].user.exec.args}`)
	if !strings.Contains(args, `"--role-arn","`+hopRole+`","--role-arn","`+acmeRole+`","--external-id","acme-x1"`) {
		t.Errorf("acme's exec args: %s", args)
	}
	var who struct {
		Status struct{ UserInfo userInfo } `json:"status"`
	}
	if err := json.Unmarshal([]byte(u.kubectl("--context", "acme", "auth", "whoami", "-o", "json")), &who); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(who.Status.UserInfo.Username, "arn:aws:sts::222222222222:assumed-role/kubectl-tenant/") {
		t.Errorf("through context acme the user is %+v, want the tenant role", who.Status.UserInfo)
	}
	if got := u.kubectl("--context", "acme", "get", "namespace", "acme", "-o", "jsonpath={.metadata.labels.tenancy\\.kubectl-tenant\\.io/tenant}"); got != "acme" {
		t.Errorf("namespace acme in the workload cluster belongs to %q", got)
	}
	// Each identity admits exactly the tenant's namespace.
	for _, id := range []string{"acme", "acme-hop-1"} {
		if got := u.kubectl("--context", "mgmt", "get", "awsclusterroleidentity", id, "-o", "jsonpath={.spec.allowedNamespaces}"); got != `{"list":["acme"]}` {
			t.Errorf("identity %s admits %s", id, got)
		}
	}

	// A grant of an IAM role, through the adopted cluster, with real kubectl.
	u.tenant("grant", "acme", "--iam-role", devRole, "--role", "edit")
	devConfig := filepath.Join(u.home, "dev.yaml")
	u.tenant("kubeconfig", "acme", "--iam-role", devRole, "--minify", "--output-file", devConfig)
	dev := newUser(t).with(append(local.Env(), "KUBECONFIG="+devConfig)...)
	if who := whoami(t, dev); !slices.Contains(who.Groups, "kubectl-tenant:acme:edit") {
		t.Errorf("the developer is %+v", who)
	}
	dev.kubectl("create", "configmap", "web", "-n", "acme")

	// Running it again writes nothing in the management cluster, neither
	// objects nor the record, and the dry run's output applies there
	// unchanged.
	_, seen = mgmtWrites(t, f, 0)
	u.tenant(capaArgs("acme", "--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium")...)
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("a second create wrote %d objects in the management cluster", n)
	}
	if records, _ := f.registryWrites(t, seen); len(records) != 0 {
		t.Errorf("a second create wrote records %v", records)
	}
	if out := u.kubectl("--context", "mgmt", "apply", "--server-side", "--field-manager", "gitops", "--dry-run=server", "-f", dryFile); strings.Count(out, "serverside-applied") != len(docs) {
		t.Errorf("the dry run's output, applied:\n%s", out)
	}

	// Bad input: a clear error, and nothing applied.
	writeFile(t, filepath.Join(u.home, "foreign.yaml"), `apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterRoleIdentity
metadata: {name: initech}
spec: {roleARN: "arn:aws:iam::333333333333:role/theirs", allowedNamespaces: {list: [initech]}, sourceIdentityRef: {kind: AWSClusterControllerIdentity, name: default}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterRoleIdentity
metadata: {name: loop-a}
spec: {roleARN: "arn:aws:iam::333333333333:role/a", allowedNamespaces: {list: [hooli]}, sourceIdentityRef: {kind: AWSClusterRoleIdentity, name: loop-b}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterRoleIdentity
metadata: {name: loop-b}
spec: {roleARN: "arn:aws:iam::333333333333:role/b", allowedNamespaces: {list: [hooli]}, sourceIdentityRef: {kind: AWSClusterRoleIdentity, name: loop-a}}
`)
	u.kubectl("--context", "mgmt", "apply", "-f", filepath.Join(u.home, "foreign.yaml"))
	_, seen = mgmtWrites(t, f, 0)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{capaArgs("globex", "--management-namespace", "acme"), `namespace acme of the management cluster holds tenant "acme"'s Cluster API objects`},
		{capaArgs("initech"), "AWSClusterRoleIdentity initech was not made by kubectl-tenant in the management cluster"},
		{capaArgs("globex", "--management-context", "workload"), `the management cluster (context "workload") does not serve clusters.cluster.x-k8s.io, machinepools.cluster.x-k8s.io, awsclusterroleidentities`},
		{capaArgs("hooli", "--source-identity", "AWSClusterRoleIdentity/loop-a"), "the identity chain loops: AWSClusterRoleIdentity/loop-a -> AWSClusterRoleIdentity/loop-b -> AWSClusterRoleIdentity/loop-a"},
		{capaArgs("globex", "--source-identity", "AWSClusterRoleIdentity/initech"), "identity AWSClusterRoleIdentity/initech does not admit namespace globex"},
		{capaArgs("globex", "--cluster-role-arn", acmeRole), "--cluster-role-arn is not for --provider capa"},
		{capaArgs("globex", "--source-identity", "Secret/aws"), `--source-identity "Secret/aws": name an identity as KIND/NAME`},
		{capaArgs("globex", "--nodegroup", "Ng_1"), `--nodegroup "Ng_1": CAPA's machine pool is named globex-Ng_1, a Kubernetes name`},
		{capaArgs("globex", "--management-namespace", "Team.A"), `--management-namespace "Team.A"`},
		{[]string{"create", "mallory", "--from-capa", "acme/acme"}, `the Cluster acme/acme was made by kubectl-tenant for tenant "acme"`},
		{[]string{"create", "globex", "--region", "us-east-1", "--role-arn", acmeRole, "--management-namespace", "x"}, "--management-namespace: only with --provider capa or --from-capa"},
	} {
		if got := u.tenantFails(tc.args...); !strings.Contains(got, tc.want) {
			t.Errorf("kubectl tenant %s: %s\nwant %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("refused creates wrote %d objects in the management cluster", n)
	}
	// Without a controller the wait ends at --timeout, and says so.
	if got := u.tenantFails(capaArgs("umbrella", "--timeout", "3s")...); !strings.Contains(got, "control plane umbrella/umbrella-control-plane is not ready after 3s") {
		t.Errorf("a create CAPA does not answer: %s", got)
	}

	// A CAPA cluster someone else declared (GitOps, say): adopted with its
	// identities' chain, once CAPA has written its user kubeconfig;
	// nothing is written in the management cluster.
	writeFile(t, filepath.Join(u.home, "team-a.yaml"), `apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterRoleIdentity
metadata: {name: team-a}
spec: {roleARN: "`+globexRole+`", externalID: team-a-x1, allowedNamespaces: {list: [team-a]}, sourceIdentityRef: {kind: AWSClusterControllerIdentity, name: default}}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: prod, namespace: team-a}
spec:
  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: AWSManagedCluster, name: prod}
  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: AWSManagedControlPlane, name: prod-control-plane}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSManagedCluster
metadata: {name: prod, namespace: team-a}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: AWSManagedControlPlane
metadata: {name: prod-control-plane, namespace: team-a}
spec: {eksClusterName: team-a-prod, region: us-east-1, identityRef: {kind: AWSClusterRoleIdentity, name: team-a}}
`)
	u.kubectl("--context", "mgmt", "apply", "-f", filepath.Join(u.home, "team-a.yaml"))
	if got := u.tenantFails("create", "team-a", "--from-capa", "team-a/prod"); !strings.Contains(got, "no Secret team-a/prod-user-kubeconfig: CAPA writes it when the control plane is ready") {
		t.Errorf("adopting a cluster CAPA has not made yet: %s", got)
	}
	if err := controller.Reconcile(ctx, "team-a", "prod-control-plane", "prod"); err != nil {
		t.Fatalf("the CAPA stand-in: %v", err)
	}
	_, seen = mgmtWrites(t, f, 0)
	dryAdopt := u.tenant("create", "team-a", "--from-capa", "team-a/prod", "--dry-run=client", "-o", "yaml")
	if !strings.Contains(dryAdopt.stdout, "externalID: team-a-x1") || !strings.Contains(dryAdopt.stdout, "name: team-a-prod") {
		t.Errorf("the adoption's dry run prints:\n%s", dryAdopt.stdout)
	}
	if r := u.tenant("create", "team-a", "--from-capa", "team-a/prod"); !strings.Contains(r.stderr, `tenant "team-a" adopted: EKS cluster team-a-prod`) {
		t.Errorf("create --from-capa says:\n%s", r.stderr)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("adopting wrote %d objects in the management cluster besides the record", n)
	}
	if c := tenantRecord(t, u, "team-a").Spec.Cluster.CAPA; c == nil || c.CreatedByPlugin || c.Namespace != "team-a" || c.Name != "prod" {
		t.Errorf("team-a's record: %+v", c)
	}
	if err := json.Unmarshal([]byte(u.kubectl("--context", "team-a", "auth", "whoami", "-o", "json")), &who); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(who.Status.UserInfo.Username, "arn:aws:sts::333333333333:assumed-role/kubectl-tenant/") {
		t.Errorf("through context team-a the user is %+v, want the role of identity team-a", who.Status.UserInfo)
	}

	// access --verify checks the trust chain with CAPA's semantics. The
	// controller's identity, as CAPA makes it, admits every namespace: a
	// finding while tenants exist. Once it admits only theirs, both pass.
	verifyFails := func(name, want string) {
		t.Helper()
		r := u.run("kubectl", "tenant", "access", name, "--verify")
		if r.err == nil || !strings.Contains(r.stdout, want) || !strings.Contains(r.stderr, "trust chain") {
			t.Errorf("access %s --verify: %v, want a finding %q\n%s%s", name, r.err, want, r.stdout, r.stderr)
		}
	}
	verifyFails("acme", "TRUST: AWSClusterControllerIdentity default: admits every namespace")
	u.kubectl("--context", "mgmt", "delete", "awsclustercontrolleridentity", "default")
	writeFile(t, filepath.Join(u.home, "default-identity.yaml"), `apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterControllerIdentity
metadata: {name: default}
spec: {allowedNamespaces: {list: [acme, team-a]}}
`)
	u.kubectl("--context", "mgmt", "apply", "-f", filepath.Join(u.home, "default-identity.yaml"))
	u.tenant("access", "acme", "--verify")
	u.tenant("access", "team-a", "--verify")
	// Each identity widened by hand is found, and passes again once put back.
	for _, tc := range []struct{ object, patch, undo, want string }{
		{"awsclusterroleidentity/acme", `[{"op":"replace","path":"/spec/allowedNamespaces","value":{}}]`, `[{"op":"replace","path":"/spec/allowedNamespaces","value":{"list":["acme"]}}]`,
			"TRUST: AWSClusterRoleIdentity acme: admits every namespace"},
		{"awsclusterroleidentity/acme-hop-1", `[{"op":"replace","path":"/spec/allowedNamespaces","value":{"selector":{}}}]`, `[{"op":"replace","path":"/spec/allowedNamespaces","value":{"list":["acme"]}}]`,
			"TRUST: AWSClusterRoleIdentity acme-hop-1: admits every namespace"},
		{"awsclusterroleidentity/acme", `[{"op":"replace","path":"/spec/allowedNamespaces","value":{"list":["acme","team-a"]}}]`, `[{"op":"replace","path":"/spec/allowedNamespaces","value":{"list":["acme"]}}]`,
			"TRUST: AWSClusterRoleIdentity acme: admits namespace(s) team-a besides acme"},
		{"awsmanagedcontrolplane/acme-control-plane", `[{"op":"replace","path":"/spec/identityRef/name","value":"team-a"}]`, `[{"op":"replace","path":"/spec/identityRef/name","value":"acme"}]`,
			"TRUST: AWSClusterRoleIdentity team-a: does not admit namespace acme of Cluster acme/acme"},
	} {
		ns := []string{}
		if strings.HasPrefix(tc.object, "awsmanagedcontrolplane") {
			ns = []string{"-n", "acme"}
		}
		u.kubectl(append([]string{"--context", "mgmt", "patch", tc.object, "--type", "json", "-p", tc.patch}, ns...)...)
		verifyFails("acme", tc.want)
		u.kubectl(append([]string{"--context", "mgmt", "patch", tc.object, "--type", "json", "-p", tc.undo}, ns...)...)
	}
	u.tenant("access", "acme", "--verify")
	// An identity without the external ID its role's trust policy
	// requires, read through the tenant's chain.
	creds, err := local.CredentialsFile(ctx, testenv.Profile{Name: "team-a-admin", Role: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"})
	if err != nil {
		t.Fatal(err)
	}
	credsFile := filepath.Join(u.home, ".aws", "credentials")
	writeFile(t, credsFile, creds)
	u.with("AWS_SHARED_CREDENTIALS_FILE="+credsFile).tenant("bootstrap", "iam", "--trusted-principal", hopRole, "--external-id", "team-a-x1", "--create", "--profile", "team-a-admin")
	u.tenant("access", "team-a", "--verify")
	// The role a tenant account gives CAPA's controller: CAPA's own
	// permissions, trusted by the controller with the external ID.
	capaRole := u.with("AWS_SHARED_CREDENTIALS_FILE="+credsFile).tenant("bootstrap", "iam", "--for", "capa",
		"--trusted-principal", "arn:aws:iam::111111111111:role/controllers.cluster-api-provider-aws.sigs.k8s.io", "--external-id", "team-a-x1", "--create", "--profile", "team-a-admin")
	if got := strings.TrimSpace(capaRole.stdout); got != "arn:aws:iam::333333333333:role/kubectl-tenant-capa" {
		t.Errorf("bootstrap iam --for capa made %q", got)
	}
	var role struct {
		RoleName          string
		TrustPolicy       json.RawMessage
		PermissionsPolicy json.RawMessage
	}
	if err := json.Unmarshal([]byte(u.tenant("bootstrap", "iam", "--for", "capa", "--trusted-principal", hopRole, "--external-id", "x-1").stdout), &role); err != nil {
		t.Fatal(err)
	}
	if role.RoleName != "kubectl-tenant-capa" || !strings.Contains(string(role.TrustPolicy), `"sts:ExternalId": "x-1"`) ||
		!strings.Contains(string(role.PermissionsPolicy), `"eks:CreateCluster"`) || strings.Contains(string(role.PermissionsPolicy), `"Action": "*"`) {
		t.Errorf("bootstrap iam --for capa prints %s %s %.300s", role.RoleName, role.TrustPolicy, role.PermissionsPolicy)
	}
	u.kubectl("--context", "mgmt", "patch", "awsclusterroleidentity", "team-a", "--type", "json", "-p", `[{"op":"remove","path":"/spec/externalID"}]`)
	verifyFails("team-a", "TRUST: AWSClusterRoleIdentity team-a: gives no externalID, and role "+globexRole+"'s trust policy requires one")

	// Each record, applied back, writes nothing: the objects create made
	// are what the record declares, and an adopted Cluster's objects are
	// not apply's to write.
	_, seen = mgmtWrites(t, f, 0)
	for _, name := range []string{"acme", "team-a"} {
		recordFile := filepath.Join(u.home, name+"-record.yaml")
		writeFile(t, recordFile, u.tenant("get", name, "-o", "yaml").stdout)
		if r := u.tenant("apply", "-f", recordFile); !strings.Contains(r.stdout, "tenant.tenancy.kubectl-tenant.io/"+name+" ") || strings.Contains(r.stderr, " configured") {
			t.Errorf("applying %s's record says:\n%s%s", name, r.stdout, r.stderr)
		}
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("applying the records back wrote %d objects in the management cluster", n)
	}
	// An adopted CAPA cluster is not its adopter's to delete: the tenant's
	// own objects and record go, the Cluster stays.
	if r := u.tenant("delete", "team-a", "--delete-cluster"); !strings.Contains(r.stderr, `Cluster team-a/prod was adopted by tenant "team-a", not made for it`) {
		t.Errorf("delete team-a --delete-cluster says:\n%s", r.stderr)
	}
	u.kubectl("--context", "mgmt", "get", "cluster", "-n", "team-a", "prod")
	// What the plugin made for a tenant is not another name's to adopt.
	if got := u.tenantFails("create", "mallory", "--from-capa", "umbrella/umbrella"); !strings.Contains(got, `the Cluster umbrella/umbrella was made by kubectl-tenant for tenant "umbrella"`) {
		t.Errorf("adopting another tenant's CAPA objects: %s", got)
	}
	if n, _ := mgmtWrites(t, f, seen); n != 0 {
		t.Errorf("refused commands wrote %d objects in the management cluster", n)
	}
	// The dry runs of delete --delete-cluster change nothing (the audit
	// log does not show a deletion's dryRun, which travels in its body:
	// every object is read back instead).
	for mode, wants := range map[string][]string{
		"--dry-run=client": {"Cluster acme/acme would be deleted, and with it EKS cluster acme, then Namespace acme, AWSClusterRoleIdentity acme-hop-1, AWSClusterRoleIdentity acme,"},
		"--dry-run=server": {"Cluster acme/acme would be deleted", "AWSManagedControlPlane acme/acme-control-plane would be deleted", "AWSClusterRoleIdentity acme would be deleted",
			"AWSClusterRoleIdentity acme-hop-1 would be deleted", "Namespace acme would be deleted"},
	} {
		r := u.tenant("delete", "acme", "--delete-cluster", mode)
		for _, want := range wants {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("delete acme --delete-cluster %s does not say %q:\n%s", mode, want, r.stderr)
			}
		}
	}
	if got := strings.Count(u.kubectl("--context", "mgmt", "get", "-f", dryFile, "-o", "name"), "\n"); got != len(docs) {
		t.Errorf("after the dry runs of delete, %d of acme's %d objects are left", got, len(docs))
	}
	tenantRecord(t, u, "acme")
	// delete --delete-cluster: the Cluster goes, and CAPA deletes the EKS
	// cluster with it; then the identities and the namespace; the record
	// and the context last.
	u.kubectl("--context", "mgmt", "create", "secret", "generic", "notes", "-n", "acme", "--from-literal=owner=someone-else")
	finalized := make(chan error, 1)
	fctx, cancelFinalize := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelFinalize()
	go func() { finalized <- controller.Finalize(fctx, "acme", "acme", "acme-control-plane") }()
	r = u.tenant("delete", "acme", "--delete-cluster", "--timeout", "2m")
	if err := <-finalized; err != nil {
		t.Fatalf("the CAPA stand-in: %v", err)
	}
	for _, want := range []string{"waiting for Cluster API and CAPA to delete the EKS cluster and let Cluster acme/acme go", "Cluster acme/acme deleted",
		"AWSClusterRoleIdentity acme deleted", "AWSClusterRoleIdentity acme-hop-1 deleted", `context "acme" removed`, `tenant "acme" deleted`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("delete acme --delete-cluster does not say %q:\n%s", want, r.stderr)
		}
	}
	if got := u.kubectl("--context", "mgmt", "get", "awsclusterroleidentities", "-o", "name"); strings.Contains(got, "/acme") {
		t.Errorf("acme's identities are left: %s", got)
	}
	// The namespace holds someone's Secret, so it stays, and says why.
	if !strings.Contains(r.stderr, "Namespace acme (used by Secret acme/notes) stays") {
		t.Errorf("delete acme --delete-cluster does not keep namespace acme for the Secret in it:\n%s", r.stderr)
	}
	if got := u.kubectl("--context", "mgmt", "get", "secret", "notes", "-n", "acme", "-o", "name"); got != "secret/notes\n" {
		t.Errorf("someone's Secret in acme's namespace: %q", got)
	}
}
