package token

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestServeWarm(t *testing.T) {
	cacheHome := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cacheHome)
	t.Setenv(ExecInfoEnv, "")
	dir, _ := DefaultCacheDir()
	c := &Cache{Dir: dir}
	key := Key{Cluster: "acme-prod", Region: "eu-west-1", Profile: "mgmt",
		RoleChain: Chain([]string{"arn:aws:iam::111122223333:role/hop", "arn:aws:iam::444455556666:role/tenant"}, "x1")}
	if err := c.Put(Entry{Key: key, Token: "k8s-aws-v1.cached", Expires: time.Now().Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	hit := []string{"acme", "--cluster", "acme-prod", "--region=eu-west-1", "--role-arn", "arn:aws:iam::111122223333:role/hop",
		"--role-arn=arn:aws:iam::444455556666:role/tenant", "--external-id", "x1", "--profile", "mgmt"}
	tests := []struct {
		name string
		args []string
		want string // "" when the full command must run
	}{
		{"hit", hit, `"token":"k8s-aws-v1.cached"`},
		{"raw", append(append([]string(nil), hit...), "--raw"), "k8s-aws-v1.cached\n"},
		{"other external id", append(append([]string(nil), hit[:8]...), "--external-id", "x2", "--profile", "mgmt"), ""},
		{"no cache wanted", append(append([]string(nil), hit...), "--no-cache"), ""},
		{"a service account", []string{"acme", "--serviceaccount", "ci"}, ""},
		{"no region", []string{"acme"}, ""},
		{"missing value", []string{"acme", "--region"}, ""},
		{"two names", []string{"acme", "other", "--region", "eu-west-1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			served := ServeWarm(tt.args, &out)
			if tt.want == "" {
				if served || out.Len() > 0 {
					t.Errorf("served %q, want the full command to run", out.String())
				}
				return
			}
			if !served || !strings.Contains(out.String(), tt.want) {
				t.Errorf("served=%v %q, want %q", served, out.String(), tt.want)
			}
		})
	}

	// An entry about to expire is not served.
	if err := c.Put(Entry{Key: key, Token: "k8s-aws-v1.old", Expires: time.Now().Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if ServeWarm(hit, &bytes.Buffer{}) {
		t.Error("served a token with 30s left")
	}
}
