package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

func record(name, context string, namespaces ...string) *tenant.Tenant {
	t := tenant.New(name)
	t.Spec.Cluster.Context = context
	t.Spec.Namespaces = namespaces
	return t
}

// A status written again with what was found before changes nothing,
// and keeps each condition's transition time; a condition whose status
// flips gets a new one, and every condition names the generation.
func TestSetStatus(t *testing.T) {
	conn := &cluster.Connection{Context: "dev", Server: "https://dev"}
	rec := record("acme", "dev", "acme")
	ok := &Report{Grants: 2, ServerVersion: "v1.36.3"}
	ok.set(tenant.ConditionClusterReady, true, "Reachable", "up")
	ok.setReady()
	if !setStatus(rec, 1, conn, ok) {
		t.Fatal("the first status: no change reported")
	}
	then := rec.Status.Conditions[0].LastTransitionTime
	rec.Status.Conditions[0].LastTransitionTime = metav1.NewTime(then.Add(-time.Hour)) // as if written an hour ago
	if setStatus(rec, 1, conn, ok) {
		t.Errorf("the same status again reported a change: %+v", rec.Status)
	}
	if got := rec.Status.Conditions[0].LastTransitionTime; !got.Equal(&metav1.Time{Time: then.Add(-time.Hour)}) {
		t.Errorf("an unchanged condition's transition time moved to %s", got)
	}

	down := &Report{}
	down.set(tenant.ConditionClusterReady, false, "Unreachable", "silent")
	down.setReady()
	if !setStatus(rec, 2, conn, down) {
		t.Fatal("a flipped condition: no change reported")
	}
	for _, c := range rec.Status.Conditions {
		if c.ObservedGeneration != 2 || c.Status != metav1.ConditionFalse {
			t.Errorf("condition %+v: want False for generation 2", c)
		}
	}
	if rec.Status.KubernetesVersion != "v1.36.3" || rec.Status.ObservedGeneration != 2 {
		t.Errorf("an unreachable cluster's status: %+v (the last version seen stays, the generation moves)", rec.Status)
	}
}

func TestMergedRefusesAMove(t *testing.T) {
	current := record("acme", "dev", "acme")
	doc := record("acme", "prod", "acme")
	if _, err := merged(current, doc, "m"); err == nil || !strings.Contains(err.Error(), "spec.cluster.context") {
		t.Errorf("moving a tenant to another context: %v", err)
	}
	bad := record("acme", "dev", "Acme")
	if _, err := merged(nil, bad, "m"); err == nil || !strings.Contains(err.Error(), "spec.namespaces[0]") {
		t.Errorf("an invalid document: %v", err)
	}
	eks := record("acme", "", "acme")
	eks.Spec.Cluster.EKS = &tenant.EKSCluster{Name: "acme"}
	eks.Spec.AWS = &tenant.AWS{Region: "eu-west-1"}
	if got, err := merged(nil, eks, "m"); err != nil || got.Spec.Cluster.Context != "acme" {
		t.Errorf("a new EKS tenant: %v; want its context named after it", err)
	}
	if _, err := merged(current, eks, "m"); err == nil || !strings.Contains(err.Error(), "does not move between clusters") {
		t.Errorf("a tenant on a context moved to EKS: %v", err)
	}
	recorded := eks.DeepCopy()
	recorded.Spec.Cluster.Context = "acme"
	other := eks.DeepCopy()
	other.Spec.Cluster.EKS.Name = "acme-2"
	if _, err := merged(recorded, other, "m"); err == nil || !strings.Contains(err.Error(), "spec.cluster.eks.name") {
		t.Errorf("moving an EKS tenant to another cluster: %v", err)
	}
	if got, err := merged(recorded, eks, "m"); err != nil || got.Spec.Cluster.Context != "acme" {
		t.Errorf("an EKS document without a context keeps the recorded one: %v, %v", got, err)
	}
	recorded.Spec.AWS.RoleARNs = []string{"arn:aws:iam::222222222222:role/tenant"}
	elsewhere := recorded.DeepCopy()
	elsewhere.Spec.AWS.Region = "us-east-1"
	if _, err := merged(recorded, elsewhere, "m"); err == nil || !strings.Contains(err.Error(), "spec.aws.region") || !strings.Contains(err.Error(), "does not move") {
		t.Errorf("moving an EKS tenant to another region: %v", err)
	}
	elsewhere = recorded.DeepCopy()
	elsewhere.Spec.AWS.RoleARNs = []string{"arn:aws:iam::333333333333:role/tenant"}
	if _, err := merged(recorded, elsewhere, "m"); err == nil || !strings.Contains(err.Error(), "spec.aws.roleARNs") {
		t.Errorf("moving an EKS tenant to another account: %v", err)
	}
	rotated := recorded.DeepCopy()
	rotated.Spec.AWS.RoleARNs = []string{"arn:aws:iam::111111111111:role/platform", "arn:aws:iam::222222222222:role/tenant-v2"}
	if _, err := merged(recorded, rotated, "m"); err != nil {
		t.Errorf("a new role chain into the same account: %v", err)
	}
	got, err := merged(nil, record("acme", "dev", "acme"), "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Annotations[tenant.LastAppliedKey("m")]; !ok {
		t.Errorf("the record does not keep what manager m applied: %v", got.Annotations)
	}
}

