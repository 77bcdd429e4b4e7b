package grant_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/create"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/grant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) { os.Exit(testenv.RunWithControlPlane(m, testenv.Options{}, &cp)) }

// requestCounter counts requests by method, through cli-runtime's
// WrapConfigFn, as the API server sees them.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *requestCounter) wrap(cfg *rest.Config) *rest.Config {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			c.mu.Lock()
			c.counts[req.Method]++
			c.mu.Unlock()
			return rt.RoundTrip(req)
		})
	})
	return cfg
}

func (c *requestCounter) writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[http.MethodPost] + c.counts[http.MethodPut] + c.counts[http.MethodPatch] + c.counts[http.MethodDelete]
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = map[string]int{}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// setup creates a tenant with namespaces and returns flags that count requests.
func setup(t *testing.T, name string, namespaces ...string) (*genericclioptions.ConfigFlags, *registry.Flag, *requestCounter) {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig := cp.AdminKubeconfig
	flags.KubeConfig = &kubeconfig
	counter := &requestCounter{counts: map[string]int{}}
	flags.WrapConfigFn = counter.wrap
	registry := &registry.Flag{Spec: filepath.Join(t.TempDir(), "tenants.yaml")}
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	cmd := create.NewCmdCreate(flags, registry, streams)
	args := []string{name, "--from-context", "admin"}
	for _, ns := range namespaces {
		args = append(args, "--namespace", ns)
	}
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	counter.reset()
	return flags, registry, counter
}

func runGrant(t *testing.T, flags *genericclioptions.ConfigFlags, registry *registry.Flag, args ...string) string {
	t.Helper()
	streams, _, _, errOut := genericiooptions.NewTestIOStreams()
	cmd := grant.NewCmdGrant(flags, registry, streams)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("grant %v: %v", args, err)
	}
	return errOut.String()
}

func TestSecondGrantWritesNothing(t *testing.T) {
	flags, registry, counter := setup(t, "idem", "idem-a", "idem-b", "idem-c")
	runGrant(t, flags, registry, "idem", "--serviceaccount", "robot", "--role", "edit")
	if got := counter.writes(); got != 5 { // ServiceAccount, 3 RoleBindings, namespace-reader binding
		t.Errorf("first grant: %d writes (%v), want 5", got, counter.counts)
	}
	registryBefore, _ := os.ReadFile(registry.Spec)

	counter.reset()
	runGrant(t, flags, registry, "idem", "--serviceaccount", "robot", "--role", "edit")
	if got := counter.writes(); got != 0 {
		t.Errorf("second identical grant: %d writes (%v), want 0", got, counter.counts)
	}
	t.Logf("second grant: %v requests by method", counter.counts)
	if after, _ := os.ReadFile(registry.Spec); string(after) != string(registryBefore) {
		t.Error("second identical grant rewrote the registry")
	}
}

func TestServerDryRunChangesNothing(t *testing.T) {
	flags, registry, _ := setup(t, "dry", "dry")
	registryBefore, _ := os.ReadFile(registry.Spec)
	out := runGrant(t, flags, registry, "dry", "--serviceaccount", "bot", "--role", "view", "--dry-run=server")
	if !strings.Contains(out, "RoleBinding dry/kubectl-tenant:dry:view:sa:dry:bot created (server dry run)") {
		t.Errorf("server dry run report:\n%s", out)
	}
	admin, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if rbs, err := admin.RbacV1().RoleBindings("dry").List(ctx, metav1.ListOptions{}); err != nil || len(rbs.Items) != 0 {
		t.Errorf("RoleBindings after a server dry run: %v %v", rbs, err)
	}
	if _, err := admin.CoreV1().ServiceAccounts("dry").Get(ctx, "bot", metav1.GetOptions{}); err == nil {
		t.Error("a server dry run created the ServiceAccount")
	}
	if after, _ := os.ReadFile(registry.Spec); string(after) != string(registryBefore) {
		t.Error("a server dry run changed the registry")
	}
}

// A binding of the grant's name that someone else made is refused, and
// left as it was.
func TestGrantDoesNotTakeOverOthersBindings(t *testing.T) {
	flags, registry, _ := setup(t, "owned", "owned")
	admin, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	theirs := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kubectl-tenant:owned:view:user:carol", Namespace: "owned"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "someone-else"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
	}
	if _, err := admin.RbacV1().RoleBindings("owned").Create(ctx, theirs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	cmd := grant.NewCmdGrant(flags, registry, streams)
	cmd.SetArgs([]string{"owned", "--user", "carol", "--role", "view"})
	err = cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "was not made by kubectl-tenant") {
		t.Fatalf("grant over someone's binding: %v", err)
	}
	got, err := admin.RbacV1().RoleBindings("owned").Get(ctx, theirs.Name, metav1.GetOptions{})
	if err != nil || got.RoleRef.Name != "admin" || got.Subjects[0].Name != "someone-else" || len(got.Labels) != 0 {
		t.Errorf("someone's binding changed: %+v %v", got, err)
	}
}

// --dry-run=client prints exactly the objects a grant applies, and
// changes nothing.
func TestClientDryRunPrintsTheObjects(t *testing.T) {
	flags, registry, counter := setup(t, "print", "print", "print-ci")
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	cmd := grant.NewCmdGrant(flags, registry, streams)
	cmd.SetArgs([]string{"print", "--serviceaccount", "bot", "--role", "view", "--namespace", "print-ci", "--dry-run=client", "-o", "yaml"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, doc := range strings.Split(out.String(), "\n---\n") {
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "kind: ") {
				kinds = append(kinds, strings.TrimPrefix(line, "kind: "))
			}
		}
	}
	if want := []string{"ServiceAccount", "RoleBinding", "ClusterRoleBinding"}; strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("printed kinds %v, want %v:\n%s", kinds, want, out)
	}
	for _, want := range []string{"namespace: print-ci", "name: kubectl-tenant:print:view:sa:print:bot", "app.kubernetes.io/managed-by: kubectl-tenant"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if w := counter.writes(); w != 0 {
		t.Errorf("--dry-run=client made %d writes", w)
	}
}
