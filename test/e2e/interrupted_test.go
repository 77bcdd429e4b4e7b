package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// A create killed at any step, then run again, ends as an uninterrupted
// one does, with one cluster: killed while it waits for the cluster, then
// killed after the tenant is bootstrapped but before it is recorded (the
// registry is locked, so the write cannot happen), then run to the end.
func TestEKSInterruptedCreate(t *testing.T) {
	ctx := context.Background()
	local, u := startLocalEKS(t)
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	args := []string{"create", "acme", "--region", "us-east-1", "--role-arn", hopRole, "--role-arn", acmeRole, "--external-id", "acme-x1"}

	// Run the plugin itself (kubectl would leave it running when killed)
	// until until() holds, then kill it.
	killWhen := func(what string, until func() bool) {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "bin", "kubectl-tenant"), args...)
		var out strings.Builder
		cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = u.env, u.home, &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		for deadline := time.Now().Add(time.Minute); !until(); time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-done:
				t.Fatalf("create ended (%v) before %s:\n%s", err, what, out.String())
			default:
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("create never reached %s:\n%s", what, out.String())
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("create ended before it could be killed %s: %v", what, err)
		}
		<-done
	}

	killWhen("the wait for the cluster", func() bool { return slices.Contains(local.Front.Calls(), "CreateCluster") })
	if _, err := os.Stat(registry); err == nil {
		t.Fatal("killed while waiting, create recorded the tenant")
	}

	lock := registry + ".lock"
	writeFile(t, lock, "")
	killWhen("the record", func() bool {
		plane, err := local.Front.DataPlane("acme")
		if err != nil {
			return false
		}
		client, err := plane.AdminClient()
		if err != nil {
			return false
		}
		_, err = client.RbacV1().ClusterRoleBindings().Get(ctx, "kubectl-tenant:acme:namespaces", metav1.GetOptions{})
		return err == nil
	})
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(registry); err == nil {
		t.Fatal("create recorded the tenant through a locked registry")
	}

	r := u.tenant(args...)
	if !strings.Contains(r.stderr, "by an earlier run: picking it up") || !strings.Contains(r.stderr, "Namespace acme unchanged") {
		t.Errorf("the finishing run:\n%s", r.stderr)
	}

	// As an uninterrupted create ends: one cluster, the roles known as the
	// plugin's (so delete --delete-cluster removes them), the context, the
	// namespace.
	cfg, err := aws.NewIdentity("", "us-east-1", "", 0, []string{hopRole, acmeRole}, "acme-x1").Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names, err := aws.ListClusters(ctx, cfg); err != nil || !slices.Equal(names, []string{"acme"}) {
		t.Errorf("clusters after the interrupted creates: %v %v", names, err)
	}
	reg, err := tenant.OpenRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := reg.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if eks := rec.Spec.Cluster.EKS; !eks.CreatedByPlugin || !eks.ClusterRoleCreated || eks.ARN == "" || rec.Status.Server == "" || !slices.Equal(rec.Spec.Namespaces, []string{"acme"}) {
		t.Errorf("the record after the interrupted creates: %+v %+v", rec.Spec, rec.Status)
	}
	u.kubectl("--context", "acme", "get", "namespace", "acme")
}
