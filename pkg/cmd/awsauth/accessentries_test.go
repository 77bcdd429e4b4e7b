package awsauth_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/spf13/cobra"

	accesscmd "github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/grant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/revoke"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) { os.Exit(testenv.RunWithControlPlane(m, testenv.Options{}, &cp)) }

// An EKS tenant whose cluster is the test apiserver (for RBAC and
// aws-auth) and whose access entries are the SDK-stubbed fake: moto has
// no access entries, and EKS itself is not reachable here.
type eksTenant struct {
	t        *testing.T
	flags    *genericclioptions.ConfigFlags
	registry string
	fake     *testenv.AccessEntries
	client   kubernetes.Interface
}

func newEKSTenant(t *testing.T, name string) *eksTenant {
	t.Helper()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"} {
		t.Setenv(k, v)
	}
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{name + "-a", name + "-b"} {
		if _, err := client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: rbac.Labels(name)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rec := tenant.New(name)
	rec.Spec = tenant.Spec{
		Cluster:    tenant.Cluster{Context: "admin", EKS: &tenant.EKSCluster{Name: name + "-prod"}},
		AWS:        &tenant.AWS{Region: "eu-west-1"},
		Namespaces: []string{name + "-a", name + "-b"},
	}
	rec.Status.AuthenticationMode = "API_AND_CONFIG_MAP"
	registry := filepath.Join(t.TempDir(), "tenants.yaml")
	reg, err := tenant.OpenRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig := cp.AdminKubeconfig
	flags.KubeConfig = &kubeconfig
	return &eksTenant{t: t, flags: flags, registry: registry, fake: testenv.NewAccessEntries(), client: client}
}

func (e *eksTenant) flag() *registry.Flag { return &registry.Flag{Spec: e.registry} }

func (e *eksTenant) grant(name string, set func(*grant.Options)) error {
	_, _, err := e.grantOut(name, set)
	return err
}

// command is a command made only to carry flags, in a context, to
// Options.Complete, as kubectl's own tests do; flags are name, value pairs.
func command(make func(genericclioptions.RESTClientGetter, *registry.Flag, genericiooptions.IOStreams) *cobra.Command, e *eksTenant, flags ...string) *cobra.Command {
	cmd := make(e.flags, e.flag(), genericiooptions.NewTestIOStreamsDiscard())
	cmd.SetContext(context.Background())
	for i := 0; i+1 < len(flags); i += 2 {
		if err := cmd.Flags().Set(flags[i], flags[i+1]); err != nil {
			e.t.Fatal(err)
		}
	}
	return cmd
}

// grantOut runs a grant and returns what it wrote to stdout and stderr.
func (e *eksTenant) grantOut(name string, set func(*grant.Options), flags ...string) (string, string, error) {
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	o := grant.NewOptions(e.flags, e.flag(), streams)
	o.AWSOptions = e.fake.Options()
	set(o)
	if err := o.Complete(command(grant.NewCmdGrant, e, flags...), []string{name}); err != nil {
		return "", "", err
	}
	if err := o.Validate(); err != nil {
		return "", "", err
	}
	err := o.Run(context.Background())
	return out.String(), errOut.String(), err
}

func (e *eksTenant) revoke(name, role string) error {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	o := revoke.NewOptions(e.flags, e.flag(), streams)
	o.AWSOptions = e.fake.Options()
	o.Subject.IAMRole = role
	if err := o.Complete(command(revoke.NewCmdRevoke, e), []string{name}); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.Run(context.Background())
}

func (e *eksTenant) migrate(name string) error {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	o := awsauth.NewMigrateOptions(e.flags, e.flag(), streams)
	o.AWSOptions = e.fake.Options()
	if err := o.Complete(command(awsauth.NewCmdMigrate, e), []string{name}); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.Run(context.Background())
}

