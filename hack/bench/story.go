package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// benchStory runs the product's story on the local EKS as a user runs it,
// one process after another from a clean HOME: create a tenant's cluster
// with a node group through a two-role chain, grant an IAM role edit,
// write its kubeconfig, and its first kubectl call through the exec
// plugin. Each step's wall time is reported with the AWS calls it made (by
// service, as the local EKS's front saw them) and the Kubernetes calls
// (the apiserver's audit log, requests from kubectl and kubectl-tenant).
// There is no anchor: the figures are for reading, and for noticing when
// a change adds calls.
func benchStory(r *report, bin, dir string) error {
	ctx := context.Background()
	local, err := testenv.StartLocalEKS(ctx, filepath.Join(dir, "local-eks"))
	if err != nil {
		return fmt.Errorf("starting the local EKS (make testbin builds its control plane; moto_server must be on PATH): %w", err)
	}
	defer local.Stop()
	home := filepath.Join(dir, "story-home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env := append(local.Env(), "HOME="+home, "KUBECONFIG=", "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	const dev = "arn:aws:iam::222222222222:role/acme-dev"
	devConfig := filepath.Join(home, "dev.yaml")
	steps := []struct {
		name string
		cmd  []string
	}{
		{"create (EKS cluster, 2-node group, bootstrap)", []string{bin, "create", "acme", "--region", "us-east-1", "--role-arn", "arn:aws:iam::111111111111:role/platform",
			"--role-arn", "arn:aws:iam::222222222222:role/kubectl-tenant", "--external-id", "acme-x1", "--nodegroup", "ng", "--nodes", "2"}},
		{"grant --iam-role --role edit (access entry)", []string{bin, "grant", "acme", "--iam-role", dev, "--role", "edit"}},
		{"kubeconfig --iam-role --minify", []string{bin, "kubeconfig", "acme", "--iam-role", dev, "--minify", "--output-file", devConfig}},
		{"first kubectl call as the role (exec plugin)", []string{"kubectl", "--kubeconfig", devConfig, "get", "pods", "-n", "acme"}},
	}
	for _, s := range steps {
		awsBefore, kubeBefore := local.Front.Counts(), kubeCalls(local)
		cmd := exec.Command(s.cmd[0], s.cmd[1:]...)
		cmd.Env, cmd.Dir = append(os.Environ(), env...), home
		wall, out, err := timedCmd(cmd)
		if err != nil {
			return fmt.Errorf("story step %q: %v\n%s", s.name, err, out)
		}
		awsAfter := local.Front.Counts()
		var calls []string
		total := 0
		for _, svc := range slices.Sorted(maps.Keys(awsAfter)) {
			if n := awsAfter[svc] - awsBefore[svc]; n > 0 {
				calls = append(calls, fmt.Sprintf("%s %d", svc, n))
				total += n
			}
		}
		r.info("story: "+s.name, ms(wall), "-", fmt.Sprintf("AWS %d (%s), Kubernetes %d", total, strings.Join(calls, ", "), kubeCalls(local)-kubeBefore))
	}
	return nil
}

// kubeCalls counts the requests kubectl and kubectl-tenant made of the
// story's cluster so far (0 before it exists).
func kubeCalls(local *testenv.LocalEKS) int {
	cp, err := local.Front.DataPlane("acme")
	if err != nil {
		return 0
	}
	events, err := cp.AuditEvents()
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e.UserAgent, "kubectl") {
			n++
		}
	}
	return n
}
