package reconcile

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var cp *testenv.ControlPlane

// The fuzz target plans against a real apiserver. AWS is pointed at a
// closed port, so that a document that reaches for it fails at once
// rather than waiting on the network.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_MAX_ATTEMPTS": "1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "fuzz", "AWS_SECRET_ACCESS_KEY": "fuzz", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	os.Exit(testenv.RunWithControlPlane(m, testenv.Options{}, &cp))
}

// FuzzDocument decodes a Tenant document as apply does, and applies it
// as a client dry run: the record's three-way merge, its validation, and
// the plan of every object and IAM mapping, read from a real apiserver.
// Whatever the input, nothing panics and nothing is written (the registry
// file and the kubeconfig's directory are never made). A new EKS tenant without spec.aws crashed the
// planning once; it is a seed.
//
// The seeds run with every `go test`; make test also searches for a
// bounded time, and longer: go test ./pkg/reconcile -run '^$' -fuzz FuzzDocument -fuzztime 5m
func FuzzDocument(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion":"tenancy.kubectl-tenant.io/v1alpha1","kind":"Tenant","metadata":{"name":"acme"},"spec":{"cluster":{"context":"fuzz"},"namespaces":["acme"]}}`,
		`{"apiVersion":"tenancy.kubectl-tenant.io/v1alpha1","kind":"Tenant","metadata":{"name":"acme"},"spec":{"cluster":{"eks":{"name":"acme"}},"namespaces":["acme"]}}`,
		`{"apiVersion":"tenancy.kubectl-tenant.io/v1alpha1","kind":"Tenant","metadata":{"name":"acme"},"spec":{"cluster":{"eks":{"name":"acme","nodegroup":{"name":"ng"}}},"aws":{"region":"eu-west-1"},"namespaces":["acme"]}}`,
		`{"apiVersion":"tenancy.kubectl-tenant.io/v1alpha1","kind":"Tenant","metadata":{"name":"acme"},"spec":{"cluster":{"context":"fuzz"},"namespaces":["acme","acme-ci"],"roles":[{"name":"reader","rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}],"grants":[` +
			`{"subject":{"kind":"ServiceAccount","name":"deploy","namespace":"acme-ci"},"role":"edit"},` +
			`{"subject":{"kind":"User","name":"alice"},"role":"reader","namespaces":["acme"]},` +
			`{"subject":{"kind":"Group","name":"sre"},"role":"view","clusterScope":true},` +
			`{"subject":{"kind":"IAMRole","name":"arn:aws:iam::111122223333:role/dev"},"role":"view","via":"aws-auth"}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := tenant.Decode(data)
		if err != nil {
			return
		}
		dir := t.TempDir()
		registry, kubeconfig := filepath.Join(dir, "tenants.yaml"), filepath.Join(dir, "kube", "config")
		reg, err := tenant.OpenRegistry(registry)
		if err != nil {
			t.Fatal(err)
		}
		client, err := kubernetes.NewForConfig(cp.AdminConfig())
		if err != nil {
			t.Fatal(err)
		}
		connect := func(*tenant.Tenant) (*cluster.Connection, error) {
			return &cluster.Connection{Context: "fuzz", Server: cp.URL, Config: cp.AdminConfig(), Client: client}, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = Document(ctx, reg, connect, doc, Options{Mode: ClientDryRun, ClusterTimeout: 5 * time.Second, Kubeconfig: []string{kubeconfig}, Out: io.Discard, Warn: io.Discard})
		for _, path := range []string{registry, filepath.Dir(kubeconfig)} {
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a client dry run wrote %s (%v)", path, err)
			}
		}
	})
}
