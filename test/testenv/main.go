package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// RunWithControlPlane is a TestMain body: it starts one control plane for
// the test package, stores it in *cp, runs the tests and stops it. If the
// control plane cannot start, the package fails with the reason.
func RunWithControlPlane(m *testing.M, opts Options, cp **ControlPlane) int {
	started, err := StartControlPlane(context.Background(), "", opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting the test control plane: %v\n", err)
		return 1
	}
	*cp = started
	defer started.Stop()
	return m.Run()
}

// RunWithMoto is a TestMain body: it starts moto for the test package,
// stores it in *m (nil: not kept), points the AWS SDK at it through the
// environment, runs the tests and stops it. If moto cannot start, the
// package fails with the reason.
func RunWithMoto(tm *testing.M, m **Moto) int {
	dir, err := os.MkdirTemp("", "kubectl-tenant-moto-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	started, err := StartMoto(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: starting moto:", err)
		return 1
	}
	defer started.Stop()
	if m != nil {
		*m = started
	}
	for _, kv := range started.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	return tm.Run()
}
