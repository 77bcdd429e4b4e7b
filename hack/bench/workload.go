package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// benchWorkload counts what workload-role and addon cost, as a user runs
// them against the local EKS (which stands in for Pod Identity, add-ons
// and per-cluster OIDC issuers): each run's wall time and the AWS calls
// the front saw, reads and writes apart. The writes are pinned: a first
// Pod Identity role takes 4 (the role, its policy, the agent add-on,
// the association), a first IRSA role 3 (the OIDC provider, the role,
// its policy), the EBS CSI add-on 3 (its role, its policy, the add-on);
// running any of them again writes nothing.
func benchWorkload(r *report, bin, dir string) error {
	ctx := context.Background()
	dir = filepath.Join(dir, "workload")
	local, err := testenv.StartLocalEKS(ctx, filepath.Join(dir, "local-eks"))
	if err != nil {
		return fmt.Errorf("starting the local EKS (make testbin builds its control plane; moto_server must be on PATH): %w", err)
	}
	defer local.Stop()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env := append(os.Environ(), append(local.Env(), "HOME="+home, "KUBECONFIG="+filepath.Join(home, ".kube", "config"),
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))...)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, home
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("kubectl tenant %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run("create", "acme", "--region", "us-east-1", "--role-arn", "arn:aws:iam::111111111111:role/platform",
		"--role-arn", "arn:aws:iam::222222222222:role/kubectl-tenant", "--external-id", "acme-x1"); err != nil {
		return err
	}
	const s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	step := func(name string, writes int, args ...string) error {
		seen, before := len(local.Front.Calls()), local.Front.Counts()
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, home
		wall, out, err := timedCmd(cmd)
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		w := 0
		for _, c := range local.Front.Calls()[seen:] {
			action := strings.TrimPrefix(c, "iam ")
			for _, verb := range []string{"Create", "Attach", "Update", "Delete", "Add", "Tag"} {
				if strings.HasPrefix(action, verb) {
					w++
					break
				}
			}
		}
		var calls []string
		total := 0
		for svc, n := range local.Front.Counts() {
			if d := n - before[svc]; d > 0 {
				calls = append(calls, fmt.Sprintf("%s %d", svc, d))
				total += d
			}
		}
		slices.Sort(calls)
		r.info("workload: "+name, ms(wall), "-", fmt.Sprintf("AWS calls %d (%s), of which writes %d", total, strings.Join(calls, ", "), w))
		r.exact("workload: AWS writes of "+name, w, writes)
		return nil
	}
	for _, s := range []struct {
		name   string
		writes int
		args   []string
	}{
		{"workload-role, Pod Identity", 4, []string{"workload-role", "acme", "--serviceaccount", "acme:app", "--policy-arn", s3}},
		{"workload-role, Pod Identity, again", 0, []string{"workload-role", "acme", "--serviceaccount", "acme:app", "--policy-arn", s3}},
		{"workload-role, IRSA", 3, []string{"workload-role", "acme", "--serviceaccount", "acme:ci", "--policy-arn", s3, "--via", "irsa"}},
		{"workload-role, IRSA, again", 0, []string{"workload-role", "acme", "--serviceaccount", "acme:ci", "--policy-arn", s3, "--via", "irsa"}},
		{"addon aws-ebs-csi-driver (waits for ACTIVE)", 3, []string{"addon", "acme", "aws-ebs-csi-driver"}},
		{"addon aws-ebs-csi-driver, again", 0, []string{"addon", "acme", "aws-ebs-csi-driver"}},
	} {
		if err := step(s.name, s.writes, s.args...); err != nil {
			return err
		}
	}
	return nil
}
