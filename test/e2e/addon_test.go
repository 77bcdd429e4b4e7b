package e2e

import (
	"context"
	"reflect"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

// The EBS CSI driver as an add-on of a tenant's cluster, on the local
// EKS (which stands in for add-ons and Pod Identity, as its doc comment
// says): its role trusts the driver's ServiceAccount alone, through the
// add-on's Pod Identity association or IRSA; describe and --list show
// it; a re-run and the dry runs write nothing; --delete removes the
// add-on and its role, and a role or add-on the plugin did not make
// survives every delete.
func TestAddon(t *testing.T) {
	ctx := context.Background()
	local, admin, cfg, c := startAcme(t)
	const role = "kubectl-tenant-acme-kube-system-ebs-csi-controller-sa"
	const roleARN = "arn:aws:iam::222222222222:role/" + role
	const policy = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
	driver := workload.Binding{Via: workload.PodIdentity, Account: "222222222222", ClusterARN: c.ARN, Namespace: "kube-system", ServiceAccount: "ebs-csi-controller-sa"}

	// The client dry run prints the plan from the record alone, with no
	// AWS call; the server dry run says what it would do and writes
	// nothing.
	calls := len(local.Front.Calls())
	var plan workloadrole.Plan
	if err := yaml.UnmarshalStrict([]byte(admin.tenant("addon", "acme", "aws-ebs-csi-driver", "--dry-run=client", "-o", "yaml").stdout), &plan); err != nil {
		t.Fatal(err)
	}
	if plan.Addon != "aws-ebs-csi-driver" || plan.ServiceAccount != "kube-system:ebs-csi-controller-sa" || !reflect.DeepEqual(plan.Role.TrustPolicy, driver.Trust()) ||
		plan.Calls[len(plan.Calls)-1] != "CreateAddon aws-ebs-csi-driver with its Pod Identity association for kube-system:ebs-csi-controller-sa "+roleARN+" (unless the cluster has it)" {
		t.Errorf("addon's client dry run plan: %+v", plan)
	}
	if n := len(local.Front.Calls()); n != calls {
		t.Errorf("addon's client dry run called AWS: %v", local.Front.Calls()[calls:])
	}
	dry := admin.tenant("addon", "acme", "aws-ebs-csi-driver", "--dry-run=server")
	for _, want := range []string{"would call CreateRole " + role, "would call AttachRolePolicy " + role + " " + policy, "would call CreateAddon eks-pod-identity-agent", "would call CreateAddon aws-ebs-csi-driver"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("addon --dry-run=server does not say %q:\n%s", want, dry.stderr)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("addon's server dry run wrote %v", w)
	}

	// The add-on, waited for, with its role.
	r := admin.tenant("addon", "acme", "aws-ebs-csi-driver")
	if !strings.Contains(r.stderr, "add-on aws-ebs-csi-driver is CREATING") || !strings.Contains(r.stderr, "add-on aws-ebs-csi-driver is ACTIVE") || strings.TrimSpace(r.stdout) != "add-on aws-ebs-csi-driver ready" {
		t.Errorf("addon acme aws-ebs-csi-driver:\n%s%s", r.stdout, r.stderr)
	}
	got, err := aws.ReadWorkloadRole(ctx, cfg, role)
	if err != nil || got == nil || len(driver.Check(got.Trust)) > 0 || !driver.AllowedBy(got.Trust) || len(got.PolicyARNs) != 1 || got.PolicyARNs[0] != policy {
		t.Errorf("the driver's role: %+v, %v", got, err)
	}
	a, err := aws.ReadAddon(ctx, cfg, "acme", "aws-ebs-csi-driver")
	if err != nil || a == nil || a.Status != "ACTIVE" || len(a.PodIdentityRoleARNs) != 1 || a.PodIdentityRoleARNs[0] != roleARN {
		t.Errorf("the add-on: %+v, %v", a, err)
	}
	if d := admin.tenant("describe", "acme").stdout; !strings.Contains(d, "v1.44.0-eksbuild.1, ACTIVE, role "+roleARN+" (pod-identity), made by kubectl-tenant") ||
		!strings.Contains(d, "eks-pod-identity-agent") {
		t.Errorf("describe does not show the add-ons:\n%s", d)
	}
	if l := admin.tenant("addon", "acme", "--list").stdout; !strings.Contains(l, "aws-ebs-csi-driver       v1.44.0-eksbuild.1   ACTIVE   pod-identity   "+roleARN+"   yes") {
		t.Errorf("addon --list:\n%s", l)
	}
	if rec := tenantRecord(t, admin, "acme"); len(rec.Spec.Addons) != 1 || !rec.Spec.Addons[0].Created || !rec.Spec.Addons[0].RoleCreated || rec.Spec.Addons[0].RoleName != role {
		t.Errorf("the record's add-ons: %+v", rec.Spec.Addons)
	}

	// Again: nothing written. Refusals: another role name for the
	// recorded add-on, a role the plugin did not make, an add-on the
	// record does not have.
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("platform-efs"), AssumeRolePolicyDocument: awssdk.String(driver.Trust().String())}); err != nil {
		t.Fatal(err)
	}
	calls = len(local.Front.Calls())
	if r := admin.tenant("addon", "acme", "aws-ebs-csi-driver"); !strings.Contains(r.stderr, "nothing to change") {
		t.Errorf("addon again:\n%s", r.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"aws-ebs-csi-driver", "--via", "irsa"}, `add-on aws-ebs-csi-driver is recorded with version "", pod-identity, role "` + role + `": the plugin does not update add-ons; delete it (--delete) and make it again`},
		{[]string{"aws-efs-csi-driver", "--role-name", "platform-efs"}, "IAM role platform-efs was not created by kubectl-tenant"},
		{[]string{"eks-pod-identity-agent", "--delete"}, `add-on eks-pod-identity-agent: tenant "acme" records no such add-on (it has: aws-ebs-csi-driver)`},
		{[]string{"aws-ebs-csi-driver", "--version", "1.2"}, `--version: Invalid value: "1.2": an EKS add-on version`},
	} {
		if got := admin.tenantFails(append([]string{"addon", "acme"}, tc.args...)...); !strings.Contains(got, tc.want) {
			t.Errorf("addon acme %s: %s\nwant %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the re-run and the refusals wrote %v", w)
	}

	// --delete: its server dry run writes nothing; then the add-on (and
	// its association) and its role go; what the plugin did not make
	// stays.
	calls = len(local.Front.Calls())
	dry = admin.tenant("addon", "acme", "aws-ebs-csi-driver", "--delete", "--dry-run=server")
	for _, want := range []string{"would call DeleteAddon aws-ebs-csi-driver", "would call DeleteRole " + role} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("addon --delete --dry-run=server does not say %q:\n%s", want, dry.stderr)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the delete's server dry run wrote %v", w)
	}
	admin.tenant("addon", "acme", "aws-ebs-csi-driver", "--delete")
	if a, err := aws.ReadAddon(ctx, cfg, "acme", "aws-ebs-csi-driver"); err != nil || a != nil {
		t.Errorf("the deleted add-on: %+v, %v", a, err)
	}
	for name, want := range map[string]bool{role: false, "platform-efs": true} {
		if r, err := aws.ReadRole(ctx, cfg, name); err != nil || (r != nil) != want {
			t.Errorf("after the add-on's delete, role %s: %+v, %v; want it there: %v", name, r, err, want)
		}
	}
	if a, err := aws.ReadAddon(ctx, cfg, "acme", "eks-pod-identity-agent"); err != nil || a == nil {
		t.Errorf("the Pod Identity agent, which no add-on delete made: %+v, %v", a, err)
	}

	// IRSA: the add-on's serviceAccountRoleArn; the tenant's delete
	// removes the add-on, its role and the OIDC provider it made.
	admin.tenant("addon", "acme", "aws-ebs-csi-driver", "--via", "irsa")
	irsa := workload.Binding{Via: workload.IRSA, Account: "222222222222", Issuer: c.Issuer, Namespace: "kube-system", ServiceAccount: "ebs-csi-controller-sa"}
	if a, err := aws.ReadAddon(ctx, cfg, "acme", "aws-ebs-csi-driver"); err != nil || a == nil || a.ServiceAccountRoleARN != roleARN {
		t.Errorf("the IRSA add-on: %+v, %v", a, err)
	}
	if got, err := aws.ReadWorkloadRole(ctx, cfg, role); err != nil || got == nil || len(irsa.Check(got.Trust)) > 0 {
		t.Errorf("the IRSA driver's role: %+v, %v", got, err)
	}
	admin.tenant("delete", "acme", "--delete-cluster")
	if r, err := aws.ReadRole(ctx, cfg, role); err != nil || r != nil {
		t.Errorf("the driver's role after the tenant's delete: %+v, %v", r, err)
	}
	if _, err := iam.NewFromConfig(cfg).GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: awssdk.String(irsa.ProviderARN())}); err == nil {
		t.Errorf("the OIDC provider %s is left after the tenant's delete", irsa.ProviderARN())
	}

	// A cluster deleted behind the plugin's back: the Pod Identity role
	// (whose tag names the recorded cluster ARN) goes; the IRSA role,
	// whose issuer went with the cluster, is left to be deleted by hand,
	// and the tenant is kept until it is.
	admin.tenant("create", "initech", "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", acmeRole, "--external-id", "acme-x1")
	admin.tenant("workload-role", "initech", "--serviceaccount", "initech:app", "--policy-arn", policy)
	admin.tenant("workload-role", "initech", "--serviceaccount", "initech:ci", "--policy-arn", policy, "--via", "irsa")
	if _, err := eks.NewFromConfig(cfg).DeleteCluster(ctx, &eks.DeleteClusterInput{Name: awssdk.String("initech")}); err != nil {
		t.Fatal(err)
	}
	refused := admin.tenantFails("delete", "initech", "--delete-cluster")
	if !strings.Contains(refused, "IAM role kubectl-tenant-initech-initech-ci, the IRSA role of initech:ci, is left: EKS cluster initech is gone") {
		t.Errorf("deleting a tenant whose cluster is gone: %s", refused)
	}
	if r, err := aws.ReadRole(ctx, cfg, "kubectl-tenant-initech-initech-app"); err != nil || r != nil {
		t.Errorf("the Pod Identity role of a gone cluster: %+v, %v", r, err)
	}
	client := iam.NewFromConfig(cfg)
	if _, err := client.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: awssdk.String("kubectl-tenant-initech-initech-ci"), PolicyArn: awssdk.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: awssdk.String("kubectl-tenant-initech-initech-ci")}); err != nil {
		t.Fatal(err)
	}
	if r := admin.tenant("delete", "initech", "--delete-cluster"); !strings.Contains(r.stderr, "kept: the IAM OIDC provider the plugin made for EKS cluster initech: the cluster is gone") {
		t.Errorf("deleting a tenant whose cluster is gone, again:\n%s", r.stderr)
	}
	if r, err := aws.ReadRole(ctx, cfg, "platform-efs"); err != nil || r == nil {
		t.Errorf("the role the plugin did not make, after the tenant's delete: %+v, %v", r, err)
	}
}
