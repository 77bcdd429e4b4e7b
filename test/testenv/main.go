package testenv

import (
	"context"
	"fmt"
	"os"
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