func TestPinServer(t *testing.T) {
	conn := &cluster.Connection{Context: "dev", Server: "https://dev"}
	rec := record("acme", "dev", "acme")
	if err := pinServer(rec, conn); err != nil || rec.Spec.Cluster.Server != "https://dev" {
		t.Fatalf("a new tenant's server: %q, %v", rec.Spec.Cluster.Server, err)
	}
	moved := &cluster.Connection{Context: "dev", Server: "https://elsewhere"}
	if err := pinServer(rec, moved); err == nil || !strings.Contains(err.Error(), "now reaches https://elsewhere") {
		t.Errorf("a context that reaches another server: %v", err)
	}

	// An EKS tenant's context must reach its cluster's endpoint.
	eks := record("acme", "acme", "acme")
	eks.Spec.Cluster.EKS = &tenant.EKSCluster{Name: "acme"}
	eks.Status.Server = "https://x.eks.amazonaws.com/"
	if err := pinServer(eks, &cluster.Connection{Context: "acme", Server: "https://x.eks.amazonaws.com"}); err != nil {
		t.Errorf("an EKS tenant's own context: %v", err)
	}
	if err := pinServer(eks, moved); err == nil || !strings.Contains(err.Error(), "not EKS cluster acme's endpoint") {
		t.Errorf("an EKS tenant through a context of its name made for something else: %v", err)
	}
}

