// Command dist builds the release archives: for each platform, the three
// binaries and LICENSE in a .tar.gz (.zip on Windows), and sha256sums.txt
// beside them.
//
// The archives are reproducible: built twice from the same commit they are
// the same bytes. The binaries are built with -trimpath and an empty build
// ID, stamped with the commit's own date rather than the clock; archive
// entries are sorted, owned by root, and carry that date as their mtime.
//
//	go run ./hack/dist -version v0.1.0 -commit $(git rev-parse HEAD) -date 2026-11-25T12:00:00Z -out dist
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/hack/release"
)

const module = "github.com/kubectl-tenant/kubectl-tenant"

func main() {
	var o options
	flag.StringVar(&o.version, "version", "", "the release version stamped into the binaries and the archive names (required)")
	flag.StringVar(&o.commit, "commit", "", "the git commit stamped into the binaries (required)")
	flag.StringVar(&o.date, "date", "", "the commit's date, RFC 3339: stamped into the binaries and every archive entry (required)")
	flag.StringVar(&o.out, "out", "dist", "the directory to write the archives to")
	flag.StringVar(&o.license, "license", "LICENSE", "the license file every archive holds")
	platforms := flag.String("platforms", "", "the GOOS/GOARCH pairs to build, comma-separated (default: every platform of a release)")
	flag.Parse()
	var err error
	if o.platforms, err = release.ParsePlatforms(*platforms); err != nil {
		fmt.Fprintln(os.Stderr, "error: -platforms:", err)
		os.Exit(2)
	}
	if err := o.run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type options struct {
	version, commit, date, out, license string
	platforms                           []release.Platform
}

func (o *options) run() error {
	for name, v := range map[string]string{"-version": o.version, "-commit": o.commit, "-date": o.date} {
		if v == "" {
			return fmt.Errorf("%s is required", name)
		}
	}
	mtime, err := time.Parse(time.RFC3339, o.date)
	if err != nil {
		return fmt.Errorf("-date %q: want RFC 3339, as `git log -1 --format=%%cI` prints it: %w", o.date, err)
	}
	license, err := os.ReadFile(o.license)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "kubectl-tenant-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)

	var sums []string
	for _, p := range o.platforms {
		files := []file{{name: "LICENSE", mode: 0o644, data: license}}
		for _, b := range release.Binaries {
			data, err := o.build(stage, p, b)
			if err != nil {
				return err
			}
			files = append(files, file{name: b + p.Exe(), mode: 0o755, data: data})
		}
		name := p.Archive(o.version)
		var buf bytes.Buffer
		if p.OS == "windows" {
			err = writeZip(&buf, files, mtime)
		} else {
			err = writeTarGz(&buf, files, mtime)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(o.out, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(buf.Bytes())
		sums = append(sums, hex.EncodeToString(sum[:])+"  "+name)
		fmt.Fprintf(os.Stderr, "%s (%d bytes)\n", filepath.Join(o.out, name), buf.Len())
	}
	sort.Strings(sums)
	return os.WriteFile(filepath.Join(o.out, "sha256sums.txt"), []byte(strings.Join(sums, "\n")+"\n"), 0o644)
}

// build compiles one command for one platform, stamped as `make build`
// stamps it, and returns the binary.
func (o *options) build(stage string, p release.Platform, name string) ([]byte, error) {
	out := filepath.Join(stage, p.OS+"_"+p.Arch, name+p.Exe())
	ldflags := strings.Join([]string{
		"-s", "-w", "-buildid=",
		"-X", module + "/pkg/version.version=" + o.version,
		"-X", module + "/pkg/version.commit=" + o.commit,
		"-X", module + "/pkg/version.date=" + o.date,
	}, " ")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "building %s for %s/%s\n", name, p.OS, p.Arch)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building %s for %s/%s: %w", name, p.OS, p.Arch, err)
	}
	return os.ReadFile(out)
}

// file is one archive entry.
type file struct {
	name string
	mode int64
	data []byte
}

// sorted returns files ordered by name, so that the order the caller
// gathered them in does not reach the archive.
func sorted(files []file) []file {
	s := append([]file(nil), files...)
	sort.Slice(s, func(i, j int) bool { return s[i].name < s[j].name })
	return s
}

// writeTarGz writes files as a gzipped tar whose bytes depend only on the
// files and mtime: no owner names, no gzip name or time.
func writeTarGz(w io.Writer, files []file, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, f := range sorted(files) {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     f.mode,
			Size:     int64(len(f.data)),
			ModTime:  mtime.UTC(),
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writeZip writes files as a zip whose bytes depend only on the files and
// mtime.
func writeZip(w io.Writer, files []file, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range sorted(files) {
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime.UTC()}
		hdr.SetMode(os.FileMode(f.mode))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}
