package manifests_test

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"sigs.k8s.io/cluster-api-provider-aws/v2/cmd/clusterawsadm/cloudformation/bootstrap"
	iamv1 "sigs.k8s.io/cluster-api-provider-aws/v2/iam/api/v1beta1"

	"github.com/kubectl-tenant/kubectl-tenant/manifests"
)

var update = flag.Bool("update", false, "rewrite iam/capa-controller-permissions.json from CAPA's clusterawsadm")

// The permissions bootstrap iam --for capa gives a tenant account's role
// are CAPA's own: what clusterawsadm's default template (EKS on) gives
// its controllers, the general statements and the EKS ones in one
// document. Run with -update to take them again from a new CAPA.
func TestCAPAControllerPermissionsAreCAPAs(t *testing.T) {
	tpl := bootstrap.NewTemplate()
	want := iamv1.PolicyDocument{Version: iamv1.CurrentVersion,
		Statement: append(tpl.ControllersPolicy().Statement, tpl.ControllersPolicyEKS().Statement...)}
	if *update {
		data, err := json.MarshalIndent(want, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("iam/capa-controller-permissions.json", append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got, wantJSON any
	if err := json.Unmarshal([]byte(manifests.CAPAControllerPermissions), &got); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &wantJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantJSON) {
		t.Errorf("iam/capa-controller-permissions.json is not what CAPA's clusterawsadm gives its controllers; run go test ./manifests -update")
	}
	for _, s := range want.Statement {
		for _, a := range s.Action {
			if a == "*" {
				t.Errorf("a statement allows every action: %+v", s)
			}
		}
	}
	if len(data) > 10240 {
		t.Errorf("the permissions are %d characters; IAM takes at most 10,240 in a role's inline policies", len(data))
	}
}
