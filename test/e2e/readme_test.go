package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// readmeMarker precedes each README block that TestReadmeCommands runs.
const readmeMarker = "<!-- readme-test:"

// The README's quick commands as a newcomer runs them: every block marked
// readme-test, in order, in one bash with -e, from a fresh
// clone, with a clean HOME and nothing but go, kubectl and the system's
// tools on PATH. (The demo the README starts with runs in CI, after make
// test.)
func TestReadmeCommands(t *testing.T) {
	blocks := readmeBlocks(t, filepath.Join(repoRoot(), "README.md"))
	if len(blocks) < 3 {
		t.Fatalf("README.md has %d blocks marked %q, want the install and first-steps blocks (3 or more)", len(blocks), readmeMarker)
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
	env := []string{
		"HOME=" + home,
		"PATH=" + strings.Join([]string{filepath.Dir(goBin), filepath.Dir(kubectl), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"TMPDIR=" + t.TempDir(),
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
	var script strings.Builder
	for i, b := range blocks {
		fmt.Fprintf(&script, "echo '>>> README block %d' >&2\n%s", i+1, b)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-x", "-c", script.String())
	cmd.Dir = clone
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's commands failed as written (the last >>> line names the block): %v\n%s", err, out)
	}
	t.Logf("the README's commands:\n%s", out)
}

// readmeBlocks returns the sh blocks of a Markdown file that follow a
// readmeMarker line.
func readmeBlocks(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var block strings.Builder
	marked, in := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case in && line == "```":
			blocks = append(blocks, block.String())
			block.Reset()
			in, marked = false, false
		case in:
			block.WriteString(line + "\n")
		case strings.HasPrefix(line, readmeMarker):
			marked = true
		case marked && line == "```sh":
			in = true
		case marked && strings.TrimSpace(line) != "":
			t.Fatalf("%s: %q is followed by %q, not a ```sh block", path, readmeMarker, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if in {
		t.Fatalf("%s: a marked block is not closed", path)
	}
	return blocks
}
