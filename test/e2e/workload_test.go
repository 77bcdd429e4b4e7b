package e2e

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// awsWrites are the EKS and IAM calls among calls that change something.
func awsWrites(calls []string) []string {
	return append(eksWrites(calls), slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasPrefix(c, "iam ") })...)
}

// startAcme starts the local EKS with tenant acme on its own EKS cluster,
// made through the two-hop chain, and returns the AWS configuration of
// acme's account (to read back what the plugin made) and the cluster.
func startAcme(t *testing.T) (*testenv.LocalEKS, *user, awssdk.Config, *aws.Cluster) {
	t.Helper()
	local, admin := startLocalEKS(t)
	admin.tenant("create", "acme", "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", acmeRole, "--external-id", "acme-x1")
	cfg, err := aws.NewIdentity("", "us-east-1", "check", 0, []string{hopRole, acmeRole}, "acme-x1").Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := aws.DescribeCluster(context.Background(), cfg, "acme")
	if err != nil {
		t.Fatal(err)
	}
	return local, admin, cfg, c
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
	local, admin, cfg, c := startAcme(t)
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

	// The client dry run prints the plan from the record alone: no AWS
	// call, no record written.
	registryBefore := admin.tenant("get", "acme", "-o", "yaml").stdout
	var plan workloadrole.Plan
	if err := yaml.UnmarshalStrict([]byte(admin.tenant(roleArgs("acme:app", "--dry-run=client", "-o", "yaml")...).stdout), &plan); err != nil {
		t.Fatal(err)
	}
	app := workload.Binding{Via: workload.PodIdentity, Account: "222222222222", ClusterARN: "arn:aws:eks:us-east-1:222222222222:cluster/acme", Namespace: "acme", ServiceAccount: "app"}
	if plan.Kind != "WorkloadRolePlan" || plan.Role.ARN != "arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-app" || !reflect.DeepEqual(plan.Role.TrustPolicy, app.Trust()) ||
		!slices.Contains(plan.Calls, "CreatePodIdentityAssociation acme/app arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-app (unless it exists)") || len(plan.Objects) != 0 {
		t.Errorf("the client dry run's plan: %+v", plan)
	}
	plan = workloadrole.Plan{}
	if err := yaml.UnmarshalStrict([]byte(admin.tenant(roleArgs("acme:ci", "--via", "irsa", "--dry-run=client", "-o", "json")...).stdout), &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.Objects) != 1 || plan.Objects[0].Annotations["eks.amazonaws.com/role-arn"] != "arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-ci" ||
		len(plan.Unknown) != 1 || !strings.Contains(plan.Unknown[0], "OIDC_ISSUER_ID") || !strings.HasPrefix(plan.Calls[0], "CreateOpenIDConnectProvider https://oidc.eks.us-east-1.amazonaws.com/id/OIDC_ISSUER_ID") {
		t.Errorf("the IRSA client dry run's plan: %+v", plan)
	}
	if !maps.Equal(before, local.Front.Counts()) || admin.tenant("get", "acme", "-o", "yaml").stdout != registryBefore {
		t.Errorf("the client dry runs called AWS (%v, then %v) or wrote the record", before, local.Front.Counts())
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
	trust := trustOf("kubectl-tenant-acme-acme-app")
	if f := app.Check(trust); len(f) > 0 || !app.AllowedBy(trust) {
		t.Errorf("the Pod Identity role's trust: findings %v, admits its ServiceAccount: %v\n%s", f, app.AllowedBy(trust), trust)
	}
	// The session tags EKS would set for another namespace,
	// ServiceAccount or cluster are refused.
	for _, other := range []workload.Binding{{Namespace: "acme", ServiceAccount: "other"}, {Namespace: "globex", ServiceAccount: "app"},
		{Namespace: "acme", ServiceAccount: "app", ClusterARN: "arn:aws:eks:us-east-1:222222222222:cluster/globex"}} {
		o := app
		o.Namespace, o.ServiceAccount = other.Namespace, other.ServiceAccount
		if other.ClusterARN != "" {
			o.ClusterARN = other.ClusterARN
		}
		for _, call := range o.Requests() {
			if trust.Allows(call) {
				t.Errorf("the Pod Identity role admits %s of %s:%s from %s", call.Action, o.Namespace, o.ServiceAccount, o.ClusterARN)
			}
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

	// IRSA: its server dry run writes nothing, in AWS or the cluster
	// (the ServiceAccount is not made); then the cluster's OIDC
	// provider, the role, the annotation.
	calls = len(local.Front.Calls())
	dry = admin.tenant(roleArgs("acme:ci", "--via", "irsa", "--dry-run=server")...)
	if !strings.Contains(dry.stderr, "would call CreateRole kubectl-tenant-acme-acme-ci") {
		t.Errorf("the IRSA server dry run says:\n%s", dry.stderr)
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the IRSA server dry run wrote %v", w)
	}
	if r := admin.run("kubectl", "--context", "acme", "get", "serviceaccount", "ci", "-n", "acme"); r.err == nil {
		t.Errorf("the IRSA server dry run made ServiceAccount acme/ci:\n%s", r.stdout)
	}
	r = admin.tenant(roleArgs("acme:ci", "--via", "irsa")...)
	for _, want := range []string{"CreateOpenIDConnectProvider https://oidc.eks.us-east-1.amazonaws.com/id/", "CreateRole kubectl-tenant-acme-acme-ci",
		"ServiceAccount acme/ci annotated eks.amazonaws.com/role-arn=arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-ci"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("workload-role --via irsa does not say %q:\n%s", want, r.stderr)
		}
	}
	ci := workload.Binding{Via: workload.IRSA, Account: "222222222222", Issuer: c.Issuer, Namespace: "acme", ServiceAccount: "ci"}
	trust = trustOf("kubectl-tenant-acme-acme-ci")
	if f := ci.Check(trust); len(f) > 0 {
		t.Errorf("the IRSA role's trust: %v\n%s", f, trust)
	}
	// Real tokens, from this cluster and from globex's (the test
	// evaluates the trust's conditions, as moto's STS does not read the
	// token): only acme:ci's for STS's audience is admitted.
	admin.tenant("create", "globex", "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", globexRole, "--external-id", "globex-x1")
	admin.kubectl("--context", "acme", "create", "serviceaccount", "app", "-n", "acme")
	admin.kubectl("--context", "acme", "create", "namespace", "globex")
	admin.kubectl("--context", "acme", "create", "serviceaccount", "ci", "-n", "globex")
	admin.kubectl("--context", "globex", "create", "namespace", "acme")
	admin.kubectl("--context", "globex", "create", "serviceaccount", "ci", "-n", "acme")
	for _, tc := range []struct {
		what, context, namespace, sa, audience string
		want                                   bool
	}{
		{"acme:ci's", "acme", "acme", "ci", workload.Audience, true},
		{"another ServiceAccount's", "acme", "acme", "app", workload.Audience, false},
		{"another tenant's namespace's", "acme", "globex", "ci", workload.Audience, false},
		{"another audience's", "acme", "acme", "ci", "vault", false},
		{"another cluster's issuer's", "globex", "acme", "ci", workload.Audience, false},
	} {
		token := strings.TrimSpace(admin.kubectl("--context", tc.context, "create", "token", tc.sa, "-n", tc.namespace, "--audience", tc.audience))
		call, err := workload.WebIdentityRequest("222222222222", token)
		if err != nil {
			t.Fatal(err)
		}
		if got := trust.Allows(call); got != tc.want {
			t.Errorf("%s token (%+v) admitted: %v, want %v", tc.what, call, got, tc.want)
		}
	}

	// What is not this binding's is never changed: the cluster's role,
	// another ServiceAccount's workload role, a ServiceAccount annotated
	// with another role, a recorded ServiceAccount's role or mechanism.
	admin.kubectl("--context", "acme", "create", "serviceaccount", "web", "-n", "acme")
	admin.kubectl("--context", "acme", "annotate", "serviceaccount", "web", "-n", "acme", "eks.amazonaws.com/role-arn=arn:aws:iam::222222222222:role/theirs")
	calls = len(local.Front.Calls())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{roleArgs("acme:x", "--role-name", "kubectl-tenant-acme-cluster"), "IAM role kubectl-tenant-acme-cluster is not the workload role of pod-identity arn:aws:eks:us-east-1:222222222222:cluster/acme acme:x"},
		{roleArgs("acme:x", "--role-name", "kubectl-tenant-acme-acme-app"), `IAM role kubectl-tenant-acme-acme-app is not the workload role of pod-identity arn:aws:eks:us-east-1:222222222222:cluster/acme acme:x (its tenancy.kubectl-tenant.io/workload tag: "pod-identity arn:aws:eks:us-east-1:222222222222:cluster/acme acme:app")`},
		{roleArgs("acme:web", "--via", "irsa"), "ServiceAccount acme/web: it is annotated eks.amazonaws.com/role-arn=arn:aws:iam::222222222222:role/theirs, another role"},
		{roleArgs("acme:app", "--role-name", "not/a/name"), `--role-name: Invalid value: "not/a/name": an IAM role name has 1 to 64 letters`},
		{roleArgs("acme:app", "--via", "irsa"), "--serviceaccount acme:app: its workload role is acme:app (role kubectl-tenant-acme-acme-app, pod-identity): a ServiceAccount has one; remove it first (--delete)"},
		{roleArgs("acme:app", "--role-arn", roleARN), "--role-arn: an existing role is used as it is"},
		{[]string{"workload-role", "acme", "--serviceaccount", "acme:nobody", "--delete"}, `--serviceaccount acme:nobody: tenant "acme" records no workload role for it (it has: acme:app, acme:ci)`},
		{[]string{"workload-role", "acme", "--serviceaccount", "acme:app", "--delete", "--delete-oidc-provider"}, "--delete-oidc-provider: acme:app reaches its role through pod-identity, which uses no OIDC provider"},
	} {
		if got := admin.tenantFails(tc.args...); !strings.Contains(got, tc.want) {
			t.Errorf("workload-role %s: %s\nwant %q", strings.Join(tc.args[1:], " "), got, tc.want)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("refused commands wrote %v", w)
	}

	// The record says what was made, for the plugin's delete.
	rec := tenantRecord(t, admin, "acme")
	if got := rec.Spec.WorkloadRoles; len(got) != 2 || got[0].Key() != "acme:app" || got[0].Via != "pod-identity" || !got[0].RoleCreated ||
		got[1].Key() != "acme:ci" || got[1].Via != "irsa" || got[1].RoleName != "kubectl-tenant-acme-acme-ci" || !got[1].RoleCreated || !rec.Spec.Cluster.EKS.OIDCProviderCreated {
		t.Errorf("acme's recorded workload roles: %+v, OIDC provider made: %v", got, rec.Spec.Cluster.EKS.OIDCProviderCreated)
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

	testFargateDefault(t, admin)
	testVerifyWorkloadRoles(t, admin, cfg, ci)
	testExistingAndDeletedWorkloadRoles(t, local, admin, cfg, roleARN)
}

// access lists the workload roles as IAM has them, and --verify flags
// each hand-widened trust policy, naming the statement and the fix, and
// exits non-zero; workload-role puts the trust back.
func testVerifyWorkloadRoles(t *testing.T, admin *user, cfg awssdk.Config, ci workload.Binding) {
	ctx := context.Background()
	client := iam.NewFromConfig(cfg)
	table := admin.tenant("access", "acme").stdout
	for _, want := range []string{"SERVICEACCOUNT   VIA            WORKLOAD ROLE", "acme:app         pod-identity   arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-app   arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess   yes",
		"acme:ci          irsa           arn:aws:iam::222222222222:role/kubectl-tenant-acme-acme-ci"} {
		if !strings.Contains(table, want) {
			t.Errorf("access acme does not list %q:\n%s", want, table)
		}
	}
	if r := admin.tenant("access", "acme", "--verify"); !strings.Contains(r.stderr, "verified: the trust of each of 2 workload role(s) admits only its ServiceAccount") {
		t.Errorf("access --verify of the plugin's roles:\n%s", r.stderr)
	}
	app := workload.Binding{Via: workload.PodIdentity, Account: "222222222222", ClusterARN: "arn:aws:eks:us-east-1:222222222222:cluster/acme", Namespace: "acme", ServiceAccount: "app"}
	conditions := func(b workload.Binding) map[string]workload.Strings {
		return b.Trust().Statement[0].Condition["StringEquals"]
	}
	sub, aud := ci.IssuerHost()+":sub", ci.IssuerHost()+":aud"
	for _, tc := range []struct {
		name, role string
		widen      func(c map[string]map[string]workload.Strings)
		want       string
	}{
		{"any ServiceAccount", "kubectl-tenant-acme-acme-ci", func(c map[string]map[string]workload.Strings) {
			delete(c["StringEquals"], sub)
			c["StringLike"] = map[string]workload.Strings{sub: {"system:serviceaccount:*"}}
		}, sub + ` is held by StringLike ["system:serviceaccount:*"], not StringEquals system:serviceaccount:acme:ci: admits other ServiceAccounts than acme:ci`},
		{"any acme-* namespace", "kubectl-tenant-acme-acme-app", func(c map[string]map[string]workload.Strings) {
			delete(c["StringEquals"], "aws:RequestTag/kubernetes-namespace")
			c["StringLike"] = map[string]workload.Strings{"aws:RequestTag/kubernetes-namespace": {"acme-*"}}
		}, `aws:RequestTag/kubernetes-namespace is held by StringLike ["acme-*"], not StringEquals acme: admits other namespaces than acme`},
		{"no aud", "kubectl-tenant-acme-acme-ci", func(c map[string]map[string]workload.Strings) { delete(c["StringEquals"], aud) },
			"no condition on " + aud + ": admits tokens of other audiences than sts.amazonaws.com"},
		{"no SourceArn", "kubectl-tenant-acme-acme-app", func(c map[string]map[string]workload.Strings) { delete(c["StringEquals"], "aws:SourceArn") },
			"no condition on aws:SourceArn: admits other clusters' pods than arn:aws:eks:us-east-1:222222222222:cluster/acme's"},
	} {
		b := app
		if tc.role == "kubectl-tenant-acme-acme-ci" {
			b = ci
		}
		trust := b.Trust()
		trust.Statement[0].Condition = map[string]map[string]workload.Strings{"StringEquals": maps.Clone(conditions(b))}
		tc.widen(trust.Statement[0].Condition)
		if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: awssdk.String(tc.role), PolicyDocument: awssdk.String(trust.String())}); err != nil {
			t.Fatal(err)
		}
		r := admin.run("kubectl", "tenant", "access", "acme", "--verify")
		got := r.stdout + r.stderr
		if r.err == nil {
			t.Errorf("access --verify of a trust widened to %s succeeded", tc.name)
		}
		for _, want := range []string{"TRUST: workload role arn:aws:iam::222222222222:role/" + tc.role, "ServiceAccount: " + tc.want, "run `kubectl tenant workload-role` again",
			`tenant "acme"'s workload roles admit more than their ServiceAccounts, or do not work: 1 finding(s)`} {
			if !strings.Contains(got, want) {
				t.Errorf("access --verify of a trust widened to %s: %s\nwant %q", tc.name, got, want)
			}
		}
		sa := strings.TrimPrefix(tc.role, "kubectl-tenant-acme-")
		sa = strings.Replace(sa, "-", ":", 1)
		args := []string{"workload-role", "acme", "--serviceaccount", sa, "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
		if b.Via == workload.IRSA {
			args = append(args, "--via", "irsa")
		}
		if r := admin.tenant(args...); !strings.Contains(r.stderr, "UpdateAssumeRolePolicy "+tc.role) {
			t.Errorf("workload-role does not put %s's trust back:\n%s", tc.role, r.stderr)
		}
	}
	admin.tenant("access", "acme", "--verify")
}

// An existing role is used only when its trust admits the ServiceAccount
// alone, and never changed; --delete removes what the plugin made and
// keeps what it did not (the existing role, an OIDC provider another
// role trusts); its server dry run writes nothing.
func testExistingAndDeletedWorkloadRoles(t *testing.T, local *testenv.LocalEKS, admin *user, cfg awssdk.Config, appRole string) {
	ctx := context.Background()
	client := iam.NewFromConfig(cfg)
	batch := workload.Binding{Via: workload.PodIdentity, Account: "222222222222", ClusterARN: "arn:aws:eks:us-east-1:222222222222:cluster/acme", Namespace: "acme", ServiceAccount: "batch"}
	wide := batch.Trust()
	wide.Statement[0].Condition = map[string]map[string]workload.Strings{"StringLike": {"aws:RequestTag/kubernetes-namespace": {"acme-*"}}}
	for name, trust := range map[string]workload.Policy{"platform-batch": batch.Trust(), "platform-wide": wide} {
		if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String(name), AssumeRolePolicyDocument: awssdk.String(trust.String())}); err != nil {
			t.Fatal(err)
		}
	}
	existing := "arn:aws:iam::222222222222:role/platform-batch"
	calls := len(local.Front.Calls())
	got := admin.tenantFails("workload-role", "acme", "--serviceaccount", "acme:batch", "--role-arn", "arn:aws:iam::222222222222:role/platform-wide")
	for _, want := range []string{"role arn:aws:iam::222222222222:role/platform-wide's trust policy does not admit exactly system:serviceaccount:acme:batch's pods",
		`aws:RequestTag/kubernetes-namespace is held by StringLike ["acme-*"]`, "no condition on aws:SourceArn"} {
		if !strings.Contains(got, want) {
			t.Errorf("a widened existing role: %s\nwant %q", got, want)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the refused existing role wrote %v", w)
	}
	r := admin.tenant("workload-role", "acme", "--serviceaccount", "acme:batch", "--role-arn", existing)
	if strings.TrimSpace(r.stdout) != existing || !strings.Contains(r.stderr, "CreatePodIdentityAssociation acme/batch "+existing) {
		t.Errorf("workload-role --role-arn printed %q\n%s", r.stdout, r.stderr)
	}
	if w := tenantRecord(t, admin, "acme").WorkloadRole("acme", "batch"); w == nil || w.RoleARN != existing || w.RoleCreated {
		t.Errorf("acme:batch's record: %+v", w)
	}

	// A server dry run of a delete says what it would remove and writes
	// nothing: no AWS call, no record.
	registryBefore := admin.tenant("get", "acme", "-o", "yaml").stdout
	calls = len(local.Front.Calls())
	dry := admin.tenant("workload-role", "acme", "--serviceaccount", "acme:app", "--delete", "--dry-run=server")
	for _, want := range []string{"would call DeletePodIdentityAssociation acme/app", "would call DeleteRole kubectl-tenant-acme-acme-app"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("the delete's server dry run does not say %q:\n%s", want, dry.stderr)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 || admin.tenant("get", "acme", "-o", "yaml").stdout != registryBefore {
		t.Errorf("the delete's server dry run wrote %v, or the record", w)
	}

	// Pod Identity: the association and the role the plugin made go.
	admin.tenant("workload-role", "acme", "--serviceaccount", "acme:app", "--delete")
	if r, err := aws.ReadRole(ctx, cfg, "kubectl-tenant-acme-acme-app"); err != nil || r != nil {
		t.Errorf("the deleted role %s: %+v, %v", appRole, r, err)
	}
	// The existing role stays; only its association goes.
	r = admin.tenant("workload-role", "acme", "--serviceaccount", "acme:batch", "--delete")
	if !strings.Contains(r.stderr, "kept: role "+existing+": the plugin did not make it") {
		t.Errorf("deleting acme:batch says:\n%s", r.stderr)
	}
	if r, err := aws.ReadRole(ctx, cfg, "platform-batch"); err != nil || r == nil {
		t.Errorf("the existing role platform-batch after the delete: %+v, %v", r, err)
	}
	list, err := eks.NewFromConfig(cfg).ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String("acme")})
	if err != nil || len(list.Associations) != 0 {
		t.Errorf("associations left: %+v, %v", list, err)
	}

	// IRSA: the OIDC provider is kept while another role trusts it, and
	// the refusal writes nothing; then the annotation, the role and the
	// provider go.
	c, err := aws.DescribeCluster(ctx, cfg, "acme")
	if err != nil {
		t.Fatal(err)
	}
	other := workload.Binding{Via: workload.IRSA, Account: "222222222222", Issuer: c.Issuer, Namespace: "acme", ServiceAccount: "other"}
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("platform-irsa"), AssumeRolePolicyDocument: awssdk.String(other.Trust().String())}); err != nil {
		t.Fatal(err)
	}
	calls = len(local.Front.Calls())
	deleteCI := []string{"workload-role", "acme", "--serviceaccount", "acme:ci", "--delete", "--delete-oidc-provider"}
	if got := admin.tenantFails(deleteCI...); !strings.Contains(got, "is still trusted by role(s) platform-irsa: it is kept while any role uses it") {
		t.Errorf("deleting the OIDC provider another role trusts: %s", got)
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the refused delete wrote %v", w)
	}
	if _, err := client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: awssdk.String("platform-irsa")}); err != nil {
		t.Fatal(err)
	}
	admin.tenant(deleteCI...)
	if got := admin.kubectl("--context", "acme", "get", "serviceaccount", "ci", "-n", "acme", "-o", "jsonpath={.metadata.annotations}"); strings.Contains(got, "role-arn") {
		t.Errorf("acme/ci keeps its annotation: %s", got)
	}
	if _, err := client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: awssdk.String(other.ProviderARN())}); err == nil {
		t.Errorf("the OIDC provider %s is left", other.ProviderARN())
	}
	rec := tenantRecord(t, admin, "acme")
	if len(rec.Spec.WorkloadRoles) != 0 || rec.Spec.Cluster.EKS.OIDCProviderCreated {
		t.Errorf("acme's record after the deletes: %+v, OIDC provider made: %v", rec.Spec.WorkloadRoles, rec.Spec.Cluster.EKS.OIDCProviderCreated)
	}
	checkAnnotationKept(t, admin)

	// Deleting the tenant with its cluster removes its workload roles and
	// the OIDC provider the plugin made, after a server dry run that
	// writes nothing; the role the plugin did not make survives.
	const s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	admin.tenant("workload-role", "acme", "--serviceaccount", "acme:app", "--policy-arn", s3)
	admin.tenant("workload-role", "acme", "--serviceaccount", "acme:ci", "--policy-arn", s3, "--via", "irsa")
	admin.tenant("workload-role", "acme", "--serviceaccount", "acme:batch", "--role-arn", existing)
	calls = len(local.Front.Calls())
	dry = admin.tenant("delete", "acme", "--delete-cluster", "--dry-run=server")
	for _, want := range []string{"would call DeletePodIdentityAssociation acme/app", "would call DeleteRole kubectl-tenant-acme-acme-app", "would call DeleteRole kubectl-tenant-acme-acme-ci",
		"would call DeleteOpenIDConnectProvider " + c.Issuer, "kept: role " + existing + ": the plugin did not make it"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("delete acme --delete-cluster --dry-run=server does not say %q:\n%s", want, dry.stderr)
		}
	}
	if w := awsWrites(local.Front.Calls()[calls:]); len(w) > 0 {
		t.Errorf("the tenant delete's server dry run wrote %v", w)
	}
	admin.tenant("delete", "acme", "--delete-cluster")
	for name, want := range map[string]bool{"kubectl-tenant-acme-acme-app": false, "kubectl-tenant-acme-acme-ci": false, "platform-batch": true} {
		if r, err := aws.ReadRole(ctx, cfg, name); err != nil || (r != nil) != want {
			t.Errorf("after the tenant's delete, role %s: %+v, %v; want it there: %v", name, r, err, want)
		}
	}
	if _, err := client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: awssdk.String(other.ProviderARN())}); err == nil {
		t.Errorf("the OIDC provider %s is left after the tenant's delete", other.ProviderARN())
	}
}

