// Package handoff passes a command line from one of the plugin's binaries
// to another: the front to the reader, the signer or the engine, the
// reader to the engine. It links the standard library alone, since the
// front runs before every kubectl call of a generated kubeconfig.
package handoff

import (
	"errors"
	"os"
	"path/filepath"
)

// The plugin's binaries besides the front.
const (
	Engine = "kubectl-tenant-engine"
	Signer = "kubectl-tenant-signer"
	Reader = "kubectl-tenant-reader"
)

// Find locates one of the plugin's binaries: beside the running one (a
// krew package, bin/, or libexec/ for the reader's engine), or in
// ../libexec/kubectl-tenant/ (make install).
func Find(name string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	dir := filepath.Dir(self)
	for _, c := range []string{
		filepath.Join(dir, name+exeSuffix),
		filepath.Join(dir, "..", "libexec", "kubectl-tenant", name+exeSuffix),
	} {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	return "", errors.New(name + " not found beside " + self + " or in ../libexec/kubectl-tenant/: reinstall kubectl-tenant")
}

// To runs the binary name with args in place of this process and exits
// with its code. It returns only when that cannot be done, with the cause.
func To(name string, args []string) error {
	bin, err := Find(name)
	if err != nil {
		return err
	}
	code, err := run(bin, args)
	if err != nil {
		return errors.New("starting " + bin + ": " + err.Error())
	}
	os.Exit(code)
	return nil
}
