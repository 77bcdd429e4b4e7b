// Package handoff passes a command line from one of the plugin's binaries
// to another: the front to the reader, the signer or the engine, the
// reader to the engine. It links the standard library alone, since the
// front runs before every kubectl call of a generated kubeconfig.
package handoff

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
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
//
// The engine and the signer start with the garbage collector off: their
// packages allocate a few megabytes as they initialise, enough to start a
// collection, and with it the collector's threads, in the middle of every
// command's start (about 10 ms of the engine's). The runtime reads GOGC
// before any package initialises, so it is set here, unless the user set
// it, and RestoreGC turns the collector back on once main runs.
func To(name string, args []string) error {
	bin, err := Find(name)
	if err != nil {
		return err
	}
	if (name == Engine || name == Signer) && os.Getenv("GOGC") == "" {
		os.Setenv("GOGC", "off")
		os.Setenv(gcOffEnv, "1")
	}
	code, err := run(bin, args)
	if err != nil {
		return errors.New("starting " + bin + ": " + err.Error())
	}
	os.Exit(code)
	return nil
}

// gcOffEnv marks a GOGC=off that To set, not the user.
const gcOffEnv = "KUBECTL_TENANT_GC_OFF_FOR_INIT"

// RestoreGC turns the garbage collector back on in a binary To started
// with it off, with the runtime's default, and takes the setting out of
// the environment its own children (exec credential plugins) get. A
// binary's main calls it first.
func RestoreGC() {
	if os.Getenv(gcOffEnv) == "" {
		return
	}
	os.Unsetenv("GOGC")
	os.Unsetenv(gcOffEnv)
	debug.SetGCPercent(100)
}
