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

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// capaResources are what a CAPA tenant is made of in the management
// cluster.
var capaResources = []string{"namespaces", "awsclusterroleidentities", "clusters", "awsmanagedclusters", "awsmanagedcontrolplanes", "machinepools", "awsmanagedmachinepools"}

// benchCAPA counts what create --provider capa costs, as a user runs it
// against a management cluster with Cluster API's and CAPA's CRDs: first
// with --wait=false (the objects are applied), then, once CAPA's
// controller (played by testenv.CAPAController, which does not run here)
// has made the cluster, the same command again, which adopts it and
// records the tenant. Each run reports its wall time, the objects it
// wrote and the calls it made to the management cluster (its audit log,
// requests from kubectl-tenant) and to AWS (as the local EKS's front saw
// them). The objects are pinned: 8 for a tenant with a two-hop chain and
// a node group, none on the second run.
func benchCAPA(r *report, bin, dir string) error {
	ctx := context.Background()
	dir = filepath.Join(dir, "capa")
	local, err := testenv.StartLocalEKS(ctx, filepath.Join(dir, "local-eks"))
	if err != nil {
		return fmt.Errorf("starting the local EKS (make testbin builds its control plane; moto_server must be on PATH): %w", err)
	}
	defer local.Stop()
	mgmt, err := testenv.StartControlPlane(ctx, filepath.Join(dir, "mgmt"), testenv.Options{Audit: true})
	if err != nil {
		return err
	}
	defer mgmt.Stop()
	if err := mgmt.InstallCAPI(ctx); err != nil {
		return err
	}
	home := filepath.Join(dir, "home")
	kubeconfig := filepath.Join(home, ".kube", "mgmt")
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o700); err != nil {
		return err
	}
	cert, key, err := mgmt.IssueUser("admin", "system:masters")
	if err != nil {
		return err
	}
	if err := clientcmd.WriteToFile(*mgmt.Kubeconfig("mgmt", cert, key), kubeconfig); err != nil {
		return err
	}
	env := append(local.Env(), "HOME="+home, "KUBECONFIG="+filepath.Join(home, ".kube", "config")+string(os.PathListSeparator)+kubeconfig,
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	create := []string{bin, "create", "wonka", "--provider", "capa", "--management-context", "mgmt", "--region", "us-east-1",
		"--role-arn", "arn:aws:iam::111111111111:role/platform", "--role-arn", "arn:aws:iam::222222222222:role/kubectl-tenant", "--external-id", "acme-x1",
		"--nodegroup", "ng", "--nodes", "2"}

	// CAPA's controller identity, admitting the tenant's namespace alone.
	identity := exec.Command("kubectl", "--context", "mgmt", "apply", "-f", "-")
	identity.Env = append(os.Environ(), env...)
	identity.Stdin = strings.NewReader("apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: AWSClusterControllerIdentity\nmetadata: {name: default}\nspec: {allowedNamespaces: {list: [wonka]}}\n")
	if out, err := identity.CombinedOutput(); err != nil {
		return fmt.Errorf("making CAPA's controller identity: %v\n%s", err, out)
	}

	// moto loads a service's backend on its first call, and the
	// apiserver serves a CRD from its first request (together over a
	// second): their start, not the plugin's, so it is paid before
	// measuring.
	for _, warm := range [][]string{{"aws", "sts", "get-caller-identity"}, {"aws", "iam", "list-roles", "--max-items", "1"},
		{"aws", "sts", "assume-role", "--role-arn", "arn:aws:iam::111111111111:role/platform", "--role-session-name", "warm"},
		{"kubectl", "--context", "mgmt", "get", strings.Join(capaResources, ","), "-A"}} {
		c := exec.Command(warm[0], warm[1:]...)
		c.Env = append(os.Environ(), env...)
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(warm, " "), err, out)
		}
	}

	step := func(name string, args []string) (int, error) {
		events, err := mgmt.AuditEvents()
		if err != nil {
			return 0, err
		}
		seen, awsBefore := len(events), local.Front.Counts()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env, cmd.Dir = append(os.Environ(), env...), home
		wall, out, err := timedCmd(cmd)
		if err != nil {
			return 0, fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		if events, err = mgmt.AuditEvents(); err != nil {
			return 0, err
		}
		calls, objects := 0, 0
		for _, e := range events[seen:] {
			if !strings.HasPrefix(e.UserAgent, "kubectl-tenant") {
				continue
			}
			calls++
			if slices.Contains(capaResources, e.ObjectRef.Resource) && slices.Contains([]string{"create", "update", "patch"}, e.Verb) && !e.DryRun() {
				objects++
			}
		}
		awsAfter := local.Front.Counts()
		var aws []string
		total := 0
		for _, svc := range slices.Sorted(maps.Keys(awsAfter)) {
			if n := awsAfter[svc] - awsBefore[svc]; n > 0 {
				aws = append(aws, fmt.Sprintf("%s %d", svc, n))
				total += n
			}
		}
		r.info("capa: "+name, ms(wall), "-", fmt.Sprintf("objects written %d, management cluster calls %d, AWS %d (%s)", objects, calls, total, strings.Join(aws, ", ")))
		return objects, nil
	}

	objects, err := step("create --provider capa --wait=false (apply)", append(slices.Clone(create), "--wait=false"))
	if err != nil {
		return err
	}
	r.exact("capa: objects per create --provider capa (2 hops, node group)", objects, 8)
	if err := local.SetProcessEnv(); err != nil { // the stand-in acts with its environment's credentials, as CAPA does
		return err
	}
	controller, err := testenv.NewCAPAController(mgmt.AdminConfig())
	if err != nil {
		return err
	}
	if err := controller.Reconcile(ctx, "wonka", "wonka-control-plane", "wonka"); err != nil {
		return fmt.Errorf("the CAPA stand-in: %w", err)
	}
	if objects, err = step("create again once CAPA is ready (adopt, record)", create); err != nil {
		return err
	}
	r.exact("capa: objects a re-run of create --provider capa writes", objects, 0)
	return nil
}
