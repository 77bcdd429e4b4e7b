package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "https://a.example"}}
- {name: b, cluster: {server: "https://b.example"}}
users:
- {name: u, user: {token: from-file}}
contexts:
- {name: a, context: {cluster: a, user: u}}
- {name: b, context: {cluster: b, user: u}}
current-context: a
`

// A connection to a context keeps the flags the user gave, as kubectl
// does, whatever --context said.
func TestRESTConfigKeepsTheFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	f := genericclioptions.NewConfigFlags(true)
	set := func(p **string, v string) { *p = &v }
	set(&f.KubeConfig, path)
	set(&f.Context, "a")
	set(&f.Impersonate, "nobody")
	set(&f.BearerToken, "from-flag")
	set(&f.Timeout, "7s")
	groups := []string{"g1", "g2"}
	f.ImpersonateGroup = &groups
	cfg, used, err := RESTConfig(f, "b")
	if err != nil {
		t.Fatal(err)
	}
	if used != "b" || cfg.Host != "https://b.example" {
		t.Errorf("context %q, host %q; want b's", used, cfg.Host)
	}
	if cfg.Impersonate.UserName != "nobody" || len(cfg.Impersonate.Groups) != 2 || cfg.BearerToken != "from-flag" || cfg.Timeout != 7*time.Second {
		t.Errorf("the flags were not kept: impersonate %+v, token %q, timeout %s", cfg.Impersonate, cfg.BearerToken, cfg.Timeout)
	}
	if *f.Context != "a" {
		t.Errorf("the user's --context became %q", *f.Context)
	}
}
