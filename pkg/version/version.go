// Package version reports the build's version, set at link time:
//
//	go build -ldflags "-X github.com/kubectl-tenant/kubectl-tenant/pkg/version.version=v0.1.0 ..."
package version

import (
	"runtime"
	"runtime/debug"
)

var (
	version = "" // a release tag such as v0.1.0
	commit  = "" // the git commit
	date    = "" // the build date, RFC 3339
)

// Info describes the build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build's Info. Without link-time values it falls back to
// what the Go toolchain recorded, so `go install` builds still say
// something true.
func Get() Info {
	info := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && info.Commit == "":
				info.Commit = s.Value
			case s.Key == "vcs.time" && info.Date == "":
				info.Date = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	return info
}
