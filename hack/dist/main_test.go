package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"testing"
	"time"
)

// The archives' bytes depend on the files and the mtime alone: not on the
// order the files come in, the clock, or who builds them. (The e2e test
// builds a release twice at two paths; this covers both formats.)
func TestArchivesAreReproducible(t *testing.T) {
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	files := []file{
		{name: "kubectl-tenant", mode: 0o755, data: []byte("front")},
		{name: "LICENSE", mode: 0o644, data: []byte("license")},
		{name: "kubectl-tenant-engine", mode: 0o755, data: bytes.Repeat([]byte("engine"), 1000)},
	}
	reversed := []file{files[2], files[1], files[0]}
	for name, write := range map[string]func(io.Writer, []file, time.Time) error{"tar.gz": writeTarGz, "zip": writeZip} {
		var a, b, later bytes.Buffer
		if err := write(&a, files, mtime); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // a clock that leaked in would show
		if err := write(&b, reversed, mtime); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: the same files in another order, a second later, give other bytes", name)
		}
		if err := write(&later, files, mtime.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a.Bytes(), later.Bytes()) {
			t.Errorf("%s: the mtime does not reach the archive", name)
		}
		got := entries(t, name, a.Bytes())
		want := []string{"LICENSE 644 2026-01-02T02:04:05Z", "kubectl-tenant 755 2026-01-02T02:04:05Z", "kubectl-tenant-engine 755 2026-01-02T02:04:05Z"}
		if len(got) != len(want) {
			t.Fatalf("%s holds %v, want %v", name, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s entry %d: %s, want %s", name, i, got[i], want[i])
			}
		}
	}
}

// entries lists an archive's entries as "NAME MODE MTIME", in order.
func entries(t *testing.T, format string, data []byte) []string {
	t.Helper()
	var out []string
	add := func(name string, mode int64, mtime time.Time) {
		out = append(out, name+" "+strconv.FormatInt(mode, 8)+" "+mtime.UTC().Format(time.RFC3339))
	}
	if format == "zip" {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			add(f.Name, int64(f.Mode().Perm()), f.Modified)
		}
		return out
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		add(hdr.Name, hdr.Mode, hdr.ModTime)
	}
}
