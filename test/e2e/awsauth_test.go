package e2e

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"
)

const eksAWSAuth = `# managed by eksctl; the node role must stay
- rolearn: arn:aws:iam::111122223333:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- rolearn: arn:aws:iam::111122223333:role/platform-admin
  username: admin
  groups:
    - system:masters
`

const eksMapUsers = `- userarn: arn:aws:iam::111122223333:user/ops
  username: ops
  groups: [ops]
`

func seedAWSAuth(t *testing.T, data map[string]string) {
	t.Helper()
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cms := client.CoreV1().ConfigMaps("kube-system")
	_ = cms.Delete(ctx, "aws-auth", metav1.DeleteOptions{})
	_ = cms.Delete(ctx, "aws-auth-kubectl-tenant-backup", metav1.DeleteOptions{})
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: data}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func readAWSAuth(t *testing.T) map[string]string {
	t.Helper()
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	cm, err := client.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

// aws-auth under pressure, through the real binaries: 20 grant processes
// at once, a malformed aws-auth, and restore. The node role entry, the
// administrators and the users mapping survive everything byte for byte.
func TestAWSAuthGrantsConcurrentMalformedRestore(t *testing.T) {
	seedAWSAuth(t, map[string]string{"mapRoles": eksAWSAuth, "mapUsers": eksMapUsers})
	// Two administrators with their own registries, each granting ten
	// roles at once, so that aws-auth sees writers that do not share the
	// registry's lock.
	admins := []*user{newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig), newUser(t).with("KUBECONFIG=" + cp.AdminKubeconfig)}
	admins[0].tenant("create", "conc1", "--from-context", "admin")
	admins[1].tenant("create", "conc2", "--from-context", "admin")
	var wg sync.WaitGroup
	errs := make([]string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenantName := fmt.Sprintf("conc%d", i%2+1)
			r := admins[i%2].run("kubectl", "tenant", "grant", tenantName, "--iam-role", fmt.Sprintf("arn:aws:iam::444455556666:role/r%02d", i), "--role", "view", "--via", "aws-auth")
			if r.err != nil {
				errs[i] = fmt.Sprintf("grant %d: %v\n%s", i, r.err, r.stderr)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	data := readAWSAuth(t)
	if !strings.HasPrefix(data["mapRoles"], eksAWSAuth) || data["mapUsers"] != eksMapUsers {
		t.Errorf("the entries that were there before changed:\n%s\n%s", data["mapRoles"], data["mapUsers"])
	}
	_, roles, _, err := configmap.ParseMap(data)
	if err != nil || len(roles) != 22 {
		t.Fatalf("aws-auth holds %d role mappings after 20 concurrent grants, want 22: %v", len(roles), err)
	}
	for i := range 20 {
		if !strings.Contains(data["mapRoles"], fmt.Sprintf("role/r%02d\n", i)) {
			t.Errorf("role r%02d is missing", i)
		}
	}
	if got := admins[0].tenant("get", "conc1", "-o", "yaml").stdout; strings.Count(got, "kind: IAMRole") != 10 {
		t.Errorf("conc1's registry records %d IAM grants, want 10:\n%s", strings.Count(got, "kind: IAMRole"), got)
	}

	// restore puts back the content from before the last change exactly,
	// and can itself be undone.
	before := readAWSAuth(t)
	admins[0].tenant("grant", "conc1", "--iam-role", "arn:aws:iam::444455556666:role/late", "--role", "edit", "--via", "aws-auth")
	withLate := readAWSAuth(t)
	if diff := admins[0].tenant("aws-auth", "restore", "conc1", "--dry-run").stdout; !strings.Contains(diff, "- - rolearn: arn:aws:iam::444455556666:role/late") {
		t.Errorf("restore --dry-run shows:\n%s", diff)
	}
	if got := readAWSAuth(t); got["mapRoles"] != withLate["mapRoles"] {
		t.Error("restore --dry-run changed aws-auth")
	}
	admins[0].tenant("aws-auth", "restore", "conc1")
	if got := readAWSAuth(t); got["mapRoles"] != before["mapRoles"] || got["mapUsers"] != before["mapUsers"] {
		t.Errorf("after restore:\n%s\nwant\n%s", got["mapRoles"], before["mapRoles"])
	}
	admins[0].tenant("aws-auth", "restore", "conc1")
	if got := readAWSAuth(t); got["mapRoles"] != withLate["mapRoles"] {
		t.Error("a second restore did not undo the first")
	}
	// A nodegroup's role added by hand since: restoring a version without
	// it needs --force.
	nodegroup := withLate["mapRoles"] + "- rolearn: arn:aws:iam::111122223333:role/eks-node-2\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n"
	seedAWSAuthKeepBackups(t, map[string]string{"mapRoles": nodegroup, "mapUsers": eksMapUsers})
	if stderr := admins[0].tenantFails("aws-auth", "restore", "conc1"); !strings.Contains(stderr, "eks-node-2") || !strings.Contains(stderr, "--force") {
		t.Errorf("restoring a version without the new node role: %s", stderr)
	}
	if got := readAWSAuth(t); got["mapRoles"] != nodegroup {
		t.Error("a refused restore changed aws-auth")
	}

	// Deleting a tenant takes its principals out of aws-auth, and nothing else.
	admins[1].tenant("delete", "conc2")
	if got := readAWSAuth(t); strings.Contains(got["mapRoles"], "conc2") || !strings.Contains(got["mapRoles"], "kubectl-tenant:conc1:view") || !strings.HasPrefix(got["mapRoles"], eksAWSAuth) {
		t.Errorf("aws-auth after deleting conc2:\n%s", got["mapRoles"])
	}

	// A malformed aws-auth: refused with the parser's message, unchanged,
	// and nothing else written either.
	broken := map[string]string{"mapRoles": eksAWSAuth + "- rolearn: arn:aws:iam::444455556666:role/typo\n  username: [unclosed\n"}
	seedAWSAuth(t, broken)
	stderr := admins[0].tenantFails("grant", "conc1", "--iam-role", "arn:aws:iam::444455556666:role/new", "--role", "admin", "--via", "aws-auth")
	if !strings.Contains(stderr, "aws-auth does not parse") || !strings.Contains(stderr, "line") {
		t.Errorf("grant over a malformed aws-auth: %s", stderr)
	}
	if got := readAWSAuth(t); got["mapRoles"] != broken["mapRoles"] {
		t.Error("a malformed aws-auth was changed")
	}
	if out := admins[0].kubectl("get", "rolebindings", "-A", "-o", "name"); strings.Contains(out, "conc1:admin") {
		t.Errorf("the refused grant still wrote bindings: %s", out)
	}
	if stderr := admins[0].tenantFails("revoke", "conc1", "--iam-role", "arn:aws:iam::444455556666:role/r00"); !strings.Contains(stderr, "aws-auth does not parse") {
		t.Errorf("revoke over a malformed aws-auth: %s", stderr)
	}
	if got := readAWSAuth(t); got["mapRoles"] != broken["mapRoles"] {
		t.Error("a malformed aws-auth was changed by revoke")
	}
}

// seedAWSAuthKeepBackups replaces aws-auth's data as a hand edit would.
func seedAWSAuthKeepBackups(t *testing.T, data map[string]string) {
	t.Helper()
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cm, err := client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data = data
	if _, err := client.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// aws-auth in the shapes real clusters have it, through the binaries:
// grant then revoke gives every byte back; grant, revoke and access warn
// about exactly the keys aws-iam-authenticator ignores, and access
// --verify fails on them.
func TestAWSAuthShapes(t *testing.T) {
	u := newUser(t)
	writeFile(t, u.home+"/.kube/config", readFile(t, cp.AdminKubeconfig))
	u.tenant("create", "shapes", "--from-context", "admin", "--namespace", "shapes")
	const role = "arn:aws:iam::444455556666:role/shapes-dev"
	for name, c := range map[string]struct {
		data    map[string]string
		ignored []string
	}{
		"EKS's":                {data: map[string]string{"mapRoles": eksAWSAuth, "mapUsers": eksMapUsers}},
		"no keys":              {data: map[string]string{}},
		"accounts only":        {data: map[string]string{"mapAccounts": "- \"111122223333\"\n"}},
		"eksctl's empty lists": {data: map[string]string{"mapRoles": "[]\n", "mapUsers": "[]\n"}},
		"flow-style":           {data: map[string]string{"mapRoles": `[{"rolearn": "arn:aws:iam::1:role/x", "username": "x", "groups": ["g"]}]`}},
		"keys in other cases": {data: map[string]string{"MapRoles": eksAWSAuth, "mapusers": eksMapUsers},
			ignored: []string{`"MapRoles" is ignored by aws-iam-authenticator, which reads only "mapRoles"`, `"mapusers" is ignored by aws-iam-authenticator, which reads only "mapUsers"`}},
	} {
		t.Run(name, func(t *testing.T) {
			seedAWSAuth(t, c.data)
			r := u.tenant("grant", "shapes", "--iam-role", role, "--role", "view", "--via", "aws-auth")
			if got := strings.Count(r.stderr, "warning: aws-auth key"); got != len(c.ignored) {
				t.Errorf("grant warned %d times, want %d:\n%s", got, len(c.ignored), r.stderr)
			}
			for _, want := range c.ignored {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("grant does not warn %q:\n%s", want, r.stderr)
				}
			}
			verify := u.run("kubectl", "tenant", "access", "shapes", "--verify")
			if failed := verify.err != nil; failed != (len(c.ignored) > 0) || failed && !strings.Contains(verify.stderr, "aws-iam-authenticator ignores") {
				t.Errorf("access --verify: %v\n%s", verify.err, verify.stderr)
			}
			r = u.tenant("revoke", "shapes", "--iam-role", role)
			if got := strings.Count(r.stderr, "warning: aws-auth key"); got != len(c.ignored) {
				t.Errorf("revoke warned %d times, want %d:\n%s", got, len(c.ignored), r.stderr)
			}
			if got := readAWSAuth(t); !maps.Equal(got, c.data) && !(len(got) == 0 && len(c.data) == 0) {
				t.Errorf("aws-auth after grant and revoke:\n%q\nwant\n%q", got, c.data)
			}
		})
	}
}
