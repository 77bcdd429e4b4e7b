// Command demo walks through kubectl-tenant's story on a local EKS, with
// no AWS account: `make demo`.
//
// It starts moto (IAM, STS, EC2), the local EKS front the tests use (EKS's
// API, with a real kube-apiserver per cluster that authenticates IAM
// tokens with aws-iam-authenticator), and runs each step's commands
// through real kubectl from a fresh HOME, printing every command first.
// Every file it writes is under one temporary directory; at the end, or
// on Ctrl-C, it stops what it started and removes that directory.
//
// With CI=true it does not pause, and exits non-zero when a step does not
// do what it says. With KEEP=1 it leaves the demo running at the end, with
// a shell hint to try commands against it, until Ctrl-C.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-tenant/kubectl-tenant/hack/release"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

const (
	platformRole = "arn:aws:iam::111111111111:role/platform"
	acmeRole     = "arn:aws:iam::222222222222:role/kubectl-tenant"
	globexRole   = "arn:aws:iam::333333333333:role/kubectl-tenant"
	devRole      = "arn:aws:iam::222222222222:role/acme-dev"
)

func main() {
	bin := flag.String("bin", "bin", "the directory holding kubectl-tenant and the binaries it hands commands to")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{
		ci:    os.Getenv("CI") == "true",
		keep:  os.Getenv("KEEP") != "" && os.Getenv("KEEP") != "0",
		out:   os.Stdout,
		start: time.Now(),
	}
	d.pause = !d.ci && term.IsTerminal(int(os.Stdin.Fd()))
	err := d.run(ctx, *bin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "\ninterrupted: everything the demo started is stopped and its files removed")
		os.Exit(130)
	}
	if err != nil {
		os.Exit(1)
	}
}

type demo struct {
	ci, keep, pause bool
	out             io.Writer
	start           time.Time
	dir, home       string
	env             []string
	stdin           *bufio.Reader
	step            int
}

func (d *demo) run(ctx context.Context, bin string) (err error) {
	bin, err = filepath.Abs(bin)
	if err != nil {
		return err
	}
	for _, b := range release.Binaries {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return fmt.Errorf("%s not found in %s: run `make build` (make demo does)", b, bin)
		}
	}
	kubectl, err := testenv.Kubectl()
	if err != nil {
		return err
	}
	d.dir, err = os.MkdirTemp("", "kubectl-tenant-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(d.dir)
	d.home = filepath.Join(d.dir, "home")
	if err := os.MkdirAll(filepath.Join(d.home, ".aws"), 0o700); err != nil {
		return err
	}

	d.say("Starting a local EKS: moto for IAM, STS and EC2, and an EKS front that gives every\n" +
		"cluster its own kube-apiserver, with aws-iam-authenticator as its token webhook.\n" +
		"Everything lives in " + d.dir + " and goes away when the demo ends.")
	local, err := testenv.StartLocalEKS(ctx, filepath.Join(d.dir, "eks"))
	if err != nil {
		return fmt.Errorf("starting the local EKS: %w", err)
	}
	defer local.Stop()
	if err := writeAdminProfiles(ctx, local, filepath.Join(d.home, ".aws", "credentials")); err != nil {
		return err
	}
	d.env = append(local.Env(),
		"HOME="+d.home,
		"PATH="+bin+string(os.PathListSeparator)+filepath.Dir(kubectl)+string(os.PathListSeparator)+"/usr/bin:/bin",
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(d.home, ".aws", "credentials"),
		"KUBECONFIG="+filepath.Join(d.home, ".kube", "config"),
	)
	d.say(fmt.Sprintf("Ready in %s.", time.Since(d.start).Round(100*time.Millisecond)))

	if err := d.story(ctx, local); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nThe story ran in %s.\n", time.Since(d.start).Round(time.Second))
	if d.keep {
		return d.wait(ctx)
	}
	return nil
}

