package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// The markers before a README sh block: readmeRun runs it, and
// readmeSkip says why it cannot run here. A sh block with neither fails
// the test, so no block is left out silently.
const (
	readmeRun  = "<!-- readme-test:"
	readmeSkip = "<!-- readme-test-skip:"
)

// readmeBlock is one sh block of the README.
type readmeBlock struct {
	line int    // of its opening fence
	text string // the commands
	skip string // why it is not run; empty when it runs
}

// The README's commands as a newcomer runs them: every sh block marked
// readme-test, in order, in one bash with -e, from a fresh clone, with a
// clean HOME and nothing but go, kubectl and the system's tools on PATH.
//
// What the README assumes a reader has is here too, and nothing else:
// AWS is the local EKS (moto and the EKS front), with the accounts the
// README names, the default credentials a session of the management
// account's role arn:aws:iam::111122223333:role/platform, and the
// profiles acme-admin and globex-admin the admins of the tenant accounts
// 444455556666 and 777788889999. The
// kubeconfig has the contexts kind-dev and management, both the admin of
// a control plane of this test's own. (The demo the README starts with
// runs in CI, after make test.)
func TestReadmeCommands(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(repoRoot(), "README.md")
	blocks := readmeBlocks(t, path)
	var script strings.Builder
	run := 0
	for _, b := range blocks {
		if b.skip != "" {
			t.Logf("README.md:%d is not run: %s", b.line, b.skip)
			continue
		}
		run++
		fmt.Fprintf(&script, "echo '>>> README.md:%d' >&2\n%s", b.line, b.text)
	}
	if run < 4 || !strings.Contains(script.String(), "kubectl tenant create acme --region") {
		t.Fatalf("README.md runs %d blocks, want the install, first-steps and AWS walkthrough blocks at least", run)
	}

	clone := freshClone(t)
	home := t.TempDir()
	kubectl, err := testenv.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	local, err := testenv.StartLocalEKS(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Stop)
	creds, err := local.CredentialsFile(ctx,
		testenv.Profile{Name: "default", Role: "arn:aws:iam::111122223333:role/platform"},
		testenv.Profile{Name: "acme-admin", Role: "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"},
		testenv.Profile{Name: "globex-admin", Role: "arn:aws:iam::777788889999:role/OrganizationAccountAccessRole"})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".aws", "credentials"), creds)
	writeFile(t, filepath.Join(home, ".aws", "config"), "[default]\nregion = eu-west-1\n")
	readmeContexts(t, filepath.Join(home, ".kube", "config"), "kind-dev", "management")

	env := []string{
		"HOME=" + home,
		"PATH=" + strings.Join([]string{filepath.Dir(goBin), filepath.Dir(kubectl), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"TMPDIR=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + local.Front.URL,
	}
	// The Go caches are the machine's, not the user's files: sharing them
	// spares downloading and compiling every module again.
	for _, v := range []string{"GOCACHE", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("go env %s: %v\n%s", v, err, stderr)
		}
		env = append(env, v+"="+strings.TrimSpace(string(out)))
	}
	for _, v := range []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN"} {
		if val, ok := os.LookupEnv(v); ok {
			env = append(env, v+"="+val)
		}
	}
	// One shell, as a reader's: what a block exports, the next one has.
	cmd := exec.Command("bash", "-euo", "pipefail", "-x", "-c", script.String())
	cmd.Dir = clone
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's commands failed as written (the last >>> line names the block): %v\n%s", err, out)
	}
	t.Logf("the README's commands:\n%s", out)
}

// readmeContexts writes a kubeconfig at path with a context of each name,
// each the admin of one control plane started for the test.
func readmeContexts(t *testing.T, path string, names ...string) {
	t.Helper()
	c, err := testenv.StartControlPlane(context.Background(), t.TempDir(), testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	cert, key, err := c.IssueUser("admin", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	for _, name := range names {
		one := c.Kubeconfig(name, cert, key)
		cfg.Clusters[name], cfg.AuthInfos[name], cfg.Contexts[name] = one.Clusters[name], one.AuthInfos[name], one.Contexts[name]
	}
	cfg.CurrentContext = names[0]
	writeFile(t, path, "")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// readmeBlocks returns the sh blocks of a Markdown file, each with what
// its marker says. A sh block without a marker is an error.
func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []readmeBlock
		block  strings.Builder
		marker string // the marker line awaiting its block
		cur    readmeBlock
		fence  string // the fence of the block we are in, if any
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case fence != "" && line == "```":
			if fence == "```sh" {
				cur.text = block.String()
				blocks = append(blocks, cur)
			}
			block.Reset()
			fence = ""
		case fence != "":
			block.WriteString(line + "\n")
		case strings.HasPrefix(line, readmeRun) || strings.HasPrefix(line, readmeSkip):
			marker = line
		case line == "```sh":
			fence, cur = line, readmeBlock{line: n}
			switch {
			case strings.HasPrefix(marker, readmeSkip):
				cur.skip = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(marker, readmeSkip), "-->"))
				if cur.skip == "" {
					t.Fatalf("%s:%d: %s gives no reason; say why the block cannot run here", path, n, readmeSkip)
				}
			case marker == "":
				t.Fatalf("%s:%d: a sh block without a marker: put %q before it to run it in make test, or %q with the reason it cannot run",
					path, n, readmeRun+" WHAT IT NEEDS -->", readmeSkip+" WHY -->")
			}
			marker = ""
		case strings.HasPrefix(line, "```"):
			fence = line
		case marker != "" && strings.TrimSpace(line) != "":
			t.Fatalf("%s:%d: %q is followed by %q, not a ```sh block", path, n, marker, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if fence != "" {
		t.Fatalf("%s: a block is not closed", path)
	}
	return blocks
}
