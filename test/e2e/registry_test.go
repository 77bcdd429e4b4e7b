package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The registry moves from the file to a management cluster: migrate
// copies 50 records with nothing lost or changed (a dry run first, which
// copies nothing), a second run changes nothing, a record the cluster
// holds differently is not overwritten, and every way of naming the
// registry (flag, environment, config file) reaches the same records.
func TestRegistryMigrateToCluster(t *testing.T) {
	u := newUser(t)
	writeFile(t, filepath.Join(u.home, ".kube", "config"), readFile(t, cp.AdminKubeconfig))
	u.tenant("init")
	t.Cleanup(func() { u.run("kubectl", "delete", "tenants", "--all") })

	file := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	reg, err := tenant.OpenRegistry(file)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		rec := tenant.New(fmt.Sprintf("mig-%02d", i))
		rec.Spec = tenant.Spec{
			Cluster:    tenant.Cluster{Context: "workload", Server: "https://workload.example.com"},
			AWS:        &tenant.AWS{Region: "eu-west-1", RoleARNs: []string{"arn:aws:iam::111122223333:role/platform"}, ExternalID: fmt.Sprintf("x-%d", i)},
			Namespaces: []string{rec.Name, rec.Name + "-ci"},
			Grants: []tenant.Grant{
				{Subject: tenant.Subject{Kind: tenant.SubjectServiceAccount, Name: "deployer", Namespace: rec.Name}, Role: "edit"},
				{Subject: tenant.Subject{Kind: tenant.SubjectIAMRole, Name: "arn:aws:iam::111122223333:role/dev"}, Role: "view", Via: tenant.ViaAccessEntry, Namespaces: []string{rec.Name + "-ci"}},
			},
		}
		rec.Status = tenant.Status{KubernetesVersion: "v1.36.3", AuthenticationMode: "API_AND_CONFIG_MAP", CAData: []byte{0, 1, 2, byte(i)}}
		if err := reg.Put(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	fileBefore := readFile(t, file)
	inCluster := func() int {
		t.Helper()
		return strings.Count(u.kubectl("get", "tenants", "-o", "name"), "/mig-")
	}

	// A typo is not a file of that name in the working directory.
	if stderr := u.tenantFails("registry", "migrate", "--to", "clustr"); !strings.Contains(stderr, `--to: registry "clustr" is neither a cluster nor a file`) {
		t.Errorf("migrate --to clustr: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(u.home, "clustr")); err == nil {
		t.Error("migrate --to clustr wrote a file clustr")
	}
	for _, dryRun := range []string{"--dry-run=client", "--dry-run=server"} {
		out := u.tenant("registry", "migrate", "--to", "cluster", dryRun).stdout
		if strings.Count(out, "copied (dry run)") != n || inCluster() != 0 {
			t.Fatalf("%s: %d would be copied, %d are in the cluster; want %d and 0:\n%s", dryRun, strings.Count(out, "copied (dry run)"), inCluster(), n, out)
		}
	}
	start := time.Now()
	out := u.tenant("registry", "migrate", "--to", "cluster").stdout
	t.Logf("migrating %d records took %s", n, time.Since(start))
	if strings.Count(out, " copied\n") != n || inCluster() != n {
		t.Fatalf("migrate copied %d, the cluster holds %d; want %d:\n%s", strings.Count(out, " copied\n"), inCluster(), n, out)
	}
	versions := u.kubectl("get", "tenants", "-o", "jsonpath={.items[*].metadata.resourceVersion}")

	// The same records through each way of naming a registry.
	fromFile := listed(t, u.tenant("list", "-o", "json").stdout)
	fromCluster := listed(t, u.tenant("list", "--registry", "cluster", "-o", "json").stdout)
	fromEnv := listed(t, u.with("KUBECTL_TENANT_REGISTRY=cluster:admin").tenant("list", "-o", "json").stdout)
	writeFile(t, filepath.Join(u.home, ".config", "kubectl-tenant", "config.yaml"), "registry: cluster\n")
	fromConfig := listed(t, u.tenant("list", "-o", "json").stdout)
	backToFile := listed(t, u.tenant("list", "--registry", "file:"+file, "-o", "json").stdout)
	if len(fromFile) != n {
		t.Fatalf("the file lists %d tenants, want %d", len(fromFile), n)
	}
	for name, want := range fromFile {
		for via, got := range map[string]map[string]string{"--registry cluster": fromCluster, "$KUBECTL_TENANT_REGISTRY": fromEnv, "the config file": fromConfig, "--registry file:": backToFile} {
			if got[name] != want {
				t.Errorf("%s through %s:\n  %s\nwant (the file's)\n  %s", name, via, got[name], want)
			}
		}
	}
	if got := u.tenant("get", "mig-07", "-o", "jsonpath={.spec.aws.externalID}").stdout; got != "x-7" {
		t.Errorf("get through the config file's cluster registry: %q", got)
	}

	// Again: nothing to do, nothing written, the file as it was.
	out = u.tenant("registry", "migrate", "--to", "cluster", "--registry", "file:"+file).stdout
	if strings.Count(out, " unchanged\n") != n {
		t.Errorf("a second migrate:\n%s", out)
	}
	if again := u.kubectl("get", "tenants", "-o", "jsonpath={.items[*].metadata.resourceVersion}"); again != versions {
		t.Errorf("a second migrate wrote to the cluster: resourceVersions %s, then %s", versions, again)
	}
	if readFile(t, file) != fileBefore {
		t.Error("migrate changed the source file")
	}

	// A record the cluster holds otherwise is kept, and named.
	u.kubectl("patch", "tenant", "mig-03", "--type", "merge", "-p", `{"spec":{"namespaces":["mig-03","mig-03-ci","mig-03-extra"]}}`)
	r := u.run("kubectl", "tenant", "registry", "migrate", "--to", "cluster", "--registry", "file:"+file)
	if r.err == nil || !strings.Contains(r.stderr, "mig-03") {
		t.Errorf("migrate over a differing record: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if got := u.kubectl("get", "tenant", "mig-03", "-o", "jsonpath={.spec.namespaces}"); !strings.Contains(got, "mig-03-extra") {
		t.Errorf("migrate overwrote the cluster's mig-03: %s", got)
	}
}

// listed reads `kubectl tenant list -o json` as each tenant's spec and
// status, by name.
func listed(t *testing.T, out string) map[string]string {
	t.Helper()
	var list tenant.List
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list -o json: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, rec := range list.Items {
		data, err := json.Marshal(struct {
			Spec   tenant.Spec
			Status tenant.Status
		}{rec.Spec, rec.Status})
		if err != nil {
			t.Fatal(err)
		}
		m[rec.Name] = string(data)
	}
	return m
}
