// Command krew-manifest writes krew-manifest.yaml, the krew plugin
// manifest of a release, from its template: one platform per archive
// `make dist` builds, with the archive's download URI and sha256.
//
//	go run ./hack/krew-manifest -version v0.1.0 -sums dist/sha256sums.txt -out krew-manifest.yaml
//
// With -check FILE it writes nothing and fails when FILE is not what the
// template renders for the version. The sha256 values are taken from FILE
// itself: they are of the archives built when it was generated, which a
// check without a release build cannot know.
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/template"

	"github.com/kubectl-tenant/kubectl-tenant/hack/release"
)

//go:embed tenant.yaml.tmpl
var manifestTemplate string

func main() {
	version := flag.String("version", "", "the release version (required)")
	sums := flag.String("sums", "", "sha256sums.txt that `make dist` wrote")
	out := flag.String("out", "", "where to write the manifest")
	check := flag.String("check", "", "the manifest to check against the template")
	platforms := flag.String("platforms", "", "the GOOS/GOARCH pairs to list, comma-separated (default: every platform of a release)")
	flag.Parse()
	list, err := release.ParsePlatforms(*platforms)
	if err == nil {
		err = run(*version, list, *sums, *out, *check)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(version string, platforms []release.Platform, sumsPath, out, check string) error {
	if version == "" {
		return fmt.Errorf("-version is required")
	}
	if (sumsPath == "") == (check == "") {
		return fmt.Errorf("give one of -sums (to generate) and -check (to compare)")
	}
	if check != "" {
		committed, err := os.ReadFile(check)
		if err != nil {
			return err
		}
		want, err := Render(version, platforms, digestsOf(committed))
		if err != nil {
			return err
		}
		if !bytes.Equal(committed, want) {
			return fmt.Errorf("%s is not what the template renders for %s: run `make krew-manifest`\n%s", check, version, firstDifference(committed, want))
		}
		return nil
	}
	data, err := os.ReadFile(sumsPath)
	if err != nil {
		return fmt.Errorf("%w: run `make dist` first", err)
	}
	sums, err := parseSums(data)
	if err != nil {
		return fmt.Errorf("%s: %w", sumsPath, err)
	}
	digests := map[string]string{}
	for _, p := range platforms {
		name := p.Archive(version)
		sum, ok := sums[name]
		if !ok {
			return fmt.Errorf("%s has no %s: run `make dist` for %s", sumsPath, name, version)
		}
		digests[name] = sum
	}
	manifest, err := Render(version, platforms, digests)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(manifest)
		return err
	}
	return os.WriteFile(out, manifest, 0o644)
}

// Render renders the manifest of version for platforms, with digests by
// archive name.
func Render(version string, platforms []release.Platform, digests map[string]string) ([]byte, error) {
	type platform struct {
		OS, Arch, URI, SHA256, Exe string
	}
	data := struct {
		Version, Homepage string
		Platforms         []platform
	}{Version: version, Homepage: release.Repository}
	for _, p := range platforms {
		sum := digests[p.Archive(version)]
		if sum == "" {
			sum = "missing"
		}
		data.Platforms = append(data.Platforms, platform{p.OS, p.Arch, p.URL(version), sum, p.Exe()})
	}
	tmpl, err := template.New("manifest").Option("missingkey=error").Parse(manifestTemplate)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil, err
	}
	return append(bytes.TrimRight(buf.Bytes(), "\n"), '\n'), nil
}

var sumLine = regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)

// parseSums reads sha256sum's output format.
func parseSums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		m := sumLine.FindStringSubmatch(sc.Text())
		if m == nil {
			return nil, fmt.Errorf("line %d is not `SHA256  FILE`: %q", n, sc.Text())
		}
		sums[m[2]] = m[1]
	}
	return sums, sc.Err()
}

var uriLine = regexp.MustCompile(`^\s*uri: \S+/([^/\s]+)$`)
var digestLine = regexp.MustCompile(`^\s*sha256: ([0-9a-f]{64})$`)

// digestsOf reads a manifest's sha256 values by the archive named in the
// uri line before each.
func digestsOf(manifest []byte) map[string]string {
	digests := map[string]string{}
	archive := ""
	for _, line := range strings.Split(string(manifest), "\n") {
		if m := uriLine.FindStringSubmatch(line); m != nil {
			archive = m[1]
		} else if m := digestLine.FindStringSubmatch(line); m != nil && archive != "" {
			digests[archive] = m[1]
		}
	}
	return digests
}

// firstDifference shows the first line where got and want part.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  file:     %q\n  template: %q", i+1, gl, wl)
		}
	}
	return ""
}
