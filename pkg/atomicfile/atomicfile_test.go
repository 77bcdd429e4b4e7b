package atomicfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockWaitsAndTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	old := LockTimeout
	LockTimeout = 50 * time.Millisecond
	defer func() { LockTimeout = old }()
	if _, err := Lock(context.Background(), path); err == nil || !strings.Contains(err.Error(), path+".lock") {
		t.Errorf("second lock: %v, want a timeout naming the lock file", err)
	}
	unlock()
	unlock2, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}

func TestLockAllTakesEachPathOnce(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	unlock, err := LockAll(context.Background(), []string{b, a, b})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b} {
		if _, err := os.Stat(p + ".lock"); err != nil {
			t.Errorf("%s not locked: %v", p, err)
		}
	}
	unlock()
	for _, p := range []string{a, b} {
		if _, err := os.Stat(p + ".lock"); !os.IsNotExist(err) {
			t.Errorf("%s still locked: %v", p, err)
		}
	}
}

func TestWriteIsPrivateAndComplete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "file")
	if err := Write(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if err != nil || string(got) != "two" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v err %v; want \"two\", 0600", got, fi.Mode().Perm(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
