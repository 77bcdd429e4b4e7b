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
