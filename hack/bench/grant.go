package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

const grantNamespaces = 200

// benchGrant: grant one subject on 200 namespaces against a real local
// apiserver, whole process, then the same grant again, which must write
// nothing.
func benchGrant(r *report, bin, dir string) error {
	cp, err := testenv.StartControlPlane(context.Background(), filepath.Join(dir, "controlplane"), testenv.Options{})
	if err != nil {
		return fmt.Errorf("starting the control plane (make testbin builds it): %w", err)
	}
	defer cp.Stop()
	env := []string{"KUBECONFIG=" + cp.AdminKubeconfig, "KUBECTL_TENANT_REGISTRY=" + filepath.Join(dir, "tenants.yaml")}

	create := []string{"create", "bench", "--from-context", "admin"}
	for i := range grantNamespaces {
		create = append(create, "--namespace", fmt.Sprintf("bench-%03d", i))
	}
	if _, _, err := timed(bin, create, env); err != nil {
		return err
	}
	grant := []string{"grant", "bench", "--user", "someone@example.com", "--role", "view"}
	first, out, err := timed(bin, grant, env)
	if err != nil {
		return err
	}
	firstWrites, err := writesIn(out)
	if err != nil {
		return err
	}
	again, out, err := timed(bin, grant, env)
	if err != nil {
		return err
	}
	againWrites, err := writesIn(out)
	if err != nil {
		return err
	}
	r.limitDuration(fmt.Sprintf("grant 1 subject on %d namespaces (%d writes)", grantNamespaces, firstWrites), first, 2*time.Second)
	r.limitDuration("  the same grant again", again, 2*time.Second)
	r.limitCount("  writes of the repeated grant", againWrites, 1)
	return nil
}

func timed(bin string, args, env []string) (time.Duration, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	wall, out, err := timedCmd(cmd)
	if err != nil {
		return 0, "", fmt.Errorf("%s %v: %v\n%s", bin, shorten(args), err, out)
	}
	return wall, out, nil
}

// timedCmd runs cmd and returns its wall time and combined output.
func timedCmd(cmd *exec.Cmd) (time.Duration, string, error) {
	start := time.Now()
	out, err := cmd.CombinedOutput()
	return time.Since(start), string(out), err
}

var writtenRE = regexp.MustCompile(`\((\d+) objects written\)`)

func writesIn(out string) (int, error) {
	m := writtenRE.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("grant did not report its writes:\n%s", out)
	}
	return strconv.Atoi(m[1])
}