func TestSortedResults(t *testing.T) {
	in := []apply.Result{
		{Kind: "ClusterRoleBinding", Name: "b"}, {Kind: "RoleBinding", Namespace: "y", Name: "a"},
		{Kind: "RoleBinding", Namespace: "x", Name: "b"}, {Kind: "Namespace", Name: "x"}, {Kind: "ClusterRole", Name: "a"},
	}
	var got []string
	for _, r := range sorted(in) {
		got = append(got, r.Kind+"/"+r.Namespace+"/"+r.Name)
	}
	want := []string{"Namespace//x", "RoleBinding/x/b", "RoleBinding/y/a", "ClusterRole//a", "ClusterRoleBinding//b"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

// capaRecord is CAPA tenant acme as apply records it: made by the
// plugin (created) or adopted, in the management cluster of context
// mgmt, through two roles, with a node group.
func capaRecord(created bool) *tenant.Tenant {
	t := record("acme", "acme", "acme")
	t.Spec.Cluster.EKS = &tenant.EKSCluster{Name: "acme", Nodegroup: &tenant.Nodegroup{Name: "ng", Nodes: 2}}
	t.Spec.Cluster.CAPA = &tenant.CAPACluster{ManagementContext: "mgmt", Namespace: "acme", Name: "acme", CreatedByPlugin: created}
	t.Spec.AWS = &tenant.AWS{Region: "us-east-1", RoleARNs: []string{"arn:aws:iam::111111111111:role/platform", "arn:aws:iam::222222222222:role/tenant"}}
	return t
}

// The rules an apply of a CAPA tenant's document keeps: what apply
// cannot make so, or would leave objects behind for, is refused before
// anything is written; what the plugin records is the record's.
func TestMergedCAPA(t *testing.T) {
	doc := func(edit func(*tenant.Tenant)) *tenant.Tenant {
		d := capaRecord(false)
		d.Spec.Cluster.Context = ""
		d.Spec.Cluster.CAPA.ManagementContext = ""
		edit(d)
		return d
	}
	same := func(*tenant.Tenant) {}
	for _, tc := range []struct {
		name    string
		current *tenant.Tenant
		doc     *tenant.Tenant
		refused string // in the error; "" for none
	}{
		{"a new tenant", nil, doc(same), ""},
		{"a new tenant's Cluster of another name", nil, doc(func(d *tenant.Tenant) { d.Spec.Cluster.CAPA.Name = "prod" }), "spec.cluster.capa.name: apply makes tenant \"acme\"'s Cluster"},
		{"the same document again", capaRecord(true), doc(same), ""},
		{"a resized node group", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.Cluster.EKS.Nodegroup.Nodes = 3 }), ""},
		{"other roles, as many", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.AWS.RoleARNs[1] = "arn:aws:iam::222222222222:role/tenant-v2" }), ""},
		{"a shorter chain", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.AWS.RoleARNs = d.Spec.AWS.RoleARNs[1:] }), "spec.aws.roleARNs: tenant \"acme\"'s chain has 2 roles"},
		{"a renamed node group", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.Cluster.EKS.Nodegroup.Name = "ng2" }), "spec.cluster.eks.nodegroup: tenant \"acme\"'s node group ng"},
		{"a document silent on the node group", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.Cluster.EKS.Nodegroup = nil }), ""},
		{"a dropped node group", capaRecord(true), doc(func(d *tenant.Tenant) {
			d.Spec.Cluster.EKS.Nodegroup, d.Spec.Cluster.EKS.KubernetesVersion = nil, "1.33"
		}), "not rename or drop it"},
		{"another namespace", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.Cluster.CAPA.Namespace = "team-b" }), "not team-b/acme; a tenant does not move"},
		{"another management cluster", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.Cluster.CAPA.ManagementContext = "other" }), "spec.cluster.capa.managementContext"},
		{"no spec.cluster.capa", capaRecord(true), doc(func(d *tenant.Tenant) { d.Spec.Cluster.CAPA = nil }), "keep spec.cluster.capa in its document"},
		{"onto CAPA from a context", record("acme", "dev", "acme"), doc(same), "not on a Cluster API cluster"},
		{"an adopted tenant's record", capaRecord(false), doc(same), ""},
		{"an adopted tenant's node count", capaRecord(false), doc(func(d *tenant.Tenant) { d.Spec.Cluster.EKS.Nodegroup.Nodes = 3 }), "was declared by someone else and adopted"},
		{"an adopted tenant's roles", capaRecord(false), doc(func(d *tenant.Tenant) { d.Spec.AWS.ExternalID = "x" }), "create acme --from-capa acme/acme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := merged(tc.current, tc.doc, "m")
			switch {
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("got %v, want a refusal saying %q", err, tc.refused)
			case tc.refused != "":
				return
			case err != nil:
				t.Fatal(err)
			}
			c := got.Spec.Cluster.CAPA
			if want := tc.current == nil || tc.current.Spec.Cluster.CAPA.CreatedByPlugin; c.CreatedByPlugin != want {
				t.Errorf("createdByPlugin %v, want %v: who made the objects is the record's", c.CreatedByPlugin, want)
			}
			if tc.current != nil && c.ManagementContext != "mgmt" {
				t.Errorf("managementContext %q: a document without one keeps the record's", c.ManagementContext)
			}
			if tc.doc.Spec.Cluster.CAPA.CreatedByPlugin || tc.doc.Spec.Cluster.CAPA.ManagementContext != "" {
				t.Errorf("the document was changed: %+v", tc.doc.Spec.Cluster.CAPA)
			}
		})
	}

	// A document without a source identity keeps the recorded one.
	current := capaRecord(true)
	current.Spec.Cluster.CAPA.SourceIdentity = "AWSClusterRoleIdentity/platform"
	got, err := merged(current, doc(same), "m")
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Spec.Cluster.CAPA.SourceIdentity; s != "AWSClusterRoleIdentity/platform" {
		t.Errorf("sourceIdentity %q: a document without one keeps the record's", s)
	}
	// The last-applied spec leaves out what the plugin resolves, so that
	// the record applied back is the document applied again.
	first, err := merged(nil, doc(same), "m")
	if err != nil {
		t.Fatal(err)
	}
	first.Spec.Cluster.CAPA.ManagementContext = "mgmt" // as apply resolves it
	again, err := merged(first, first, "m")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := first.Annotations[tenant.LastAppliedKey("m")], again.Annotations[tenant.LastAppliedKey("m")]; a != b {
		t.Errorf("the record applied back changes the last-applied spec:\n%s\n%s", a, b)
	}
}
