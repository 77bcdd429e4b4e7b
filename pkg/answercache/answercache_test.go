package answercache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// setup points the cache at a temporary directory and returns a file an
// answer is read from, last changed a minute ago.
func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	// Files written by the test changed just now; the test that the
	// racy rule holds sets it back.
	saved := racy
	racy = 0
	t.Cleanup(func() { racy = saved })
	file := filepath.Join(dir, "tenants.yaml")
	write(t, file, "one", time.Minute)
	return file
}

// write writes a file and sets its modification time age ago.
func write(t *testing.T, path, content string, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(-age)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

func printed(key string) (string, bool) {
	var out, errOut bytes.Buffer
	ok, err := Print(key, &out, &errOut)
	if err != nil {
		panic(err)
	}
	return out.String() + "|" + errOut.String(), ok
}

// keys are of Key's shape.
func key(name string) string { return fmt.Sprintf("%032x", name) }

// An answer is printed again while its files are as they were, and not
// once any of them changes, goes or appears.
func TestKeepAndPrint(t *testing.T) {
	file := setup(t)
	missing := filepath.Join(filepath.Dir(file), "config.yaml")
	keep := func() {
		var in Inputs
		in.Add(file)
		in.Add(missing)
		Keep(key("k"), in, []byte("acme\n"), []byte("done\n"))
	}
	keep()
	if got, ok := printed(key("k")); !ok || got != "acme\n|done\n" {
		t.Fatalf("kept answer: %q %v", got, ok)
	}
	for name, change := range map[string]func(){
		"same size, other content and time": func() { write(t, file, "two", 2*time.Minute) },
		"removed":                           func() { os.Remove(file) },
		"a missing file made":               func() { write(t, missing, "registry: cluster", time.Hour) },
	} {
		t.Run(name, func(t *testing.T) {
			write(t, file, "one", time.Minute)
			os.Remove(missing)
			keep()
			if _, ok := printed(key("k")); !ok {
				t.Fatal("not kept")
			}
			change()
			if got, ok := printed(key("k")); ok {
				t.Errorf("printed %q after the change", got)
			}
		})
	}
	if _, ok := printed(key("other")); ok {
		t.Error("printed an answer never kept")
	}
}

// An answer is not kept from a file changed within the last two seconds
// (a second change within the file system's timestamp granularity could
// go unseen), nor from one that changed while it was read.
func TestKeepRefuses(t *testing.T) {
	file := setup(t)
	racy = 2 * time.Second
	write(t, file, "one", time.Minute) // an old modification time, copied: changed just now all the same
	var in Inputs
	in.Add(file)
	Keep(key("racy"), in, []byte("x"), nil)
	if _, ok := printed(key("racy")); ok {
		t.Error("kept an answer read from a file changed just now")
	}
	racy = 0
	write(t, file, "one", time.Minute)
	in = Inputs{}
	in.Add(file)
	write(t, file, "two", 2*time.Minute) // changed while being read
	Keep(key("changed"), in, []byte("x"), nil)
	if _, ok := printed(key("changed")); ok {
		t.Error("kept an answer read from a file that changed while it was read")
	}
}

// The key tells apart command lines, directories, environments and
// builds of the binaries.
func TestKey(t *testing.T) {
	bin := setup(t)
	base, err := Key([]string{"list", "--live=false"}, bin)
	if err != nil {
		t.Fatal(err)
	}
	differ := func(what string, args []string) {
		t.Helper()
		k, err := Key(args, bin)
		if err != nil {
			t.Fatal(err)
		}
		if k == base {
			t.Errorf("%s: same key", what)
		}
	}
	differ("other arguments", []string{"list", "-o", "name"})
	t.Setenv("KUBECONFIG", "/elsewhere")
	differ("another KUBECONFIG", []string{"list", "--live=false"})
	os.Unsetenv("KUBECONFIG")
	if k, _ := Key([]string{"list", "--live=false"}, bin); k != base {
		t.Errorf("the same environment again: another key")
	}
	t.Chdir(t.TempDir())
	differ("another directory", []string{"list", "--live=false"})
	write(t, bin, "rebuilt", time.Hour)
	differ("a rebuilt binary", []string{"list", "--live=false"})
	if _, err := Key(nil, filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a key for a binary that is not there")
	}
}

// At most keep answers are kept, the newest.
func TestPrune(t *testing.T) {
	file := setup(t)
	for i := range keep + 10 {
		var in Inputs
		in.Add(file)
		Keep(key(fmt.Sprintf("k%03d", i)), in, []byte("x"), nil)
	}
	dir, _ := Dir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != keep {
		t.Errorf("%d answers kept, want %d", len(entries), keep)
	}
	if _, ok := printed(key(fmt.Sprintf("k%03d", keep+9))); !ok {
		t.Error("the newest answer went")
	}
}

// A key not of Key's shape names no file, and an answer larger than
// largest is not kept.
func TestKeepRefusesOddKeysAndLargeAnswers(t *testing.T) {
	file := setup(t)
	var in Inputs
	in.Add(file)
	Keep("../../escaped", in, []byte("x"), nil)
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), "escaped.json")); err == nil {
		t.Error("a key from the environment wrote outside the directory")
	}
	Keep(key("large"), in, bytes.Repeat([]byte("x"), largest+1), nil)
	if _, ok := printed(key("large")); ok {
		t.Error("kept an answer larger than largest")
	}
}

// An answer that cannot be written out is an error.
func TestPrintReportsWriteErrors(t *testing.T) {
	file := setup(t)
	var in Inputs
	in.Add(file)
	Keep(key("k"), in, []byte("acme\n"), nil)
	if ok, err := Print(key("k"), failingWriter{}, &bytes.Buffer{}); !ok || err == nil {
		t.Errorf("Print to a failing writer: %v, %v; want printed with an error", ok, err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
