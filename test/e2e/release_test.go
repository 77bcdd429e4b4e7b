package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/hack/release"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// A release as a user gets it, for this platform: `make dist` twice, the
// second time from a copy at another path, gives the same bytes; the
// manifest `make krew-manifest` makes for it, and the committed one, pass
// krew's own validator; krew installs the archive offline, the plugin runs
// through krew's symlink, finds its engine and signer beside itself, and
// answers a warm token without AWS; uninstall leaves nothing of it. (The
// other platforms cost minutes each to cross-build: the archive writers'
// determinism is tested in hack/dist for both formats, and the committed
// manifest lists every platform.)
func TestReleaseArchivesInstallWithKrew(t *testing.T) {
	krew := testBin(t, "krew")
	validate := testBin(t, "validate-krew-manifest")
	version := strings.TrimSpace(readFile(t, filepath.Join(repoRoot(), "VERSION")))
	here := release.Platform{OS: "linux", Arch: "amd64"}

	stamp := []string{"PLATFORMS=" + here.OS + "/" + here.Arch, "RELEASE_COMMIT=0123456789abcdef0123456789abcdef01234567", "RELEASE_DATE=2026-01-02T03:04:05Z"}
	first, second := t.TempDir(), t.TempDir()
	makeTarget(t, repoRoot(), append([]string{"dist", "DIST=" + first}, stamp...)...)
	makeTarget(t, freshClone(t), append([]string{"dist", "DIST=" + second}, stamp...)...)
	sums := readFile(t, filepath.Join(first, "sha256sums.txt"))
	if again := readFile(t, filepath.Join(second, "sha256sums.txt")); again != sums {
		t.Fatalf("make dist is not reproducible:\nfirst:\n%s\nsecond:\n%s", sums, again)
	}
	if !strings.HasSuffix(strings.TrimSpace(sums), "  "+here.Archive(version)) || strings.Count(sums, "\n") != 1 {
		t.Fatalf("sha256sums.txt is not one line for %s:\n%s", here.Archive(version), sums)
	}
	checkTarball(t, filepath.Join(first, here.Archive(version)))

	manifests := t.TempDir()
	generated := filepath.Join(manifests, "tenant.yaml")
	makeTarget(t, repoRoot(), append([]string{"krew-manifest", "DIST=" + first, "KREW_MANIFEST=" + generated}, stamp...)...)
	committed := filepath.Join(t.TempDir(), "tenant.yaml")
	writeFile(t, committed, readFile(t, filepath.Join(repoRoot(), "krew-manifest.yaml")))
	for _, m := range []string{generated, committed} {
		if out, err := exec.Command(validate, "-manifest", m, "-skip-install").CombinedOutput(); err != nil {
			t.Fatalf("validate-krew-manifest %s: %v\n%s", m, err, out)
		}
	}

	// This platform, end to end, as a user: krew's bin on PATH, nothing else
	// of ours.
	// krew's commands other than install want a plugin index, a git
	// clone: offline, the default index is an empty repository.
	root := filepath.Join(t.TempDir(), "krew")
	if out, err := exec.Command("git", "init", "-q", filepath.Join(root, "index", "default")).CombinedOutput(); err != nil {
		t.Fatalf("an empty krew index: %v\n%s", err, out)
	}
	before := treeOf(t, root)
	kubectl, _ := testenv.Kubectl()
	u := newUser(t).with("KREW_ROOT="+root, "KREW_NO_UPGRADE_CHECK=1",
		"PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+filepath.Dir(kubectl)+string(os.PathListSeparator)+"/usr/bin:/bin")
	if r := u.run(krew, "install", "--manifest="+generated, "--archive="+filepath.Join(first, here.Archive(version))); r.err != nil {
		t.Fatalf("krew install: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if fi, err := os.Lstat(filepath.Join(root, "bin", "kubectl-tenant")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("krew did not link bin/kubectl-tenant: %v", err)
	}
	if out := u.tenant("version").stdout; !strings.Contains(out, version) {
		t.Errorf("kubectl tenant version through krew says %q, want %s", out, version)
	}

	moto, err := testenv.StartMoto(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()
	tokenArgs := []string{"token", "acme", "--cluster", "acme-prod", "--region", "eu-west-1", "--role-arn", "arn:aws:iam::111111111111:role/acme"}
	cold := readCredential(t, u.with(moto.Env()...).tenant(tokenArgs...).stdout)
	moto.Stop() // the warm answer must not need AWS
	warm := readCredential(t, u.with(moto.Env()...).tenant(tokenArgs...).stdout)
	if !strings.HasPrefix(cold.token, "k8s-aws-v1.") || warm.token != cold.token {
		t.Errorf("warm token through krew's link is not the cached one:\ncold %.30s...\nwarm %.30s...", cold.token, warm.token)
	}

	if r := u.run(krew, "uninstall", "tenant"); r.err != nil {
		t.Fatalf("krew uninstall: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if after := treeOf(t, root); !slices.Equal(onlyTenant(after), onlyTenant(before)) {
		t.Errorf("krew uninstall left files of the plugin:\n%s", strings.Join(onlyTenant(after), "\n"))
	}
}

// testBin is a binary `make testbin` builds.
func testBin(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(testenv.BinDir(), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found at %s: run `make testbin` to build it", name, p)
	}
	return p
}

// checkTarball checks a Unix archive holds exactly LICENSE and the three
// binaries, executable, owned by root, with one mtime.
func checkTarball(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	mtimes := map[int64]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		mtimes[hdr.ModTime.Unix()] = true
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" {
			t.Errorf("%s: owner %d/%d %q, want root, unnamed", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname)
		}
		if hdr.Name != "LICENSE" && hdr.Mode&0o111 == 0 {
			t.Errorf("%s is not executable: %o", hdr.Name, hdr.Mode)
		}
	}
	want := append([]string{"LICENSE"}, release.Binaries...)
	if !slices.Equal(names, want) || len(mtimes) != 1 {
		t.Errorf("%s holds %v with %d mtimes, want %v sorted with one", path, names, len(mtimes), want)
	}
}

// treeOf lists every path under root.
func treeOf(t *testing.T, root string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

// onlyTenant keeps the paths that name the plugin.
func onlyTenant(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.Contains(p, "tenant") {
			out = append(out, p)
		}
	}
	return out
}
