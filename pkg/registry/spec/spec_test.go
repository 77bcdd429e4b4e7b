package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for spec, want := range map[string][2]string{
		"":                      {"file", ""},
		"tenants.yaml":          {"file", "tenants.yaml"},
		"file:/etc/t.yaml":      {"file", "/etc/t.yaml"},
		"cluster":               {"cluster", ""},
		"cluster:management":    {"cluster", "management"},
		"cluster:kind-mgmt:dev": {"cluster", "kind-mgmt:dev"},
		"clusters.yaml":         {"file", "clusters.yaml"},
	} {
		if kind, where := Parse(spec); kind != want[0] || where != want[1] {
			t.Errorf("Parse(%q) = %s, %q; want %s, %q", spec, kind, where, want[0], want[1])
		}
	}
}

// The flag wins over the environment, which wins over the config file,
// which wins over the default file.
func TestCheckSpec(t *testing.T) {
	for spec, ok := range map[string]bool{
		"": true, "cluster": true, "cluster:mgmt": true, "file:tenants": true, "./tenants": true, "/etc/tenants": true,
		"tenants.yaml": true, "tenants.yml": true,
		"clustr": false, "cluster-mgmt": false, "tenants": false, "tenants.yaml.bak": false,
	} {
		if err := CheckSpec(spec); (err == nil) != ok {
			t.Errorf("CheckSpec(%q) = %v; want ok=%v", spec, err, ok)
		}
	}
	if err := CheckSpec("clustr"); err == nil || !strings.Contains(err.Error(), "cluster:CONTEXT") {
		t.Errorf("the error says what to write instead: %v", err)
	}
}

func TestResolveOrder(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(Env, "")
	if got, err := Resolve(""); err != nil || got != "" {
		t.Errorf("nothing set: %q, %v; want the default file", got, err)
	}
	config := filepath.Join(dir, "kubectl-tenant", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(config), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte("registry: cluster:mgmt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := Resolve(""); got != "cluster:mgmt" {
		t.Errorf("config file: %q", got)
	}
	t.Setenv(Env, "file:/srv/tenants.yaml")
	if got, _ := Resolve(""); got != "file:/srv/tenants.yaml" {
		t.Errorf("environment over config file: %q", got)
	}
	if got, _ := Resolve("cluster"); got != "cluster" {
		t.Errorf("flag over environment: %q", got)
	}
	t.Setenv(Env, "")
	if err := os.WriteFile(config, []byte("registy: cluster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(""); err == nil || !strings.Contains(err.Error(), "registy") {
		t.Errorf("a misspelt key in the config file: %v, want an error naming it", err)
	}
}
