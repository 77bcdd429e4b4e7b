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
	key := Key{Cluster: "acme-prod", Region: "eu-west-1", Profile: "mgmt", Source: SourceIdentity("mgmt"),
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

// The key names the source identity the environment gives: a token
// minted as one is not found as another.
func TestKeyFollowsTheSourceIdentity(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	r := IAMRequest{Cluster: "acme", Region: "eu-west-1", Chain: Chain([]string{"arn:aws:iam::1:role/t"}, "")}
	seen := map[string]string{}
	for _, env := range [][2]string{
		{"", ""},
		{"AWS_PROFILE", "a"},
		{"AWS_PROFILE", "b"},
		{"AWS_DEFAULT_PROFILE", "b"}, // AWS_PROFILE b still wins: the same key as before
		{"AWS_ACCESS_KEY_ID", "AKIA1"},
		{"AWS_ROLE_ARN", "arn:aws:iam::1:role/ci"},
	} {
		if env[0] != "" {
			t.Setenv(env[0], env[1])
		}
		file := r.Key().file()
		if prev, ok := seen[file]; ok && env[0] != "AWS_DEFAULT_PROFILE" {
			t.Errorf("%s=%s has the key of %s", env[0], env[1], prev)
		}
		seen[file] = env[0] + "=" + env[1]
	}
	t.Setenv("AWS_PROFILE", "env")
	withFlag := IAMRequest{Cluster: "acme", Region: "eu-west-1", Profile: "flag"}
	if got := withFlag.Key().Source; !strings.Contains(got, "profile=flag") || strings.Contains(got, "env") {
		t.Errorf("--profile flag with AWS_PROFILE=env: source %q", got)
	}
}
