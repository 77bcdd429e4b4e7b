package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

const applyTenants = 100

// benchApply: apply -f of a directory of 100 tenants (2 namespaces and 3
// grants each) with the registry in the same local apiserver, whole
// process; then the same apply again, which must write nothing: the
// apiserver's audit log counts the plugin's writes.
func benchApply(r *report, bin, dir string) error {
	dir = filepath.Join(dir, "apply")
	cp, err := testenv.StartControlPlane(context.Background(), filepath.Join(dir, "controlplane"), testenv.Options{Audit: true})
	if err != nil {
		return fmt.Errorf("starting the control plane (make testbin builds it): %w", err)
	}
	defer cp.Stop()
	env := []string{"KUBECONFIG=" + cp.AdminKubeconfig, "KUBECTL_TENANT_REGISTRY=cluster", "HOME=" + dir}
	if _, _, err := timed(bin, []string{"init"}, env); err != nil {
		return err
	}
	docs := filepath.Join(dir, "tenants")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		return err
	}
	for i := range applyTenants {
		name := fmt.Sprintf("t%03d", i)
		doc := fmt.Sprintf(`apiVersion: tenancy.kubectl-tenant.io/v1alpha1
kind: Tenant
metadata: {name: %[1]s}
spec:
  cluster: {context: admin}
  namespaces: [%[1]s, %[1]s-ci]
  grants:
  - {subject: {kind: ServiceAccount, namespace: %[1]s, name: deployer}, role: edit}
  - {subject: {kind: Group, name: %[1]s-devs}, role: view}
  - {subject: {kind: User, name: lead@%[1]s.example.com}, role: admin, namespaces: [%[1]s-ci]}
`, name)
		if err := os.WriteFile(filepath.Join(docs, name+".yaml"), []byte(doc), 0o644); err != nil {
			return err
		}
	}
	apply := []string{"apply", "-f", docs}
	first, out, err := timed(bin, apply, env)
	if err != nil {
		return err
	}
	if got := verdicts(out, "created"); got != applyTenants {
		return fmt.Errorf("apply created %d tenants, want %d:\n%s", got, applyTenants, out)
	}
	events, err := cp.AuditEvents()
	if err != nil {
		return err
	}
	mark := len(events)
	firstWrites := pluginWrites(events)
	again, out, err := timed(bin, apply, env)
	if err != nil {
		return err
	}
	if got := verdicts(out, "unchanged"); got != applyTenants {
		return fmt.Errorf("the second apply left %d tenants unchanged, want %d:\n%s", got, applyTenants, out)
	}
	if events, err = cp.AuditEvents(); err != nil {
		return err
	}
	r.limitDuration(fmt.Sprintf("apply -f %d tenants (%d writes)", applyTenants, firstWrites), first, 60*time.Second)
	r.limitDuration("  the same apply again", again, 15*time.Second)
	r.exact("  writes of the repeated apply", pluginWrites(events[mark:]), 0)
	return nil
}

// verdicts counts the tenants apply reports with verdict.
func verdicts(out, verdict string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "tenant.tenancy.kubectl-tenant.io/") && strings.HasSuffix(line, " "+verdict) {
			n++
		}
	}
	return n
}

// pluginWrites counts the writes the admin user (the plugin, here) made.
func pluginWrites(events []testenv.AuditEvent) int {
	n := 0
	for _, e := range events {
		if e.User.Username == "admin" && slices.Contains([]string{"create", "update", "patch", "delete"}, e.Verb) {
			n++
		}
	}
	return n
}