func (d *demo) story(ctx context.Context, local *testenv.LocalEKS) error {
	dev := filepath.Join(d.home, "acme-dev.kubeconfig")
	steps := []struct {
		title, why string
		cmds       []check
	}{
		{"bootstrap iam", "Each tenant account gets a role the platform team may assume, with an external ID and\n" +
			"the least permissions the plugin needs. The tenant accounts' admins run this once.",
			[]check{
				ok("created role", "kubectl", "tenant", "bootstrap", "iam", "--trusted-principal", platformRole, "--external-id", "acme-x1", "--create", "--profile", "acme-admin"),
				ok("created role", "kubectl", "tenant", "bootstrap", "iam", "--trusted-principal", platformRole, "--external-id", "globex-x1", "--create", "--profile", "globex-admin"),
			}},
		{"create two tenants", "Each tenant's EKS cluster is created in its own account, through a chain of roles:\n" +
			"the platform role, then the tenant account's role. The cluster's context lands in your\n" +
			"kubeconfig; its namespace is made inside, as the tenant role.",
			[]check{
				ok("node group ng is ACTIVE", "kubectl", "tenant", "create", "acme", "--region", "us-east-1",
					"--role-arn", platformRole, "--role-arn", acmeRole, "--external-id", "acme-x1",
					"--nodegroup", "ng", "--nodes", "2", "--instance-types", "t3.medium"),
				ok("cluster globex is ACTIVE", "kubectl", "tenant", "create", "globex", "--region", "us-east-1",
					"--role-arn", platformRole, "--role-arn", globexRole, "--external-id", "globex-x1"),
				ok("acme", "kubectl", "tenant", "list"),
				ok("2", "kubectl", "--context", "acme", "get", "nodes"),
			}},
		{"grant", "A developer's IAM role gets edit in acme's namespaces: an EKS access entry, and RBAC\n" +
			"bindings of edit in each namespace.",
			[]check{
				ok("", "kubectl", "tenant", "grant", "acme", "--iam-role", devRole, "--role", "edit"),
				ok(devRole, "kubectl", "tenant", "access", "acme"),
			}},
		{"kubeconfig --minify", "A kubeconfig to hand the developer: one context, and an exec line that signs a\n" +
			"short-lived token as their role. No credential is written in it.",
			[]check{
				ok("", "kubectl", "tenant", "kubeconfig", "acme", "--iam-role", devRole, "--minify", "--output-file", dev),
				ok("kubectl-tenant:acme:edit", "kubectl", "--kubeconfig", dev, "auth", "whoami"),
			}},
		{"kubectl as the developer", "Real kubectl with that kubeconfig: allowed in the tenant's namespace, Forbidden\n" +
			"outside it, and unknown to the other tenant's cluster.",
			[]check{
				ok("deployment.apps/web created", "kubectl", "--kubeconfig", dev, "create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "-n", "acme"),
				fails("Forbidden", "kubectl", "--kubeconfig", dev, "get", "pods", "-n", "kube-system"),
				fails("Forbidden", "kubectl", "--kubeconfig", dev, "get", "nodes"),
				fails("must be logged in", "kubectl", "--kubeconfig", dev, "--server", "{globex}", "--insecure-skip-tls-verify", "get", "pods", "-n", "globex"),
			}},
		{"access --verify", "What the registry says acme's subjects may do, checked against what the cluster\n" +
			"actually lets them do.",
			[]check{ok("", "kubectl", "tenant", "access", "acme", "--verify")}},
		{"contexts extract", "A self-contained kubeconfig of one context, for a CI job; your own kubeconfig is\n" +
			"untouched.",
			[]check{ok("", "kubectl", "tenant", "contexts", "extract", "globex", "--output-file", filepath.Join(d.home, "globex-ci.kubeconfig"))}},
		{"workload identity", "acme's pods get AWS permissions of their own: an IAM role in acme's account that only\n" +
			"ServiceAccount acme:app of acme's cluster may assume (EKS Pod Identity, with the agent\n" +
			"add-on), and the EBS CSI driver as an add-on with a role only its controller may assume.\n" +
			"The local EKS stands in for Pod Identity and add-ons, which moto does not serve.\n" +
			"access --verify reads each role's trust back from IAM and checks it admits nothing more.",
			[]check{
				ok("would call CreatePodIdentityAssociation acme/app", "kubectl", "tenant", "workload-role", "acme", "--serviceaccount", "acme:app",
					"--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "--dry-run=server"),
				ok("role/kubectl-tenant-acme-acme-app", "kubectl", "tenant", "workload-role", "acme", "--serviceaccount", "acme:app",
					"--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
				ok("add-on aws-ebs-csi-driver is ACTIVE", "kubectl", "tenant", "addon", "acme", "aws-ebs-csi-driver"),
				ok("made by kubectl-tenant", "kubectl", "tenant", "describe", "acme"),
				ok("verified: the trust of each of 2 workload role(s)", "kubectl", "tenant", "access", "acme", "--verify"),
			}},
		{"revoke", "The developer's grant goes: the access entry and the bindings. Their next request\n" +
			"with a fresh token is refused.",
			[]check{
				ok("", "kubectl", "tenant", "revoke", "acme", "--iam-role", devRole),
				fails("must be logged in", "kubectl", "--kubeconfig", dev, "--token", "{fresh}", "--user", "", "get", "pods", "-n", "acme"),
			}},
	}
	for _, s := range steps {
		if err := d.title(s.title, s.why); err != nil {
			return err
		}
		for _, c := range s.cmds {
			if err := d.check(ctx, c); err != nil {
				return fmt.Errorf("step %q: %w", s.title, err)
			}
		}
	}
	return d.capa(ctx, local)
}

// capa is the Cluster API step: a management cluster (a real
// kube-apiserver with Cluster API's and CAPA's own CRDs) where the
// tenant's cluster is declared, and CAPA's controller, which does not
// run here, played by testenv.CAPAController: it follows the identities'
// role chain, makes the EKS cluster on the local EKS and writes the user
// kubeconfig Secret as CAPA does. The demo says so.
func (d *demo) capa(ctx context.Context, local *testenv.LocalEKS) error {
	const title = "Cluster API (CAPA)"
	if err := d.title(title, "Teams that run Cluster API keep tenant clusters as objects in a management cluster.\n"+
		"create --provider capa declares them there: the tenant's namespace, an AWSClusterRoleIdentity\n"+
		"per role of its chain, each admitting that namespace alone, and the Cluster with its EKS\n"+
		"control plane. No CAPA controller runs in this demo: the demo itself plays it, making the\n"+
		"EKS cluster through the identities' roles and writing the user kubeconfig Secret as CAPA does."); err != nil {
		return err
	}
	mgmt, err := testenv.StartControlPlane(ctx, filepath.Join(d.dir, "mgmt"), testenv.Options{})
	if err != nil {
		return fmt.Errorf("starting the management cluster: %w", err)
	}
	defer mgmt.Stop()
	if err := mgmt.InstallCAPI(ctx); err != nil {
		return err
	}
	cert, key, err := mgmt.IssueUser("admin", "system:masters")
	if err != nil {
		return err
	}
	path := filepath.Join(d.home, ".kube", "mgmt")
	if err := clientcmd.WriteToFile(*mgmt.Kubeconfig("mgmt", cert, key), path); err != nil {
		return err
	}
	for i, e := range d.env {
		if strings.HasPrefix(e, "KUBECONFIG=") {
			d.env[i] = e + string(os.PathListSeparator) + path
		}
	}
	identity := filepath.Join(d.home, "controller-identity.yaml")
	if err := os.WriteFile(identity, []byte(controllerIdentity), 0o600); err != nil {
		return err
	}
	if err := local.SetProcessEnv(); err != nil { // the stand-in acts with its environment's credentials, as CAPA does
		return err
	}
	controller, err := testenv.NewCAPAController(mgmt.AdminConfig())
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	reconciled := make(chan error, 1)
	go func() { reconciled <- controller.Reconcile(cctx, "wonka", "wonka-control-plane", "wonka") }()

	capaArgs := []string{"kubectl", "tenant", "create", "wonka", "--provider", "capa", "--management-context", "mgmt", "--region", "us-east-1",
		"--role-arn", platformRole, "--role-arn", acmeRole, "--external-id", "acme-x1"}
	for _, c := range []check{
		ok("awsclustercontrolleridentity", "kubectl", "--context", "mgmt", "apply", "-f", identity),
		ok("kind: AWSManagedControlPlane", append(capaArgs, "--dry-run=client", "-o", "yaml")...),
		ok(`tenant "wonka" created`, append(capaArgs, "--timeout", "3m")...),
		ok(`{"list":["wonka"]}`, "kubectl", "--context", "mgmt", "get", "awsclusterroleidentity", "wonka", "-o", "jsonpath={.spec.allowedNamespaces}"),
		ok("assumed-role/kubectl-tenant/", "kubectl", "--context", "wonka", "auth", "whoami"),
		ok("", "kubectl", "tenant", "access", "wonka", "--verify"),
	} {
		if err := d.check(ctx, c); err != nil {
			return fmt.Errorf("step %q: %w", title, err)
		}
	}
	if err := <-reconciled; err != nil {
		return fmt.Errorf("step %q: the demo's stand-in for CAPA's controller: %w", title, err)
	}
	return nil
}

// controllerIdentity is CAPA's controller identity, admitting only the
// tenant's namespace (CAPA would make it admitting every namespace,
// which access --verify flags).
const controllerIdentity = `apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterControllerIdentity
metadata: {name: default}
spec: {allowedNamespaces: {list: [wonka]}}
`

// writeAdminProfiles writes the credentials of each tenant account's
// admin as profiles.
func writeAdminProfiles(ctx context.Context, local *testenv.LocalEKS, path string) error {
	file, err := local.CredentialsFile(ctx,
		testenv.Profile{Name: "acme-admin", Role: "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"},
		testenv.Profile{Name: "globex-admin", Role: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"})
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(file), 0o600)
}

// check is one command of the demo, and what it must do.
type check struct {
	args     []string
	wantFail bool
	want     string // in its output
}

func ok(want string, args ...string) check    { return check{args: args, want: want} }
func fails(want string, args ...string) check { return check{args: args, want: want, wantFail: true} }

func (d *demo) check(ctx context.Context, c check) error {
	args, shown, err := d.expand(ctx, c.args)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n$ %s\n", shown)
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = d.env
	cmd.Dir = d.home
	cmd.Stdout = io.MultiWriter(d.out, &buf)
	cmd.Stderr = io.MultiWriter(d.out, &buf)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil && !errors.As(err, &exit):
		return err
	case c.wantFail && err == nil:
		return fmt.Errorf("%s succeeded; it should have been refused", shellQuote(args))
	case !c.wantFail && err != nil:
		return fmt.Errorf("%s: %v", shellQuote(args), err)
	case !strings.Contains(strings.ToLower(buf.String()), strings.ToLower(c.want)):
		return fmt.Errorf("%s did not say %q", shellQuote(args), c.want)
	}
	return nil
}

// freshToken is the command that signs a token as the developer's role
// now, bypassing the cache.
var freshToken = []string{"kubectl", "tenant", "token", "acme", "--cluster", "acme", "--region", "us-east-1", "--role-arn", devRole, "--no-cache", "--raw"}

// expand fills the placeholders a command needs from the running demo,
// and returns it as the user would type it too.
func (d *demo) expand(ctx context.Context, args []string) (out []string, shown string, err error) {
	out = append([]string(nil), args...)
	show := make([]string, len(args))
	for i, a := range out {
		show[i] = shellQuote([]string{a})
		switch a {
		case "{globex}":
			server, err := d.output(ctx, "kubectl", "--context", "globex", "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
			if err != nil {
				return nil, "", err
			}
			if server == "" {
				return nil, "", errors.New("context globex has no server")
			}
			out[i], show[i] = server, server
		case "{fresh}":
			token, err := d.output(ctx, freshToken[0], freshToken[1:]...)
			if err != nil {
				return nil, "", err
			}
			out[i], show[i] = token, `"$(`+shellQuote(freshToken)+`)"`
		}
	}
	return out, strings.Join(show, " "), nil
}

// output runs a helper command quietly and returns its output.
func (d *demo) output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = d.env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (d *demo) title(title, why string) error {
	d.step++
	fmt.Fprintf(d.out, "\n\033[1m== %d. %s ==\033[0m\n%s\n", d.step, title, why)
	if !d.pause {
		return nil
	}
	fmt.Fprint(d.out, "[Enter to run it]")
	if d.stdin == nil {
		d.stdin = bufio.NewReader(os.Stdin)
	}
	_, err := d.stdin.ReadString('\n')
	return err
}

func (d *demo) say(s string) { fmt.Fprintf(d.out, "%s\n", s) }

// wait leaves the demo running, and says how to use it, until Ctrl-C.
func (d *demo) wait(ctx context.Context) error {
	fmt.Fprintln(d.out, "\nThe demo keeps running. In another shell:")
	// d.env is in the order it was built, a later value overriding an
	// earlier one, as exec reads it: export each name once, its last value.
	last := map[string]int{}
	for i, kv := range d.env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	for i, kv := range d.env {
		k, _, _ := strings.Cut(kv, "=")
		if last[k] == i && (strings.HasPrefix(k, "AWS_") || k == "KUBECONFIG" || k == "PATH" || k == "HOME") {
			fmt.Fprintf(d.out, "  export %s\n", shellQuote([]string{kv}))
		}
	}
	fmt.Fprintln(d.out, "  kubectl tenant list")
	fmt.Fprintln(d.out, "Press Ctrl-C here to stop it and remove its files.")
	<-ctx.Done()
	return nil
}

// shellQuote prints args as a shell would take them.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]{}!#~") {
			quoted[i] = a
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}
