package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
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

const (
	listTenants  = 100
	listClusters = 10
	listTimeout  = 3 * time.Second
)

// benchList: list with live status over 100 tenants on 10 clusters, one
// of which accepts connections and never answers (a blackholed loopback
// port). The other nine are contexts of one local apiserver, each its own
// cluster entry, so that each is connected to and read on its own.
// The list must return within the per-cluster timeout plus a small
// constant.
func benchList(r *report, bin, dir string) error {
	dir = filepath.Join(dir, "list")
	cp, err := testenv.StartControlPlane(context.Background(), filepath.Join(dir, "controlplane"), testenv.Options{})
	if err != nil {
		return fmt.Errorf("starting the control plane (make testbin builds it): %w", err)
	}
	defer cp.Stop()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer dead.Close()

	cfg, err := clientcmd.LoadFromFile(cp.AdminKubeconfig)
	if err != nil {
		return err
	}
	admin := cfg.Contexts["admin"]
	reg := &tenant.FileRegistry{Path: filepath.Join(dir, "tenants.yaml")}
	for c := range listClusters {
		name := fmt.Sprintf("cluster-%d", c)
		cluster := *cfg.Clusters[admin.Cluster]
		if c == listClusters-1 {
			cluster = clientcmdapi.Cluster{Server: "https://" + dead.Addr().String(), InsecureSkipTLSVerify: true}
		}
		cfg.Clusters[name] = &cluster
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: admin.AuthInfo}
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		return err
	}
	if err := putTenants(reg, listTenants, func(i int) string { return fmt.Sprintf("cluster-%d", i%listClusters) }); err != nil {
		return err
	}
	env := []string{"KUBECONFIG=" + kubeconfig, "KUBECTL_TENANT_REGISTRY=" + reg.Path, "HOME=" + dir}
	wall, out, err := timed(bin, []string{"list", "--cluster-timeout", listTimeout.String()}, env)
	if err != nil {
		return err
	}
	if got := strings.Count(out, "no: no answer within "+listTimeout.String()); got != listTenants/listClusters {
		return fmt.Errorf("list shows %d tenants unreachable, want %d:\n%s", got, listTenants/listClusters, out)
	}
	r.limitDuration(fmt.Sprintf("list %d tenants on %d clusters, 1 silent (timeout %s)", listTenants, listClusters, listTimeout), wall, listTimeout+3*time.Second)
	return nil
}

// putTenants records n tenants t000, t001... in reg, each with two
// namespaces and a group's grant, on the context contextOf(i) names.
func putTenants(reg *tenant.FileRegistry, n int, contextOf func(i int) string) error {
	for i := range n {
		t := tenant.New(fmt.Sprintf("t%03d", i))
		t.Spec.Cluster.Context = contextOf(i)
		t.Spec.Namespaces = []string{t.Name, t.Name + "-ci"}
		t.Spec.Grants = []tenant.Grant{{Subject: tenant.Subject{Kind: tenant.SubjectGroup, Name: t.Name + "-devs"}, Role: "view"}}
		if err := reg.Put(context.Background(), t); err != nil {
			return err
		}
	}
	return nil
}
