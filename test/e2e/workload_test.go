package e2e

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// awsWrites are the EKS and IAM calls among calls that change something.
func awsWrites(calls []string) []string {
	return append(eksWrites(calls), slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasPrefix(c, "iam ") })...)
}

// A workload role for one of the tenant's ServiceAccounts, through Pod
// Identity and through IRSA, on the local EKS (which stands in for Pod
// Identity, add-ons and per-cluster issuers, as its doc comment says).
// The trust each role gets is read back from IAM and checked: it admits
// the ServiceAccount's call and no other (the test evaluates it, as
// moto's STS does not); for IRSA against a real token from the cluster.
// A ServiceAccount outside the tenant's namespaces is refused before any
// AWS call, a server dry run writes nothing, and a re-run writes nothing.
func TestWorkloadRole(t *testing.T) {
	ctx := context.Background()
	local, admin := startLocalEKS(t)
	admin.tenant("create", "acme", "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", acmeRole, "--external-id", "acme-x1")
	cfg, err := aws.NewIdentity("", "us-east-1", "check", 0, []string{hopRole, acmeRole}, "acme-x1").Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	roleArgs := func(sa string, more ...string) []string {
		return append([]string{"workload-role", "acme", "--serviceaccount", sa, "--policy-arn", s3}, more...)
	}
	trustOf := func(name string) workload.Policy {
		t.Helper()
		r, err := aws.ReadRole(ctx, cfg, name)
		if err != nil || r == nil {
			t.Fatalf("role %s: %v", name, err)
		}
		p, err := workload.ParsePolicy(r.TrustPolicy)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Refused before any AWS call.
	before := local.Front.Counts()
	for args, want := range map[string]string{
		"globex:app": `--serviceaccount globex:app: namespace globex is not tenant "acme"'s (its namespaces: acme)`,
		"app":        `--serviceaccount "app": name the ServiceAccount as NAMESPACE:NAME`,
	} {
		if got := admin.tenantFails(roleArgs(args)...); !strings.Contains(got, want) {
			t.Errorf("workload-role --serviceaccount %s: %s\nwant %q", args, got, want)
		}
	}
	if !maps.Equal(before, local.Front.Counts()) {
		t.Errorf("refused commands called AWS: %v, then %v", before, local.Front.Counts())
	}

	// Pod Identity: the server dry run says what it would do and writes
	// nothing; then the role, the agent add-on and the association.
	calls := len(local.Front.Calls())
	dry := admin.tenant(roleArgs("acme:app", "--dry-run=server")...)
	for _, want := range []string{"would call CreateRole kubectl-tenant-acme-acme-app", "would call CreateAddon eks-pod-identity-agent", "would call CreatePodIdentityAssociation acme/app"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("the server dry run does not say %q:\n%s", want, dry.stderr)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the server dry run wrote %v", w)
	}
	r := admin.tenant(roleArgs("acme:app")...)
	roleARN := strings.TrimSpace(r.stdout)
	if roleARN != "arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-app" || !strings.Contains(r.stderr, "eks-pod-identity-agent add-on, which EKS cluster acme lacks: it is installed") {
		t.Errorf("workload-role acme:app printed %q\n%s", r.stdout, r.stderr)
	}
	app := workload.Binding{Via: workload.PodIdentity, Account: "222222222222", ClusterARN: "arn:aws:eks:us-east-1:222222222222:cluster/acme", Namespace: "acme", ServiceAccount: "app"}
	trust := trustOf("kubectl-tenant-acme-acme-app")
	if f := app.Check(trust); len(f) > 0 || !app.AllowedBy(trust) {
		t.Errorf("the Pod Identity role's trust: findings %v, admits its ServiceAccount: %v\n%s", f, app.AllowedBy(trust), trust)
	}
	for _, other := range []workload.Binding{{Namespace: "acme", ServiceAccount: "other"}, {Namespace: "globex", ServiceAccount: "app"}} {
		o := app
		o.Namespace, o.ServiceAccount = other.Namespace, other.ServiceAccount
		if trust.Allows(o.Requests()[0]) {
			t.Errorf("the Pod Identity role admits %s:%s", o.Namespace, o.ServiceAccount)
		}
	}
	client := eks.NewFromConfig(cfg)
	list, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String("acme"), Namespace: awssdk.String("acme")})
	if err != nil || len(list.Associations) != 1 || awssdk.ToString(list.Associations[0].ServiceAccount) != "app" {
		t.Fatalf("acme's associations: %+v, %v", list, err)
	}
	if a, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: awssdk.String("acme"),
		AssociationId: list.Associations[0].AssociationId}); err != nil || awssdk.ToString(a.Association.RoleArn) != roleARN {
		t.Errorf("acme:app's association: %+v, %v; want role %s", a, err, roleARN)
	}

	// IRSA: the cluster's OIDC provider, the role, the annotation; a real
	// token of the ServiceAccount satisfies the trust, another's does not.
	r = admin.tenant(roleArgs("acme:ci", "--via", "irsa")...)
	for _, want := range []string{"CreateOpenIDConnectProvider https://oidc.eks.us-east-1.amazonaws.com/id/", "CreateRole kubectl-tenant-acme-acme-ci",
		"ServiceAccount acme/ci annotated eks.amazonaws.com/role-arn=arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-ci"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("workload-role --via irsa does not say %q:\n%s", want, r.stderr)
		}
	}
	c, err := aws.DescribeCluster(ctx, cfg, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ci := workload.Binding{Via: workload.IRSA, Account: "222222222222", Issuer: c.Issuer, Namespace: "acme", ServiceAccount: "ci"}
	trust = trustOf("kubectl-tenant-acme-acme-ci")
	if f := ci.Check(trust); len(f) > 0 {
		t.Errorf("the IRSA role's trust: %v\n%s", f, trust)
	}
	admin.kubectl("--context", "acme", "create", "serviceaccount", "app", "-n", "acme")
	for sa, want := range map[string]bool{"ci": true, "app": false} {
		token := strings.TrimSpace(admin.kubectl("--context", "acme", "create", "token", sa, "-n", "acme", "--audience", workload.Audience))
		call, err := workload.WebIdentityRequest("222222222222", token)
		if err != nil {
			t.Fatal(err)
		}
		if got := trust.Allows(call); got != want {
			t.Errorf("a token of ServiceAccount %s admitted: %v, want %v", sa, got, want)
		}
	}

	// What is not this binding's is never changed: the cluster's role,
	// another ServiceAccount's workload role, a ServiceAccount annotated
	// with another role.
	admin.kubectl("--context", "acme", "annotate", "serviceaccount", "app", "-n", "acme", "eks.amazonaws.com/role-arn=arn:aws:iam::222222222222:role/theirs")
	calls = len(local.Front.Calls())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{roleArgs("acme:x", "--role-name", "kubectl-tenant-acme-cluster"), "IAM role kubectl-tenant-acme-cluster is not a workload role"},
		{roleArgs("acme:x", "--role-name", "kubectl-tenant-acme-acme-app"), "IAM role kubectl-tenant-acme-acme-app is the workload role of pod-identity arn:aws:eks:us-east-1:222222222222:cluster/acme acme:app, not of pod-identity arn:aws:eks:us-east-1:222222222222:cluster/acme acme:x"},
		{roleArgs("acme:app", "--via", "irsa", "--role-name", "acme-app-irsa"), "ServiceAccount acme/app: it is annotated eks.amazonaws.com/role-arn=arn:aws:iam::222222222222:role/theirs, another role"},
		{roleArgs("acme:app", "--role-name", "not/a/name"), `--role-name "not/a/name": an IAM role name has 1 to 64 letters`},
	} {
		if got := admin.tenantFails(tc.args...); !strings.Contains(got, tc.want) {
			t.Errorf("workload-role %s: %s\nwant %q", strings.Join(tc.args[1:], " "), got, tc.want)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("refused commands wrote %v", w)
	}

	// Running each again writes nothing.
	calls = len(local.Front.Calls())
	for _, args := range [][]string{roleArgs("acme:app"), roleArgs("acme:ci", "--via", "irsa")} {
		if r := admin.tenant(args...); !strings.Contains(r.stderr, "nothing to change") {
			t.Errorf("%s again says:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("re-runs wrote %v", w)
	}
}
