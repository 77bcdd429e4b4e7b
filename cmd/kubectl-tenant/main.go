// Command kubectl-tenant is the kubectl plugin `kubectl tenant`: a lean
// front. kubectl runs it before requests as the exec plugin of generated
// kubeconfigs, so it answers a token from the cache with the standard
// library alone. An IAM token the cache cannot answer it hands to
// kubectl-tenant-signer; anything else to kubectl-tenant-engine, the full
// command. It replaces itself with them (exec), finding them beside itself
// (a krew package, bin/) or in ../libexec/kubectl-tenant/ (make install).
// On Windows, which has no exec, it runs them as a child instead.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

const (
	// completionHelper is the name kubectl (1.26 and later) looks for on
	// PATH to complete a plugin's arguments.
	completionHelper = "kubectl_complete-tenant"
	engineName       = "kubectl-tenant-engine"
	signerName       = "kubectl-tenant-signer"
)

func main() {
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == completionHelper {
		args = append([]string{"__complete"}, args...)
	}
	next := engineName
	if len(args) > 0 && args[0] == "token" {
		if token.ServeWarm(args[1:], os.Stdout) {
			return
		}
		if _, ok := token.ParseIAMArgs(args[1:]); ok {
			next = signerName
		}
	}
	bin, err := find(next)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	code, err := run(bin, args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: starting %s: %v\n", bin, err)
		os.Exit(1)
	}
	os.Exit(code)
}

// find locates one of the plugin's own binaries.
func find(name string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	dir := filepath.Dir(self)
	candidates := []string{
		filepath.Join(dir, name),
		filepath.Join(dir, "..", "libexec", "kubectl-tenant", name),
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	return "", errors.New(name + " not found beside " + self + " or in ../libexec/kubectl-tenant/: reinstall kubectl-tenant")
}
