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
	env := []string{"KUBECONFIG=" + kubeconfig, "KUBECTL_TENANT_REGISTRY=" + reg.Path, "HOME=" + dir, "XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}
	// Files as a user has them most of the time: last changed a while
	// ago, so that the front prints the answer it kept again.
	age := func() error {
		then := time.Now().Add(-time.Hour)
		for _, p := range []string{kubeconfig, reg.Path} {
			if err := os.Chtimes(p, then, then); err != nil {
				return err
			}
		}
		return nil
	}
	// A file just changed: the reader answers.
	touch := func() error {
		now := time.Now()
		for _, p := range []string{kubeconfig, reg.Path} {
			if err := os.Chtimes(p, now, now); err != nil {
				return err
			}
		}
		return nil
	}
	if err := age(); err != nil {
		return err
	}
	time.Sleep(2100 * time.Millisecond) // an answer is kept from files unchanged for 2 s

	type figure struct {
		figure string
		name   string
		args   []string
	}
	contextsList := figure{fmt.Sprintf("contexts list, %d contexts (answer kept)", everydayContexts), bin, []string{"contexts", "list"}}
	getContexts := figure{"kubectl config get-contexts", kubectl, []string{"config", "get-contexts"}}
	list := figure{fmt.Sprintf("list --live=false, file registry of %d tenants (answer kept)", everydayTenants), bin, []string{"list", "--live=false"}}
	get := figure{"get NAME -o yaml, file registry (answer kept)", bin, []string{"get", "t042", "-o", "yaml"}}
	complete := figure{"completion of a tenant name, __complete grant '' (answer kept)", bin, []string{"__complete", "grant", ""}}
	kubectlComplete := figure{"kubectl __complete config use-context ''", kubectl, []string{"__complete", "config", "use-context", ""}}
	version := figure{"engine start (version)", bin, []string{"version"}}

	// Paired: every figure once per round, so that a slow moment of the
	// machine weighs on all of them alike.
	paired := func(prepare func() error, figures ...figure) ([]time.Duration, error) {
		rounds := make([][]time.Duration, len(figures))
		for range everydayRuns {
			for i, f := range figures {
				m, err := measure(1, prepare, f.name, f.args, env)
				if err != nil {
					return nil, err
				}
				rounds[i] = append(rounds[i], m.wall)
			}
		}
		walls := make([]time.Duration, len(figures))
		for i := range figures {
			walls[i] = median(rounds[i])
		}
		return walls, nil
	}
	steady, err := paired(nil, contextsList, getContexts, list, get, complete, kubectlComplete, version)
	if err != nil {
		return err
	}
	fresh, err := paired(touch, contextsList, list, get, complete)
	if err != nil {
		return err
	}
	r.limitDuration(contextsList.figure, steady[0], everydayLimit)
	r.ratio(contextsList.figure, steady[0], steady[1], getContexts.figure, 5)
	r.limitDuration(list.figure, steady[2], everydayLimit)
	r.info("  against", ms(steady[2]), ms(steady[1])+" ("+getContexts.figure+")", fmt.Sprintf("%.1fx faster", float64(steady[1])/float64(steady[2])))
	r.limitDuration(get.figure, steady[3], everydayLimit)
	r.limitDuration(complete.figure, steady[4], everydayLimit)
	r.ratio(complete.figure, steady[4], steady[5], kubectlComplete.figure, 5)
	r.info("  the first answer after a file changed (the reader): contexts list / list / get / completion",
		ms(fresh[0])+" / "+ms(fresh[1])+" / "+ms(fresh[2])+" / "+ms(fresh[3]), "-", "")
	r.limitDuration(version.figure, steady[6], engineStartLimit)
	return nil
}
