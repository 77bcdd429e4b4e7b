package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	iamtoken "sigs.k8s.io/aws-iam-authenticator/pkg/token"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// The IAM token path as kubectl uses it: the exec plugin of a kubeconfig
// runs kubectl-tenant token, which signs with a two-role chain against
// moto and caches; the warm path then reads the cache and nothing else.
func TestIAMTokenExecPluginAndCache(t *testing.T) {
	moto, err := testenv.StartMoto(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()
	u := newUser(t).with(moto.Env()...)
	cacheDir := filepath.Join(u.home, ".cache", "kubectl-tenant", "tokens")

	tokenArgs := []string{"token", "acme", "--cluster", "acme-prod", "--region", "eu-west-1",
		"--role-arn", "arn:aws:iam::111111111111:role/hop", "--role-arn", "arn:aws:iam::222222222222:role/tenant", "--external-id", "acme-x1"}
	execArgs, _ := json.Marshal(tokenArgs)
	kubeconfig := filepath.Join(u.home, "eks.kubeconfig")
	writeFile(t, kubeconfig, `apiVersion: v1
kind: Config
clusters:
- name: acme-prod
  cluster: {server: `+cp.URL+`, insecure-skip-tls-verify: true}
users:
- name: acme-iam
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubectl-tenant
      args: `+string(execArgs)+`
      interactiveMode: Never
contexts:
- name: acme
  context: {cluster: acme-prod, user: acme-iam}
current-context: acme
`)
	// This apiserver does not take IAM tokens (issue 6 adds the webhook),
	// so the request is refused; what matters is that kubectl ran the plugin.
	r := u.run("kubectl", "--kubeconfig", kubeconfig, "get", "namespaces")
	if !strings.Contains(r.stderr, "Unauthorized") && !strings.Contains(r.stderr, "must be logged in") {
		t.Fatalf("kubectl through the exec plugin: %v\n%s", r.err, r.stderr)
	}
	entries, err := os.ReadDir(cacheDir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache after kubectl ran the plugin: %v %v", entries, err)
	}
	cacheFile := filepath.Join(cacheDir, entries[0].Name())
	if fi, _ := os.Stat(cacheFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", fi.Mode().Perm())
	}
	cached := readCredential(t, u.tenant(tokenArgs...).stdout)
	if !strings.HasPrefix(cached.token, "k8s-aws-v1.") || time.Until(cached.expires) < 12*time.Minute {
		t.Errorf("token %.20s... expires %s", cached.token, cached.expires)
	}

	// aws-iam-authenticator's own Verifier accepts what the command
	// printed, as the tenant role, with STS answered by the harness's
	// signature-checking endpoint; for another cluster it refuses it.
	saved := http.DefaultTransport
	http.DefaultTransport = moto.STSTransport(saved)
	defer func() { http.DefaultTransport = saved }()
	identity, err := iamtoken.NewVerifier("acme-prod", "aws", "eu-west-1").Verify(cached.token)
	if err != nil {
		t.Fatalf("the Verifier refused the token kubectl-tenant printed: %v", err)
	}
	if identity.CanonicalARN != "arn:aws:iam::222222222222:role/tenant" {
		t.Errorf("verified as %s, want the tenant role", identity.CanonicalARN)
	}
	if _, err := iamtoken.NewVerifier("acme-staging", "aws", "eu-west-1").Verify(cached.token); err == nil {
		t.Error("a token for acme-prod was accepted for acme-staging")
	}

	// Warm: no AWS config and no network are touched.
	offline := u.with("AWS_CONFIG_FILE="+writeGarbage(t, u.home), "AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_SECRET_ACCESS_KEY=")
	if again := readCredential(t, offline.tenant(tokenArgs...).stdout); again.token != cached.token {
		t.Error("the warm path did not serve the cached token")
	}
	if stderr := offline.tenantFails(append(tokenArgs, "--no-cache")...); stderr == "" {
		t.Error("--no-cache should have needed AWS and failed offline")
	}
	// Another source identity (a profile from the environment, other
	// access keys) is never served the token minted for this one: it
	// misses, and offline it fails.
	for _, env := range []string{"AWS_PROFILE=other", "AWS_ACCESS_KEY_ID=AKIAOTHERKEY"} {
		if r := offline.with(env).run("kubectl", append([]string{"tenant"}, tokenArgs...)...); r.err == nil {
			t.Errorf("with %s the token cached for another identity was served: %.30s", env, r.stdout)
		}
	}

	// Expired and corrupt entries are replaced, never an error.
	var e map[string]any
	data, _ := os.ReadFile(cacheFile)
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	e["expires"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	data, _ = json.Marshal(e)
	writeFile(t, cacheFile, string(data))
	time.Sleep(time.Second) // a new signature differs once the signing second has changed
	renewed := readCredential(t, u.tenant(tokenArgs...).stdout)
	if renewed.token == cached.token {
		t.Error("an expired cache entry was reused")
	}
	writeFile(t, cacheFile, "{corrupt")
	if fresh := readCredential(t, u.tenant(tokenArgs...).stdout); fresh.token == "" {
		t.Error("no token over a corrupt cache file")
	}
	if data, _ := os.ReadFile(cacheFile); !json.Valid(data) {
		t.Error("the corrupt cache file was not replaced")
	}
}

type credential struct {
	token   string
	expires time.Time
}

func readCredential(t *testing.T, out string) credential {
	t.Helper()
	var c struct {
		Status struct {
			Token               string    `json:"token"`
			ExpirationTimestamp time.Time `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("not an ExecCredential: %q: %v", out, err)
	}
	return credential{c.Status.Token, c.Status.ExpirationTimestamp}
}

func writeGarbage(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "broken-aws-config")
	writeFile(t, p, "[profile\nthis is not an AWS config\x00")
	return p
}
