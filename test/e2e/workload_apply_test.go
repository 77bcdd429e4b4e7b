package e2e

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// Workload roles declared in a Tenant document: apply -f makes what
// workload-role makes (the roles' trust read back from IAM is the one
// the binding gives, the association and the annotation are there), the
// record says what the plugin made, the condition is true; its dry runs
// and every re-run write nothing; a dropped role is refused without
// --prune and removed with it.
func TestWorkloadRoleApply(t *testing.T) {
	ctx := context.Background()
	local, admin, cfg, c := startAcme(t)
	const s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	doc := tenantRecord(t, admin, "acme")
	doc.Status = tenant.Status{}
	doc.Spec.WorkloadRoles = []tenant.WorkloadRole{
		{Namespace: "acme", ServiceAccount: "app", PolicyARNs: []string{s3}},
		{Namespace: "acme", ServiceAccount: "ci", Via: "irsa", PolicyARNs: []string{s3}},
	}
	doc.Spec.Addons = []tenant.Addon{{Name: "aws-ebs-csi-driver"}}
	file := filepath.Join(t.TempDir(), "acme.yaml")
	write := func(d *tenant.Tenant) {
		t.Helper()
		data, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, file, string(data))
	}
	write(doc)

	// The dry runs say what they would do and write nothing.
	registryBefore := admin.tenant("get", "acme", "-o", "yaml").stdout
	calls := len(local.Front.Calls())
	client := admin.tenant("apply", "-f", file, "--dry-run=client").stdout
	server := admin.tenant("apply", "-f", file, "--dry-run=server").stdout
	for out, wants := range map[string][]string{
		client: {"would make the workload role of acme:app (role kubectl-tenant-acme-acme-app, pod-identity) unless it is in place (--dry-run=server asks AWS)"},
		server: {"would call CreateRole kubectl-tenant-acme-acme-app", "would call CreatePodIdentityAssociation acme/app", "would call CreateOpenIDConnectProvider " + c.Issuer, "would call CreateRole kubectl-tenant-acme-acme-ci",
			"would call CreateAddon aws-ebs-csi-driver"},
	} {
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("apply's dry run does not say %q:\n%s", want, out)
			}
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 || admin.tenant("get", "acme", "-o", "yaml").stdout != registryBefore {
		t.Errorf("apply's dry runs wrote %v, or the record", w)
	}

	// The apply makes both, as workload-role does.
	out := admin.tenant("apply", "-f", file)
	for _, want := range []string{"tenant.tenancy.kubectl-tenant.io/acme configured", "WorkloadRole acme/app created", "WorkloadRole acme/ci created", "add-on aws-ebs-csi-driver is ACTIVE", "Addon aws-ebs-csi-driver created"} {
		if !strings.Contains(out.stdout+out.stderr, want) {
			t.Errorf("apply does not say %q:\n%s%s", want, out.stdout, out.stderr)
		}
	}
	for _, b := range []workload.Binding{
		{Via: workload.PodIdentity, Account: "222222222222", ClusterARN: c.ARN, Namespace: "acme", ServiceAccount: "app"},
		{Via: workload.IRSA, Account: "222222222222", Issuer: c.Issuer, Namespace: "acme", ServiceAccount: "ci"},
	} {
		name := "kubectl-tenant-acme-acme-" + b.ServiceAccount
		r, err := aws.ReadWorkloadRole(ctx, cfg, name)
		if err != nil || r == nil || !reflect.DeepEqual(r.Trust, b.Trust()) || !reflect.DeepEqual(r.PolicyARNs, []string{s3}) || r.Tags[aws.WorkloadTag] != b.ID() {
			t.Errorf("role %s made by apply: %+v, %v; want the trust %s and policy %s", name, r, err, b.Trust(), s3)
		}
	}
	list, err := eks.NewFromConfig(cfg).ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String("acme"), Namespace: awssdk.String("acme")})
	if err != nil || len(list.Associations) != 1 || awssdk.ToString(list.Associations[0].ServiceAccount) != "app" {
		t.Errorf("associations after apply: %+v, %v", list, err)
	}
	if got := admin.kubectl("--context", "acme", "get", "serviceaccount", "ci", "-n", "acme", "-o", "jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/role-arn}"); got != "arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-ci" {
		t.Errorf("acme/ci's annotation after apply: %q", got)
	}
	rec := tenantRecord(t, admin, "acme")
	if w := rec.Spec.WorkloadRoles; len(w) != 2 || !w[0].RoleCreated || !w[1].RoleCreated || w[0].Via != "pod-identity" || !rec.Spec.Cluster.EKS.OIDCProviderCreated {
		t.Errorf("the record after apply: %+v, OIDC provider made: %v", w, rec.Spec.Cluster.EKS.OIDCProviderCreated)
	}
	if a := rec.Spec.Addons; len(a) != 1 || !a[0].Created || !a[0].RoleCreated || a[0].RoleName != "kubectl-tenant-acme-kube-system-ebs-csi-controller-sa" {
		t.Errorf("the record's add-ons after apply: %+v", a)
	}
	if a, err := aws.ReadAddon(ctx, cfg, "acme", "aws-ebs-csi-driver"); err != nil || a == nil || a.Status != "ACTIVE" ||
		len(a.PodIdentityRoleARNs) != 1 || a.PodIdentityRoleARNs[0] != "arn:aws:iam::222222222222:role/kubectl-tenant-acme-kube-system-ebs-csi-controller-sa" {
		t.Errorf("the add-on made by apply: %+v, %v", a, err)
	}
	if cond := meta.FindStatusCondition(rec.Status.Conditions, tenant.ConditionWorkloadRolesReady); cond == nil || cond.Status != "True" || cond.Message != "2 workload role(s) and 1 add-on(s) in place" {
		t.Errorf("the WorkloadRolesReady condition: %+v", cond)
	}

	// Re-runs, of the document and of the record's round trip, write
	// nothing.
	calls = len(local.Front.Calls())
	if out := admin.tenant("apply", "-f", file).stdout; !strings.Contains(out, "tenant.tenancy.kubectl-tenant.io/acme unchanged") {
		t.Errorf("apply again says %s", out)
	}
	recordFile := filepath.Join(t.TempDir(), "record.yaml")
	writeFile(t, recordFile, admin.tenant("get", "acme", "-o", "yaml").stdout)
	if out := admin.tenant("apply", "-f", recordFile).stdout; !strings.Contains(out, "tenant.tenancy.kubectl-tenant.io/acme unchanged") {
		t.Errorf("apply of the record says %s", out)
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("re-applies wrote %v", w)
	}

	// Dropping a role or an add-on is refused without --prune, changing
	// nothing, and removes it with --prune.
	doc.Spec.WorkloadRoles = doc.Spec.WorkloadRoles[:1]
	doc.Spec.Addons = nil
	write(doc)
	calls = len(local.Front.Calls())
	if got := admin.tenantFails("apply", "-f", file); !strings.Contains(got, `spec.workloadRoles: the document drops the workload role of acme:ci (role kubectl-tenant-acme-acme-ci), which tenant "acme" has in AWS: apply with --prune to remove it`) {
		t.Errorf("apply of a document that drops a workload role: %s", got)
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the refused apply wrote %v", w)
	}
	out = admin.tenant("apply", "-f", file, "--prune")
	if a, err := aws.ReadAddon(ctx, cfg, "acme", "aws-ebs-csi-driver"); err != nil || a != nil {
		t.Errorf("the pruned add-on: %+v, %v", a, err)
	}
	if r, err := aws.ReadRole(ctx, cfg, "kubectl-tenant-acme-kube-system-ebs-csi-controller-sa"); err != nil || r != nil {
		t.Errorf("the pruned add-on's role: %+v, %v", r, err)
	}
	if !strings.Contains(out.stdout+out.stderr, "Addon aws-ebs-csi-driver deleted") || !strings.Contains(out.stdout+out.stderr, "WorkloadRole acme/ci deleted") {
		t.Errorf("apply --prune does not say it removed acme:ci's role:\n%s%s", out.stdout, out.stderr)
	}
	if r, err := aws.ReadRole(ctx, cfg, "kubectl-tenant-acme-acme-ci"); err != nil || r != nil {
		t.Errorf("the pruned role: %+v, %v", r, err)
	}
	if got := admin.kubectl("--context", "acme", "get", "serviceaccount", "ci", "-n", "acme", "-o", "jsonpath={.metadata.annotations}"); strings.Contains(got, "role-arn") {
		t.Errorf("acme/ci keeps its annotation after the prune: %s", got)
	}
	if rec := tenantRecord(t, admin, "acme"); len(rec.Spec.WorkloadRoles) != 1 || rec.Spec.WorkloadRoles[0].Key() != "acme:app" || len(rec.Spec.Addons) != 0 {
		t.Errorf("the record after the prune: %+v, %+v", rec.Spec.WorkloadRoles, rec.Spec.Addons)
	}
	// The provider stays: only workload-role --delete-oidc-provider or
	// the tenant's delete removes it.
	if _, err := iam.NewFromConfig(cfg).GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: awssdk.String(workload.Binding{Account: "222222222222", Issuer: c.Issuer}.ProviderARN())}); err != nil {
		t.Errorf("the OIDC provider after the prune: %v", err)
	}

	// A prune that cannot reach AWS stops the apply: the record keeps
	// the role it could not remove.
	broken := doc.DeepCopy()
	broken.Spec.WorkloadRoles = nil
	write(broken)
	if got := admin.with("AWS_ENDPOINT_URL_IAM=http://127.0.0.1:1", "AWS_ENDPOINT_URL_EKS=http://127.0.0.1:1").tenantFails("apply", "-f", file, "--prune"); !strings.Contains(got, "(the record keeps it)") {
		t.Errorf("a prune without AWS: %s", got)
	}
	if w := tenantRecord(t, admin, "acme").Spec.WorkloadRoles; len(w) != 1 || w[0].Key() != "acme:app" {
		t.Errorf("the record after a prune that failed: %+v", w)
	}

	// The IRSA annotation leaves the labels grant gave the ServiceAccount
	// (another field manager's), and so does its removal.
	admin.tenant("grant", "acme", "--serviceaccount", "web", "--role", "view")
	admin.tenant("workload-role", "acme", "--serviceaccount", "acme:web", "--policy-arn", s3, "--via", "irsa")
	labels := func() string {
		return admin.kubectl("--context", "acme", "get", "serviceaccount", "web", "-n", "acme", "-o", "jsonpath={.metadata.labels}")
	}
	if got := labels(); !strings.Contains(got, `"app.kubernetes.io/managed-by":"kubectl-tenant"`) {
		t.Errorf("acme/web's labels after the annotation: %s", got)
	}
	admin.tenant("workload-role", "acme", "--serviceaccount", "acme:web", "--delete")
	if got := labels(); !strings.Contains(got, `"app.kubernetes.io/managed-by":"kubectl-tenant"`) {
		t.Errorf("acme/web's labels after the annotation's removal: %s", got)
	}

	// A workload role in a namespace that is not the tenant's yet (here
	// kube-system, which apply does not adopt without
	// --adopt-namespaces) is refused as workload-role refuses it, with
	// nothing made in AWS.
	grab := doc.DeepCopy()
	grab.Spec.Namespaces = append(grab.Spec.Namespaces, "kube-system")
	grab.Spec.WorkloadRoles = append(grab.Spec.WorkloadRoles, tenant.WorkloadRole{Namespace: "kube-system", ServiceAccount: "aws-node", PolicyARNs: []string{s3}})
	write(grab)
	calls = len(local.Front.Calls())
	if got := admin.tenantFails("apply", "-f", file); !strings.Contains(got, "kube-system:aws-node: namespace kube-system is not labelled as tenant \"acme\"'s") {
		t.Errorf("apply of a workload role in kube-system: %s", got)
	}
	for _, c := range awsWrites(local.Front.Calls()[calls:]) {
		if strings.Contains(c, "kube-system") || strings.Contains(c, "aws-node") {
			t.Errorf("the refused workload role was written: %s", c)
		}
	}
	if r, err := aws.ReadRole(ctx, cfg, "kubectl-tenant-acme-kube-system-aws-node"); err != nil || r != nil {
		t.Errorf("the refused workload role: %+v, %v", r, err)
	}
}
