package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Every command that changes something, run with --dry-run=client and
// --dry-run=server, changes nothing anywhere: the registry file, the
// kubeconfig files, the cluster's objects (by resourceVersion), moto's
// state (its /moto-api/data.json, and its EKS clusters, which data.json
// leaves out) and the access entries, to which a dry run makes read calls
// only. EKS is the local EKS (moto behind testenv's EKS front, which
// serves the access entries moto lacks and gives clusters a data plane).
func TestDryRunChangesNothing(t *testing.T) {
	local, u := startLocalEKS(t)
	moto, front := local.Moto, local.Front
	kubeconfig := filepath.Join(u.home, ".kube", "config")
	writeFile(t, kubeconfig, readFile(t, cp.AdminKubeconfig))
	registry := filepath.Join(u.home, ".config", "kubectl-tenant", "tenants.yaml")
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	seedAWSAuth(t, map[string]string{"mapRoles": eksAWSAuth})

	// What there is to change: a tenant on the cluster with a grant; an
	// EKS tenant in moto, through a role chain; an EKS tenant whose data
	// plane is the test cluster, with a principal on each channel (and so
	// an aws-auth backup); and a file to merge.
	const (
		dev    = "arn:aws:iam::444455556666:role/dr-dev"
		ci     = "arn:aws:iam::444455556666:role/dr-ci"
		viewer = "arn:aws:iam::444455556666:role/dr-viewer"
	)
	chain := []string{"--region", "eu-west-1", "--role-arn", "arn:aws:iam::111111111111:role/platform",
		"--role-arn", "arn:aws:iam::222222222222:role/tenant-dr", "--external-id", "dr-x1"}
	u.tenant("create", "drp", "--from-context", "admin", "--namespace", "drp")
	u.tenant("grant", "drp", "--serviceaccount", "builder", "--role", "edit")
	u.tenant(append([]string{"create", "dre"}, chain...)...)
	putRecord(t, registry, "drae", "dr-prod")
	u.tenant("grant", "drae", "--iam-role", dev, "--role", "edit")
	u.tenant("grant", "drae", "--iam-role", ci, "--role", "view", "--via", "aws-auth")
	incoming := filepath.Join(u.home, "incoming.yaml")
	writeFile(t, incoming, `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: "https://other.example:6443"}
users:
- name: other
  user: {token: x}
contexts:
- name: other
  context: {cluster: other, user: other}
`)
	if u.kubectl("config", "get-contexts", "-o", "name") == "" {
		t.Fatal("no contexts to work with")
	}

	// moto's data.json is 18 MB once EC2 and IAM are loaded (6 s a
	// read), so it is compared for the commands that call moto (the front
	// serves access entries itself); every command gets the rest.
	snapshot := func(withMoto bool) state {
		s := state{
			Registry:      readFile(t, registry),
			Kubeconfig:    readFile(t, kubeconfig),
			Objects:       clusterObjects(t, client),
			EKSClusters:   eksClusters(t),
			AccessEntries: front.Entries(),
		}
		if withMoto {
			s.Moto = motoState(t, moto.URL)
		}
		return s
	}
	commands := []struct {
		args []string
		moto bool // it calls moto
	}{
		{[]string{"create", "drn", "--from-context", "admin", "--namespace", "drn"}, false},
		{append([]string{"create", "dre2", "--nodegroup", "ng", "--nodes", "2"}, chain...), true},
		{[]string{"delete", "drp"}, false},
		{[]string{"delete", "drp", "--delete-namespaces"}, false},
		{[]string{"delete", "dre", "--delete-cluster"}, true},
		{[]string{"delete", "drae"}, false},
		{[]string{"grant", "drp", "--serviceaccount", "bot", "--role", "view"}, false},
		{[]string{"grant", "drae", "--iam-role", viewer, "--role", "view"}, false},
		{[]string{"grant", "drae", "--iam-role", viewer, "--role", "view", "--via", "aws-auth"}, false},
		{[]string{"revoke", "drp", "--serviceaccount", "builder"}, false},
		{[]string{"revoke", "drae", "--iam-role", dev}, false},
		{[]string{"revoke", "drae", "--iam-role", ci}, false},
		{[]string{"aws-auth", "restore", "drae"}, false},
		{[]string{"aws-auth", "migrate", "drae"}, false},
		{[]string{"contexts", "merge", incoming}, false},
		{[]string{"contexts", "remove", "admin"}, false},
		{[]string{"kubeconfig", "drp", "--serviceaccount", "builder", "--merge"}, false},
		{[]string{"kubeconfig", "drp", "--serviceaccount", "builder", "--output-file", filepath.Join(u.home, "out.kubeconfig")}, false},
		{[]string{"bootstrap", "iam", "--trusted-principal", "arn:aws:iam::111111111111:role/platform", "--external-id", "x1", "--create"}, true},
	}
	for _, c := range commands {
		args := c.args
		for _, mode := range []string{"client", "server"} {
			name := strings.Join(args, " ") + " --dry-run=" + mode
			t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
				before := snapshot(c.moto)
				calls := len(front.Calls())
				r := u.run("kubectl", append(append([]string{"tenant"}, args...), "--dry-run="+mode)...)
				if r.err != nil {
					t.Fatalf("kubectl tenant %s: %v\nstdout: %s\nstderr: %s", name, r.err, r.stdout, r.stderr)
				}
				if diff := cmp.Diff(before, snapshot(c.moto)); diff != "" {
					t.Errorf("kubectl tenant %s changed something (-before +after):\n%s\nstderr: %s", name, diff, r.stderr)
				}
				for _, call := range front.Calls()[calls:] {
					if !strings.HasPrefix(call, "Describe") && !strings.HasPrefix(call, "List") && !strings.HasPrefix(call, "GET ") {
						t.Errorf("kubectl tenant %s called EKS: %s", name, call)
					}
				}
				if _, err := os.Stat(filepath.Join(u.home, "out.kubeconfig")); err == nil {
					t.Errorf("kubectl tenant %s wrote its --output-file", name)
				}
			})
		}
	}

	// The same commands for real do change things: the snapshot sees them.
	before := snapshot(true)
	u.tenant("delete", "dre", "--delete-cluster")
	u.tenant("revoke", "drae", "--iam-role", dev)
	after := snapshot(true)
	if cmp.Equal(before.EKSClusters, after.EKSClusters) || cmp.Equal(before.AccessEntries, after.AccessEntries) || before.Registry == after.Registry || cmp.Equal(before.Moto, after.Moto) {
		t.Errorf("the snapshot does not see real changes:\nEKS %v -> %v\naccess entries %v -> %v", before.EKSClusters, after.EKSClusters, before.AccessEntries, after.AccessEntries)
	}
}

