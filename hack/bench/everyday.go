package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

const (
	everydayContexts = 50
	everydayTenants  = 100
	everydayRuns     = 21
	everydayLimit    = 20 * time.Millisecond
	engineStartLimit = 30 * time.Millisecond
)

// benchEveryday: the commands a platform engineer runs dozens of times an
// hour, as whole processes (the front, and what it hands them to), paired
// in one run with kubectl's nearest commands on the same files.
func benchEveryday(r *report, bin, kubectl, dir string) error {
	dir = filepath.Join(dir, "everyday")
	kubeconfig := filepath.Join(dir, "kubeconfig")
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n")
	for i := range everydayContexts {
		fmt.Fprintf(&b, "- name: cluster-%d\n  cluster:\n    server: https://%d.example.com:6443\n    certificate-authority-data: %s\n", i, i, "Y2EtZGF0YQ==")
	}
	b.WriteString("users:\n")
	for i := range everydayContexts {
		fmt.Fprintf(&b, "- name: user-%d\n  user:\n    token: token-%d\n", i, i)
	}
	b.WriteString("contexts:\n")
	for i := range everydayContexts {
		fmt.Fprintf(&b, "- name: ctx-%d\n  context:\n    cluster: cluster-%d\n    user: user-%d\n    namespace: ns-%d\n", i, i, i, i)
	}
	b.WriteString("current-context: ctx-0\n")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfig, []byte(b.String()), 0o600); err != nil {
		return err
	}
	reg := &tenant.FileRegistry{Path: filepath.Join(dir, "tenants.yaml")}
	if err := putTenants(reg, everydayTenants, func(i int) string { return fmt.Sprintf("ctx-%d", i%everydayContexts) }); err != nil {
		return err
	}
	env := []string{"KUBECONFIG=" + kubeconfig, "KUBECTL_TENANT_REGISTRY=" + reg.Path, "HOME=" + dir}

	figures := []struct {
		figure string
		name   string
		args   []string
	}{
		{fmt.Sprintf("contexts list, %d contexts", everydayContexts), bin, []string{"contexts", "list"}},
		{"kubectl config get-contexts", kubectl, []string{"config", "get-contexts"}},
		{fmt.Sprintf("list --live=false, file registry of %d tenants", everydayTenants), bin, []string{"list", "--live=false"}},
		{"get NAME -o yaml, file registry", bin, []string{"get", "t042", "-o", "yaml"}},
		{"completion of a tenant name (__complete grant '')", bin, []string{"__complete", "grant", ""}},
		{"kubectl __complete config use-context ''", kubectl, []string{"__complete", "config", "use-context", ""}},
		{"engine start (version)", bin, []string{"version"}},
	}
	walls := make([]time.Duration, len(figures))
	// Paired: every figure once per round, so that a slow moment of the
	// machine weighs on all of them alike.
	rounds := make([][]time.Duration, len(figures))
	for range everydayRuns {
		for i, f := range figures {
			m, err := measure(1, nil, f.name, f.args, env)
			if err != nil {
				return err
			}
			rounds[i] = append(rounds[i], m.wall)
		}
	}
	for i := range figures {
		walls[i] = median(rounds[i])
	}
	contexts, getContexts, list, get, complete, kubectlComplete, version := walls[0], walls[1], walls[2], walls[3], walls[4], walls[5], walls[6]
	r.limitDuration(figures[0].figure, contexts, everydayLimit)
	r.ratio(figures[0].figure, contexts, getContexts, figures[1].figure, 5)
	r.limitDuration(figures[2].figure, list, everydayLimit)
	r.info("  against", ms(list), ms(getContexts)+" ("+figures[1].figure+")", fmt.Sprintf("%.1fx faster", float64(getContexts)/float64(list)))
	r.limitDuration(figures[3].figure, get, everydayLimit)
	r.limitDuration(figures[4].figure, complete, everydayLimit)
	r.ratio(figures[4].figure, complete, kubectlComplete, figures[5].figure, 5)
	r.limitDuration(figures[6].figure, version, engineStartLimit)
	return nil
}
