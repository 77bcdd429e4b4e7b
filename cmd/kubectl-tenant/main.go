// Command kubectl-tenant is the kubectl plugin `kubectl tenant`: a lean
// front. kubectl runs it before requests as the exec plugin of generated
// kubeconfigs, so it answers a token from the cache with the standard
// library alone; for anything else it replaces itself with
// kubectl-tenant-engine, the full command, which it finds beside itself
// (a krew package, bin/) or in ../libexec/kubectl-tenant/ (make install).
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

const (
	// completionHelper is the name kubectl (1.26 and later) looks for on
	// PATH to complete a plugin's arguments.
	completionHelper = "kubectl_complete-tenant"
	engineName       = "kubectl-tenant-engine"
	// EngineEnv overrides where the engine is.
	engineEnv = "KUBECTL_TENANT_ENGINE"
)

func main() {
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == completionHelper {
		args = append([]string{"__complete"}, args...)
	}
	if len(args) > 0 && args[0] == "token" && token.ServeWarm(args[1:], os.Stdout) {
		return
	}
	engine, err := findEngine()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	err = syscall.Exec(engine, append([]string{engine}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, "error: starting %s: %v\n", engine, err)
	os.Exit(1)
}

func findEngine() (string, error) {
	if p := os.Getenv(engineEnv); p != "" {
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	dir := filepath.Dir(self)
	candidates := []string{
		filepath.Join(dir, engineName),
		filepath.Join(dir, "..", "libexec", "kubectl-tenant", engineName),
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	return "", errors.New(engineName + " not found beside " + self + " or in ../libexec/kubectl-tenant/: reinstall kubectl-tenant (or set " + engineEnv + ")")
}