// state is everything a dry run must leave as it was.
type state struct {
	Registry, Kubeconfig string
	Objects              map[string]string // KIND NAMESPACE/NAME -> resourceVersion
	Moto                 map[string]string
	EKSClusters          []string
	AccessEntries        []string
}

// putRecord records an EKS tenant whose data plane is the test cluster
// (context admin) and whose authentication mode includes access entries:
// no command makes one, since moto's clusters cannot be reached.
func putRecord(t *testing.T, registry, name, cluster string) {
	t.Helper()
	reg, err := tenant.OpenRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	rec := tenant.New(name)
	rec.Spec = tenant.Spec{
		Cluster:    tenant.Cluster{Context: "admin", EKS: &tenant.EKSCluster{Name: cluster}},
		AWS:        &tenant.AWS{Region: "eu-west-1"},
		Namespaces: []string{name},
	}
	rec.Status.AuthenticationMode = "API_AND_CONFIG_MAP"
	if err := reg.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{tenant.LabelManagedBy: tenant.ManagedBy, tenant.LabelTenant: name}}}
	if _, err := client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// clusterObjects are the objects commands make or remove, with their
// resourceVersions.
func clusterObjects(t *testing.T, c kubernetes.Interface) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	add := func(kind string, items []metav1.Object) {
		for _, o := range items {
			out[kind+" "+o.GetNamespace()+"/"+o.GetName()] = o.GetResourceVersion()
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	must(err)
	add("Namespace", objects(nss.Items))
	sas, err := c.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{})
	must(err)
	add("ServiceAccount", objects(sas.Items))
	rbs, err := c.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	must(err)
	add("RoleBinding", objects(rbs.Items))
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	must(err)
	add("ClusterRoleBinding", objects(crbs.Items))
	crs, err := c.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	must(err)
	add("ClusterRole", objects(crs.Items))
	for _, name := range []string{"aws-auth", "aws-auth-kubectl-tenant-backup"} {
		if cm, err := c.CoreV1().ConfigMaps("kube-system").Get(ctx, name, metav1.GetOptions{}); err == nil {
			out["ConfigMap kube-system/"+name] = cm.ResourceVersion
		}
	}
	return out
}

func objects[T any, PT interface {
	*T
	metav1.Object
}](items []T) []metav1.Object {
	out := make([]metav1.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out
}

// motoState is moto's model data, one entry per kind of resource that
// has any ("iam.Role": "2 items, sha256 ..."), without the STS sessions it
// issued, which it keeps as sts.AssumedRole and, for their temporary
// credentials, iam.AccessKey (every AWS command assumes the tenant's role,
// and so does this test to list clusters; a session is not a change to
// the account). Kinds with no items are left out: moto starts a service's
// models lazily, and an empty list appearing is no change.
func motoState(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all map[string]map[string][]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for service, models := range all {
		if service == "sts" {
			continue
		}
		for model, items := range models {
			if len(items) == 0 || service+"."+model == "iam.AccessKey" {
				continue
			}
			h := sha256.New()
			for _, item := range items {
				h.Write(item)
			}
			out[service+"."+model] = fmt.Sprintf("%d items, sha256 %x", len(items), h.Sum(nil)[:8])
		}
	}
	return out
}

// eksClusters lists the EKS clusters in the tenant account of the chain,
// with their status and tags, as moto has them.
func eksClusters(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	id := aws.NewIdentity("", "eu-west-1", "", 0, []string{"arn:aws:iam::111111111111:role/platform", "arn:aws:iam::222222222222:role/tenant-dr"}, "dr-x1")
	cfg, err := id.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, err := aws.ListClusters(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		c, err := aws.DescribeCluster(ctx, cfg, n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %v", c.Name, c.Status, c.Tags))
	}
	sort.Strings(out)
	return out
}
