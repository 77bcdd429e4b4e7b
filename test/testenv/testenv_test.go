package testenv

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

var cp *ControlPlane

func TestMain(m *testing.M) { os.Exit(RunWithControlPlane(m, Options{}, &cp)) }

// The control plane enforces RBAC for the users it adds, and issues
// ServiceAccount tokens through TokenRequest.
func TestControlPlane(t *testing.T) {
	ctx := context.Background()
	admin, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "harness"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("admin creating a namespace: %v", err)
	}

	path, err := cp.AddUser("alice", "team-a")
	if err != nil {
		t.Fatal(err)
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	alice := kubernetes.NewForConfigOrDie(restCfg)
	review, err := alice.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("self subject review: %v", err)
	}
	if got := review.Status.UserInfo; got.Username != "alice" || !contains(got.Groups, "team-a") {
		t.Errorf("alice authenticated as %+v, want user alice in group team-a", got)
	}
	if _, err := alice.CoreV1().Secrets("harness").List(ctx, metav1.ListOptions{}); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("alice listing secrets without a grant: got %v, want forbidden", err)
	}

	if _, err := admin.CoreV1().ServiceAccounts("harness").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := admin.CoreV1().ServiceAccounts("harness").CreateToken(ctx, "robot", &authenticationTokenRequest, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	if tr.Status.Token == "" {
		t.Error("TokenRequest returned no token")
	}

	// kube-controller-manager aggregates the built-in roles and finishes
	// namespace deletion, as on a real cluster.
	edit, err := admin.RbacV1().ClusterRoles().Get(ctx, "edit", metav1.GetOptions{})
	if err != nil || len(edit.Rules) == 0 {
		t.Errorf("ClusterRole edit has no aggregated rules: %v", err)
	}
	if err := admin.CoreV1().Namespaces().Delete(ctx, "harness", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := admin.CoreV1().Namespaces().Get(ctx, "harness", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace harness not deleted after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMoto(t *testing.T) {
	m, err := StartMoto(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	resp, err := http.Get(m.URL + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "{") {
		t.Errorf("moto data.json: %d %q", resp.StatusCode, body)
	}
	if env := strings.Join(m.Env(), " "); !strings.Contains(env, "AWS_ENDPOINT_URL="+m.URL) {
		t.Errorf("Env() = %s, want AWS_ENDPOINT_URL pointing at moto", env)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

var authenticationTokenRequest = authenticationv1.TokenRequest{}