func (e *eksTenant) record(name string) *tenant.Tenant {
	e.t.Helper()
	reg, _ := tenant.OpenRegistry(e.registry)
	rec, err := reg.Get(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

func (e *eksTenant) calls(want ...string) {
	e.t.Helper()
	if !slices.Equal(e.fake.Calls, want) {
		e.t.Errorf("EKS calls:\n  %s\nwant\n  %s", strings.Join(e.fake.Calls, "\n  "), strings.Join(want, "\n  "))
	}
}

func (e *eksTenant) bindingExists(ns, name string) bool {
	_, err := e.client.RbacV1().RoleBindings(ns).Get(context.Background(), name, metav1.GetOptions{})
	return err == nil
}

const (
	dev    = "arn:aws:iam::444455556666:role/acme-dev"
	viewer = "arn:aws:iam::444455556666:role/acme-viewer"
	ci     = "arn:aws:iam::444455556666:role/acme-ci"
)

// The exact EKS calls of grant and revoke through access entries, and
// what a failure of the second call leaves: nothing recorded, and a
// re-run that completes.
func TestAccessEntryGrantAndRevokeCalls(t *testing.T) {
	e := newEKSTenant(t, "ae")

	// Default channel: the cluster's mode includes API.
	if err := e.grant("ae", func(o *grant.Options) { o.Subject.IAMRole = dev; o.Role = "edit" }); err != nil {
		t.Fatal(err)
	}
	e.calls("DescribeAccessEntry "+dev, "CreateAccessEntry "+dev)
	entry, _ := e.fake.Entry(dev)
	if entry == nil || *entry.Username != "ae:{{SessionName}}" || !slices.Equal(entry.KubernetesGroups, []string{"kubectl-tenant:ae:edit"}) || *entry.Type != "STANDARD" || entry.Tags["tenancy.kubectl-tenant.io/tenant"] != "ae" {
		t.Fatalf("access entry %+v", entry)
	}
	if !e.bindingExists("ae-a", "kubectl-tenant:ae:edit:iam") || !e.bindingExists("ae-b", "kubectl-tenant:ae:edit:iam") {
		t.Error("the edit group's bindings are missing")
	}

	// The same grant again: one read, no change.
	e.fake.Reset(0)
	if err := e.grant("ae", func(o *grant.Options) { o.Subject.IAMRole = dev; o.Role = "edit" }); err != nil {
		t.Fatal(err)
	}
	e.calls("DescribeAccessEntry " + dev)

	// An access policy scoped to one namespace, instead of RBAC.
	e.fake.Reset(0)
	if err := e.grant("ae", func(o *grant.Options) {
		o.Subject.IAMRole = viewer
		o.AccessPolicy = "view"
		o.Namespaces = []string{"ae-a"}
	}); err != nil {
		t.Fatal(err)
	}
	e.calls("DescribeAccessEntry "+viewer, "CreateAccessEntry "+viewer, "AssociateAccessPolicy "+viewer)
	if _, policies := e.fake.Entry(viewer); !slices.Equal(policies["arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"], []string{"ae-a"}) {
		t.Errorf("policies %v", policies)
	}

	// access traces both, checking the live access entries.
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	ao := accesscmd.NewOptions(e.flags, e.flag(), streams)
	ao.AWSOptions = e.fake.Options()
	if err := ao.Complete(command(accesscmd.NewCmdAccess, e), []string{"ae"}); err != nil {
		t.Fatal(err)
	}
	if err := ao.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	table := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		dev + " access-entry ae:{{SessionName}} kubectl-tenant:ae:edit ae-a=edit ae-b=edit yes",
		viewer + " access-entry ae:{{SessionName}} - ae-a=policy:view yes",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("access lacks %q:\n%s", want, out)
		}
	}

	// The 2nd call fails: nothing is recorded; a re-run completes.
	e.fake.Reset(2)
	if err := e.grant("ae", func(o *grant.Options) { o.Subject.IAMRole = ci; o.Role = "view" }); err == nil || !strings.Contains(err.Error(), "re-run") {
		t.Fatalf("grant with a failing CreateAccessEntry: %v", err)
	}
	if rec := e.record("ae"); slices.ContainsFunc(rec.Spec.Grants, func(g tenant.Grant) bool { return g.Subject.Name == ci }) {
		t.Error("a failed grant was recorded")
	}
	e.fake.Reset(0)
	if err := e.grant("ae", func(o *grant.Options) { o.Subject.IAMRole = ci; o.Role = "view" }); err != nil {
		t.Fatal(err)
	}
	e.calls("DescribeAccessEntry "+ci, "CreateAccessEntry "+ci)

	// Revoke: the entry goes, and the edit bindings with it (no other
	// principal holds edit); the view bindings stay for ci.
	e.fake.Reset(0)
	if err := e.revoke("ae", dev); err != nil {
		t.Fatal(err)
	}
	// The entry is read to plan, and again right before it is deleted.
	e.calls("DescribeAccessEntry "+dev, "DescribeAccessEntry "+dev, "DeleteAccessEntry "+dev)
	if entry, _ := e.fake.Entry(dev); entry != nil || e.bindingExists("ae-a", "kubectl-tenant:ae:edit:iam") {
		t.Error("revoke left the access entry or the edit bindings")
	}
	if !e.bindingExists("ae-a", "kubectl-tenant:ae:view:iam") {
		t.Error("revoking dev removed ci's view bindings")
	}

	// Revoke failing at its 3rd call (the delete) keeps the record; a
	// re-run finishes.
	e.fake.Reset(3)
	if err := e.revoke("ae", viewer); err == nil {
		t.Fatal("revoke with a failing DeleteAccessEntry succeeded")
	}
	if rec := e.record("ae"); !slices.ContainsFunc(rec.Spec.Grants, func(g tenant.Grant) bool { return g.Subject.Name == viewer }) {
		t.Error("a failed revoke was recorded")
	}
	e.fake.Reset(0)
	if err := e.revoke("ae", viewer); err != nil {
		t.Fatal(err)
	}
	e.calls("DescribeAccessEntry "+viewer, "DescribeAccessEntry "+viewer, "DeleteAccessEntry "+viewer)
}

