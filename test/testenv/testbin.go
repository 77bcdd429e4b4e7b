// Package testenv starts the real components that integration tests run
// against: etcd and kube-apiserver on loopback, and moto for AWS. Nothing
// here is a mock. A missing component is an error that says how to get it;
// tests never skip for want of one.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Version names the pinned control-plane build; the binaries live in a
// directory of that name so that a new pin never reuses old binaries.
// Keep in step with hack/tools/apiserver and hack/tools/etcd.
const Version = "k8s-v1.36.3-etcd-v3.6.6"

// BinDir is where `make testbin` puts kube-apiserver and etcd:
// $KUBECTL_TENANT_TESTBIN, or the user's cache directory, which survives
// fresh clones.
func BinDir() string {
	if d := os.Getenv("KUBECTL_TENANT_TESTBIN"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "kubectl-tenant", "testbin", Version)
}

// testBinary returns the path of a control-plane binary built by make testbin.
func testBinary(name string) (string, error) {
	p := filepath.Join(BinDir(), name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found at %s: run `make testbin` to build it (about 4 minutes the first time)", name, p)
	}
	return p, nil
}

// Kubectl returns the path of the real kubectl.
func Kubectl() (string, error) {
	p, err := exec.LookPath("kubectl")
	if err != nil {
		return "", fmt.Errorf("kubectl not found on PATH: install it (Debian: apt-get install kubectl, or see https://kubernetes.io/docs/tasks/tools/)")
	}
	return p, nil
}
