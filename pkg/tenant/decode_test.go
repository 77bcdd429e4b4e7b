package tenant

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	good := `{"apiVersion": "tenancy.kubectl-tenant.io/v1alpha1", "kind": "Tenant", "metadata": {"name": "acme"}, "spec": {"cluster": {"context": "dev"}, "namespaces": ["acme"]}}`
	if got, err := Decode([]byte(good)); err != nil || got.Name != "acme" || got.Spec.Namespaces[0] != "acme" {
		t.Fatalf("Decode of a good document: %+v, %v", got, err)
	}
	for name, tc := range map[string]struct{ doc, want string }{
		"an unknown field":  {strings.Replace(good, `"namespaces"`, `"namespace": "x", "namespaces"`, 1), `unknown field "spec.namespace"`},
		"a field twice":     {strings.Replace(good, `"kind": "Tenant"`, `"kind": "Tenant", "kind": "Tenant"`, 1), `duplicate field "kind"`},
		"another kind":      {strings.Replace(good, `"kind": "Tenant"`, `"kind": "Namespace"`, 1), "is not a tenant"},
		"another version":   {strings.Replace(good, "v1alpha1", "v1", 1), "is not a tenant"},
		"not a JSON object": {`[]`, "cannot unmarshal"},
	} {
		if _, err := Decode([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
}
