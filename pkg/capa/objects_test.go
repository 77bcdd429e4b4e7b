package capa_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"k8s.io/apimachinery/pkg/runtime"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
	cpwebhooks "sigs.k8s.io/cluster-api-provider-aws/v2/controlplane/eks/webhooks"
	expwebhooks "sigs.k8s.io/cluster-api-provider-aws/v2/exp/webhooks"
	infrawebhooks "sigs.k8s.io/cluster-api-provider-aws/v2/webhooks"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var cp *testenv.ControlPlane

// A real apiserver as the management cluster, with Cluster API's and
// CAPA's own CRDs from the module sources. No CAPA controller runs.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithControlPlane(m, testenv.Options{}, &cp))
}

// specs are two tenants: the least create takes, and one with every
// field and a role chain of two hops.
var specs = []capa.Spec{
	{Tenant: "acme", EKS: tenant.EKSCluster{Name: "acme"},
		AWS: tenant.AWS{Region: "eu-west-1", RoleARNs: []string{"arn:aws:iam::444455556666:role/capa"}, ExternalID: "acme-x1"}},
	{Tenant: "globex", Namespace: "globex-capi", EKS: tenant.EKSCluster{Name: "globex-prod", KubernetesVersion: "1.31",
		EndpointAccess: "public-and-private", PublicAccessCIDRs: []string{"203.0.113.0/24"}, AuthenticationMode: "API", Tags: map[string]string{"team": "payments"},
		Nodegroup: &tenant.Nodegroup{Name: "general", InstanceTypes: []string{"m5.large"}, Nodes: 3, NodesMin: 1, NodesMax: 5}},
		AWS: tenant.AWS{Region: "eu-west-1", RoleARNs: []string{"arn:aws:iam::111122223333:role/platform", "arn:aws:iam::777788889999:role/capa"}, ExternalID: "globex-x1"}},
}

// What a CAPA tenant is made of applies to the CRDs as it is printed
// (server-side apply of the YAML stream), and its identities admit the
// tenant's namespace and no other, by CAPA's rules, against the real
// namespaces.
func TestObjectsApply(t *testing.T) {
	ctx := context.Background()
	if err := cp.InstallCAPI(ctx); err != nil {
		t.Fatal(err)
	}
	kubectl, err := testenv.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		objs, err := capa.Objects(s)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := capa.YAML(objs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(docs), "creationTimestamp") || strings.Contains(string(docs), "status:") || strings.Contains(string(docs), "selector") {
			t.Errorf("%s's objects carry what the API server fills in:\n%s", s.Tenant, docs)
		}
		file := filepath.Join(t.TempDir(), s.Tenant+".yaml")
		if err := os.WriteFile(file, docs, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(kubectl, "--kubeconfig", cp.AdminKubeconfig, "apply", "--server-side", "--field-manager", "kubectl-tenant", "-f", file).CombinedOutput()
		if err != nil {
			t.Fatalf("applying %s's objects:\n%s\n%s", s.Tenant, out, docs)
		}
		if got, want := strings.Count(string(out), "serverside-applied"), len(objs); got != want {
			t.Errorf("%s: %d objects applied, want %d:\n%s", s.Tenant, got, want, out)
		}
		// Applying the same again changes nothing: no resourceVersion moves.
		versions := func() string {
			out, err := exec.Command(kubectl, "--kubeconfig", cp.AdminKubeconfig, "get", "-f", file, "-o", "jsonpath={.items[*].metadata.resourceVersion}").Output()
			if err != nil {
				t.Fatalf("reading %s's objects: %v", s.Tenant, err)
			}
			return string(out)
		}
		before := versions()
		if again, err := exec.Command(kubectl, "--kubeconfig", cp.AdminKubeconfig, "apply", "--server-side", "--field-manager", "kubectl-tenant", "-f", file).CombinedOutput(); err != nil {
			t.Fatalf("applying %s's objects again: %v\n%s", s.Tenant, err, again)
		}
		if after := versions(); after != before || strings.Count(before, " ") != len(objs)-1 {
			t.Errorf("%s: a second apply changed resourceVersions %q to %q", s.Tenant, before, after)
		}
	}

	// Each identity, as the apiserver stored it, admits only its tenant's
	// namespace.
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	namespaces, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, ns := range map[string]string{"acme": "acme", "globex": "globex-capi", "globex-hop-1": "globex-capi"} {
		out, err := exec.Command(kubectl, "--kubeconfig", cp.AdminKubeconfig, "get", "awsclusterroleidentity", name, "-o", "yaml").Output()
		if err != nil {
			t.Fatalf("reading identity %s: %v", name, err)
		}
		var id infrav1.AWSClusterRoleIdentity
		if err := yaml.Unmarshal(out, &id); err != nil {
			t.Fatal(err)
		}
		for _, n := range namespaces.Items {
			admitted, err := capa.Admits(id.Spec.AllowedNamespaces, n.Name, n.Labels)
			if err != nil || admitted != (n.Name == ns) {
				t.Errorf("identity %s admits namespace %s: %v (%v); want only %s", name, n.Name, admitted, err, ns)
			}
		}
	}
}

// What a CAPA tenant is made of passes CAPA's own webhooks, which do not
// run in the test's apiserver: each object is defaulted and validated as
// CAPA's admission would, and defaulting keeps every field the plugin
// set (so that a re-run finds the stored object covers what it applies).
func TestObjectsPassCAPAWebhooks(t *testing.T) {
	ctx := context.Background()
	type webhook interface {
		Default(context.Context, runtime.Object) error
		ValidateCreate(context.Context, runtime.Object) (admission.Warnings, error)
	}
	webhooks := map[string]webhook{
		"AWSManagedControlPlane": &cpwebhooks.AWSManagedControlPlane{},
		"AWSClusterRoleIdentity": &infrawebhooks.AWSClusterRoleIdentity{},
		"AWSManagedMachinePool":  &expwebhooks.AWSManagedMachinePool{},
	}
	checked := map[string]bool{}
	for _, s := range specs {
		objs, err := capa.Objects(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range objs {
			kind := obj.GetObjectKind().GroupVersionKind().Kind
			w := webhooks[kind]
			if w == nil {
				continue
			}
			before, err := capa.Unstructured([]runtime.Object{obj.DeepCopyObject()})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Default(ctx, obj); err != nil {
				t.Errorf("%s %s: CAPA's defaulting: %v", kind, s.Tenant, err)
			}
			if _, err := w.ValidateCreate(ctx, obj); err != nil {
				t.Errorf("%s %s: CAPA's validation: %v", kind, s.Tenant, err)
			}
			after, err := capa.Unstructured([]runtime.Object{obj})
			if err != nil {
				t.Fatal(err)
			}
			if !covers(after[0].Object, before[0].Object) {
				t.Errorf("%s %s: CAPA's defaulting changed what the plugin set:\n%v\n%v", kind, s.Tenant, before[0].Object, after[0].Object)
			}
			checked[kind] = true
		}
	}
	if len(checked) != len(webhooks) {
		t.Errorf("checked %v, want every kind of %v", checked, webhooks)
	}
}

// covers reports whether have holds everything want says: each field of
// want in have with the same value (maps key by key, lists element by
// element).
func covers(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !covers(h[k], v) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !covers(h[i], w[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(have, want)
}