// migrate moves an aws-auth principal to an access entry: create, read
// back, then remove the aws-auth entry. Failing at the 2nd call (create)
// or the 3rd (the read-back) keeps the aws-auth entry and the record; a
// re-run completes.
func TestMigrateCallsAndRecovery(t *testing.T) {
	e := newEKSTenant(t, "mg")
	ctx := context.Background()
	_ = e.client.CoreV1().ConfigMaps("kube-system").Delete(ctx, "aws-auth", metav1.DeleteOptions{})
	original := map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n"}
	if _, err := e.client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: original}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mapRoles := func() string {
		cm, err := e.client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["mapRoles"]
	}
	if err := e.grant("mg", func(o *grant.Options) { o.Subject.IAMRole = dev; o.Role = "edit"; o.Via = "aws-auth" }); err != nil {
		t.Fatal(err)
	}
	e.calls() // aws-auth only: no EKS call
	if !strings.Contains(mapRoles(), dev) {
		t.Fatal("the grant did not map the role in aws-auth")
	}

	for _, fail := range []int{2, 3} {
		e.fake.Reset(fail)
		if err := e.migrate("mg"); err == nil || !strings.Contains(err.Error(), "aws-auth entry is kept") {
			t.Fatalf("migrate failing at call %d: %v", fail, err)
		}
		if !strings.Contains(mapRoles(), dev) {
			t.Fatalf("a migrate failing at call %d removed the aws-auth entry", fail)
		}
		if rec := e.record("mg"); rec.Spec.Grants[0].Via != tenant.ViaAWSAuth {
			t.Fatalf("a migrate failing at call %d recorded the move", fail)
		}
	}
	e.fake.Reset(0)
	if err := e.migrate("mg"); err != nil {
		t.Fatal(err)
	}
	// The 3rd attempt: the entry exists from the attempt that failed at
	// the read-back, so there is no create.
	e.calls("DescribeAccessEntry "+dev, "DescribeAccessEntry "+dev)
	if got := mapRoles(); got != original["mapRoles"] {
		t.Errorf("aws-auth after migrate:\n%s\nwant\n%s", got, original["mapRoles"])
	}
	if rec := e.record("mg"); rec.Spec.Grants[0].Via != tenant.ViaAccessEntry {
		t.Errorf("the move was not recorded: %+v", rec.Spec.Grants[0])
	}
	if !e.bindingExists("mg-a", "kubectl-tenant:mg:edit:iam") {
		t.Error("migrate lost the edit bindings")
	}

	// From scratch, the whole sequence.
	if err := e.grant("mg", func(o *grant.Options) { o.Subject.IAMRole = ci; o.Role = "view"; o.Via = "aws-auth" }); err != nil {
		t.Fatal(err)
	}
	e.fake.Reset(0)
	if err := e.migrate("mg"); err != nil {
		t.Fatal(err)
	}
	e.calls("DescribeAccessEntry "+ci, "CreateAccessEntry "+ci, "DescribeAccessEntry "+ci)
}

