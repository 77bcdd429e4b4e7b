package workloadrole

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

func eksTenant() *tenant.Tenant {
	t := tenant.New("acme")
	t.Spec.Namespaces = []string{"acme"}
	t.Spec.AWS = &tenant.AWS{Region: "eu-west-1", RoleARNs: []string{"arn:aws:iam::444455556666:role/kubectl-tenant"}}
	t.Spec.Cluster.EKS = &tenant.EKSCluster{Name: "prod"}
	return t
}

// What a workload role and an add-on default to, and which roles the
// plugin deletes: the rules every path (command, apply, delete) shares.
func TestResolvedRoles(t *testing.T) {
	x := eksTenant()
	w := tenant.WorkloadRole{Namespace: "acme", ServiceAccount: "app", PolicyARNs: []string{"arn:aws:iam::aws:policy/P"}}.Resolved(x)
	if w.Via != tenant.ViaPodIdentity || w.RoleName != "kubectl-tenant-acme-acme-app" {
		t.Errorf("an EKS tenant's workload role resolves to %+v", w)
	}
	capa := eksTenant()
	capa.Spec.Cluster.CAPA = &tenant.CAPACluster{Namespace: "acme", Name: "acme"}
	if got := ResolveAddon(capa, tenant.Addon{Name: "aws-ebs-csi-driver"}); got.Via != tenant.ViaIRSA || got.RoleName != "kubectl-tenant-acme-kube-system-ebs-csi-controller-sa" {
		t.Errorf("a CAPA tenant's EBS CSI driver resolves to %+v", got)
	}
	if got := ResolveAddon(x, tenant.Addon{Name: "coredns"}); got.Via != "" || got.RoleName != "" {
		t.Errorf("an add-on without a role resolves to %+v", got)
	}
	x.Spec.WorkloadRoles = []tenant.WorkloadRole{w, {Namespace: "acme", ServiceAccount: "ci", RoleARN: "arn:aws:iam::444455556666:role/theirs"}}
	x.Spec.Addons = []tenant.Addon{{Name: "aws-ebs-csi-driver", RoleCreated: true}, {Name: "coredns"}}
	var keys []string
	for _, r := range All(x) {
		keys = append(keys, r.Key())
	}
	if want := []string{"acme:app", "acme:ci", "kube-system:ebs-csi-controller-sa"}; !slices.Equal(keys, want) {
		t.Errorf("All = %v, want %v", keys, want)
	}
	for _, tc := range []struct {
		w    tenant.WorkloadRole
		want []string
	}{
		{tenant.WorkloadRole{RoleName: "r", RoleCreated: true}, []string{"r"}},
		{tenant.WorkloadRole{RoleName: "r"}, nil},                                       // the record does not say the plugin made it
		{tenant.WorkloadRole{RoleARN: "arn:aws:iam::1:role/r", RoleCreated: true}, nil}, // an existing role is never the plugin's
	} {
		if got := deleted(tc.w); !slices.Equal(got, tc.want) {
			t.Errorf("deleted(%+v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

// The client dry run's plan, from the record alone: the trust the
// binding gives, the calls, the annotation for IRSA, and the issuer's ID
// named as unknown.
func TestClientPlan(t *testing.T) {
	x := eksTenant()
	pod := ClientPlan(x, tenant.WorkloadRole{Namespace: "acme", ServiceAccount: "app", PolicyARNs: []string{"arn:aws:iam::aws:policy/P"}}.Resolved(x))
	b := workload.Binding{Via: workload.PodIdentity, Account: "444455556666", ClusterARN: "arn:aws:eks:eu-west-1:444455556666:cluster/prod", Namespace: "acme", ServiceAccount: "app"}
	if !reflect.DeepEqual(pod.Role.TrustPolicy, b.Trust()) || pod.Role.ARN != "arn:aws:iam::444455556666:role/kubectl-tenant-acme-acme-app" ||
		len(pod.Objects) != 0 || len(pod.Unknown) != 0 || !strings.HasPrefix(pod.Calls[len(pod.Calls)-1], "CreatePodIdentityAssociation acme/app ") {
		t.Errorf("the Pod Identity plan: %+v", pod)
	}
	irsa := ClientPlan(x, tenant.WorkloadRole{Namespace: "acme", ServiceAccount: "ci", Via: tenant.ViaIRSA, RoleARN: "arn:aws:iam::444455556666:role/theirs"}.Resolved(x))
	if len(irsa.Objects) != 1 || irsa.Objects[0].Annotations[RoleAnnotation] != "arn:aws:iam::444455556666:role/theirs" || len(irsa.Unknown) != 1 ||
		!irsa.Role.Existing || slices.ContainsFunc(irsa.Calls, func(c string) bool { return strings.HasPrefix(c, "CreateRole") }) {
		t.Errorf("the IRSA plan of an existing role: %+v", irsa)
	}
	addon := ClientAddonPlan(x, ResolveAddon(x, tenant.Addon{Name: "aws-ebs-csi-driver", Via: tenant.ViaIRSA}))
	if len(addon.Objects) != 0 || !strings.HasPrefix(addon.Calls[len(addon.Calls)-1], "CreateAddon aws-ebs-csi-driver with serviceAccountRoleArn ") {
		t.Errorf("the add-on's plan: %+v", addon)
	}
}
