// Package release names what a release ships: its platforms and the
// archive of each. `make dist` builds the archives and `make
// krew-manifest` describes them, from this one list.
package release

import (
	"fmt"
	"slices"
	"strings"
)

// Repository is where releases are published.
const Repository = "https://github.com/kubectl-tenant/kubectl-tenant"

// Platform is one GOOS/GOARCH pair a release ships for.
type Platform struct {
	OS, Arch string
}

// Platforms are the platforms of a release, in the order the manifest
// lists them.
var Platforms = []Platform{
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// Exe is the suffix of an executable on the platform.
func (p Platform) Exe() string {
	if p.OS == "windows" {
		return ".exe"
	}
	return ""
}

// Archive is the file name of the platform's archive for version.
func (p Platform) Archive(version string) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("kubectl-tenant_%s_%s_%s%s", version, p.OS, p.Arch, ext)
}

// URL is where the platform's archive of version is downloaded from.
func (p Platform) URL(version string) string {
	return Repository + "/releases/download/" + version + "/" + p.Archive(version)
}

// Binaries are the commands every archive holds: the front kubectl runs,
// and the engine, signer and reader it finds beside itself.
var Binaries = []string{"kubectl-tenant", "kubectl-tenant-engine", "kubectl-tenant-reader", "kubectl-tenant-signer"}

// ParsePlatforms reads a comma-separated list of GOOS/GOARCH pairs, each
// one of Platforms; empty means all of them.
func ParsePlatforms(list string) ([]Platform, error) {
	if list == "" {
		return Platforms, nil
	}
	var out []Platform
	for _, s := range strings.Split(list, ",") {
		goos, goarch, _ := strings.Cut(s, "/")
		p := Platform{OS: goos, Arch: goarch}
		if !slices.Contains(Platforms, p) {
			return nil, fmt.Errorf("%q is not a platform of a release (%s)", s, platformList())
		}
		out = append(out, p)
	}
	return out, nil
}

func platformList() string {
	names := make([]string, len(Platforms))
	for i, p := range Platforms {
		names[i] = p.OS + "/" + p.Arch
	}
	return strings.Join(names, ", ")
}