// --dry-run shows what would change and changes nothing: the EKS calls of
// an access entry (only the read is made), the aws-auth diff.
func TestDryRunShowsCallsAndDiff(t *testing.T) {
	e := newEKSTenant(t, "dr")
	ctx := context.Background()
	out, _, err := e.grantOut("dr", func(o *grant.Options) { o.Subject.IAMRole, o.Role = dev, "edit" }, "dry-run", "client")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "would call CreateAccessEntry "+dev+" type=STANDARD username=dr:{{SessionName}} groups=[kubectl-tenant:dr:edit]") {
		t.Errorf("dry-run output:\n%s", out)
	}
	e.calls("DescribeAccessEntry " + dev)
	if entry, _ := e.fake.Entry(dev); entry != nil || e.bindingExists("dr-a", "kubectl-tenant:dr:edit:iam") || len(e.record("dr").Spec.Grants) != 0 {
		t.Error("a dry run changed something")
	}

	client := e.client.CoreV1().ConfigMaps("kube-system")
	_ = client.Delete(ctx, "aws-auth", metav1.DeleteOptions{})
	if _, err := client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: map[string]string{"mapRoles": "- rolearn: arn:aws:iam::1:role/n\n  username: node\n  groups:\n    - system:nodes\n"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out, _, err = e.grantOut("dr", func(o *grant.Options) { o.Subject.IAMRole, o.Role, o.Via = dev, "edit", "aws-auth" }, "dry-run", "client")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "+ - rolearn: "+dev) || !strings.Contains(out, "kind: RoleBinding") {
		t.Errorf("aws-auth dry-run output:\n%s", out)
	}
	if cm, _ := client.Get(ctx, "aws-auth", metav1.GetOptions{}); strings.Contains(cm.Data["mapRoles"], dev) {
		t.Error("a dry run changed aws-auth")
	}
}

// A role ARN with a path is granted in the form IAM authenticates, and
// the user is told; a malformed ARN is refused naming the field.
func TestIAMSubjectInput(t *testing.T) {
	e := newEKSTenant(t, "in")
	const sso = "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123"
	_, errOut, err := e.grantOut("in", func(o *grant.Options) { o.Subject.IAMRole, o.Role = sso, "view" })
	if err != nil {
		t.Fatal(err)
	}
	const canonical = "arn:aws:iam::444455556666:role/AWSReservedSSO_Dev_0123"
	if !strings.Contains(errOut, "using "+canonical) {
		t.Errorf("the rewrite was not reported:\n%s", errOut)
	}
	if entry, _ := e.fake.Entry(canonical); entry == nil {
		t.Errorf("no access entry for %s; calls %v", canonical, e.fake.Calls)
	}
	for flag, value := range map[string]string{"iam-role": "arn:aws:iam::4444:role/x", "iam-user": "arn:aws:iam::444455556666:role/not-a-user"} {
		err := e.grant("in", func(o *grant.Options) {
			o.Role = "view"
			if flag == "iam-role" {
				o.Subject.IAMRole = value
			} else {
				o.Subject.IAMUser = value
			}
		})
		if err == nil || !strings.Contains(err.Error(), "grant.subject.name") {
			t.Errorf("--%s %s: %v", flag, value, err)
		}
	}
}