// checkAnnotationKept fails unless the annotation another set, on a
// ServiceAccount the plugin never touched, is there still.
func checkAnnotationKept(t *testing.T, admin *user) {
	t.Helper()
	if got := admin.kubectl("--context", "acme", "get", "serviceaccount", "web", "-n", "acme", "-o", "jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/role-arn}"); got != "arn:aws:iam::222222222222:role/theirs" {
		t.Errorf("acme/web's annotation: %q", got)
	}
}

// On a cluster with Fargate profiles, where Pod Identity does not reach
// pods, a workload role asked for without --via is made for IRSA, and
// the command says why.
func testFargateDefault(t *testing.T, admin *user) {
	ctx := context.Background()
	cfg, err := aws.NewIdentity("", "us-east-1", "check", 0, []string{hopRole, globexRole}, "globex-x1").Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eks.NewFromConfig(cfg).CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: awssdk.String("globex"), FargateProfileName: awssdk.String("batch"),
		PodExecutionRoleArn: awssdk.String("arn:aws:iam::333333333333:role/fargate-pods"), Selectors: []ekstypes.FargateProfileSelector{{Namespace: awssdk.String("globex")}}}); err != nil {
		t.Fatal(err)
	}
	r := admin.tenant("workload-role", "globex", "--serviceaccount", "globex:batch", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
	if !strings.Contains(r.stderr, "using irsa: EKS cluster globex has Fargate profiles, where Pod Identity does not reach pods") || !strings.Contains(r.stderr, "CreateOpenIDConnectProvider") {
		t.Errorf("workload-role on a Fargate cluster:\n%s", r.stderr)
	}
	if w := tenantRecord(t, admin, "globex").WorkloadRole("globex", "batch"); w == nil || w.Via != "irsa" {
		t.Errorf("globex:batch's record: %+v", w)
	}
}
