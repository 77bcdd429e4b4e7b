package cmd

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Every command is built the same way: help with a description and
// examples, tenant names completed wherever one is taken, kubectl's
// --dry-run on everything that changes something, and kubectl's -o on
// everything that prints objects.
func TestCommandsAreBuiltOneWay(t *testing.T) {
	changing := map[string]bool{
		"create": true, "delete": true, "grant": true, "revoke": true, "kubeconfig": true,
		"aws-auth restore": true, "aws-auth migrate": true, "contexts merge": true, "contexts remove": true, "bootstrap iam": true, "init": true, "registry migrate": true, "apply": true, "role create": true, "role delete": true, "workload-role": true, "addon": true,
	}
	printing := map[string]bool{
		"create": true, "grant": true, "get": true, "list": true, "access": true, "kubeconfig": true,
		"contexts list": true, "contexts extract": true, "version": true, "init": true, "role create": true, "workload-role": true, "addon": true,
	}
	var seen []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		name := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "kubectl tenant"), " ")
		if c.Long == "" || c.Example == "" {
			t.Errorf("%q lacks Long or Example help", c.CommandPath())
		}
		if strings.Contains(c.Use, "TENANT") && c.ValidArgsFunction == nil {
			t.Errorf("%q takes a TENANT but does not complete tenant names", c.CommandPath())
		}
		if f := c.Flags().Lookup("dry-run"); (f != nil) != changing[name] {
			t.Errorf("%q: --dry-run present %v, want %v", c.CommandPath(), f != nil, changing[name])
		} else if f != nil && (f.NoOptDefVal != "unchanged" || f.DefValue != "none") {
			t.Errorf("%q: --dry-run is not kubectl's flag (default %q, alone %q)", c.CommandPath(), f.DefValue, f.NoOptDefVal)
		}
		if f := c.Flags().ShorthandLookup("o"); (f != nil) != printing[name] || f != nil && f.Name != "output" {
			t.Errorf("%q: -o is %v, want an output format: %v", c.CommandPath(), f, printing[name])
		}
		seen = append(seen, name)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(NewCmdTenant(genericiooptions.NewTestIOStreamsDiscard()))
	for _, name := range []string{"help", "completion", "completion bash", "completion zsh", "completion fish", "completion powershell"} {
		if !strings.Contains(","+strings.Join(seen, ",")+",", ","+name+",") {
			t.Errorf("no command %q", name)
		}
	}
	for name := range changing {
		if !strings.Contains(strings.Join(seen, ","), name) {
			t.Errorf("no command %q", name)
		}
	}
}
