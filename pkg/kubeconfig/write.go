package kubeconfig

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// BackupSuffix is added to a kubeconfig's path to name the copy of its
// previous content that every write keeps. One backup is kept per file.
const BackupSuffix = ".kubectl-tenant.bak"

// LockTimeout bounds how long a write waits for another process's lock.
var LockTimeout = 30 * time.Second

// syncFile is the fsync a write uses; tests replace it to simulate a
// failure between writing the temporary file and renaming it.
var syncFile = (*os.File).Sync

// Lock takes the lock client-go takes before it writes a kubeconfig: a
// file at PATH.lock created exclusively. kubectl's own writes and ours so
// exclude each other. It waits, with backoff, until ctx ends or
// LockTimeout passes. The returned function releases the lock.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	name := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	deadline := time.Now().Add(LockTimeout)
	wait := 2 * time.Millisecond
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_ = f.Close()
			return func() { _ = os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s is locked by another process (%s has existed for over %s); if no kubectl is writing it, remove %s",
				path, name, LockTimeout, name)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 100*time.Millisecond)
	}
}

// LockAll locks several files in path order, so that two processes that
// lock overlapping lists cannot wait on each other forever.
func LockAll(ctx context.Context, paths []string) (unlock func(), err error) {
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	var unlocks []func()
	release := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	for i, p := range sorted {
		if i > 0 && p == sorted[i-1] {
			continue
		}
		u, err := Lock(ctx, p)
		if err != nil {
			release()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return release, nil
}

// Write stores f.Config at f.Path, safely. The caller holds the lock.
//
// The content is encoded straight into a temporary file in the same
// directory, which is synced and renamed over the target, so a reader sees
// the old file or the new one and never a part, and memory does not grow
// with the file. The previous content is kept at PATH+BackupSuffix. The
// file's mode is 0600. A path that is a symbolic link is written through:
// the link stays and its target changes. Writing content equal to what is
// on disk does nothing. A file holding fields the v1 schema does not know
// is refused: rewriting it would drop them.
func Write(f *File) (err error) {
	if f.lazy != nil {
		return fmt.Errorf("%s was read to extract from, and holds entries decoded by name only: it cannot be written", f.Path)
	}
	target, err := resolveLink(f.Path)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(target)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", f.Path, err)
	}
	if existed {
		if err := checkLossless(f.Path, old); err != nil {
			return err
		}
	}

	tmp, err := createTemp(target)
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	same := &sameWriter{old: old}
	w := bufio.NewWriterSize(io.MultiWriter(tmp, same), 256<<10)
	if err := EncodeTo(w, f.Config); err != nil {
		return fmt.Errorf("encoding %s: %w", f.Path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if existed && same.same() {
		return nil
	}
	if existed {
		if err := writeAtomic(target+BackupSuffix, old); err != nil {
			return fmt.Errorf("keeping a backup of %s: %w", f.Path, err)
		}
	}
	if err := commit(tmp, target); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	committed = true
	f.Exists = true
	return nil
}

// sameWriter tells whether what is written equals old.
type sameWriter struct {
	old    []byte
	n      int
	differ bool
}

func (s *sameWriter) Write(p []byte) (int, error) {
	if !s.differ && (s.n+len(p) > len(s.old) || !bytes.Equal(s.old[s.n:s.n+len(p)], p)) {
		s.differ = true
	}
	s.n += len(p)
	return len(p), nil
}

func (s *sameWriter) same() bool { return !s.differ && s.n == len(s.old) }

// resolveLink follows symbolic links so that the rename replaces the file
// the link points to, not the link.
func resolveLink(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return real, nil
}

// writeAtomic writes data to path through a synced temporary file and a
// rename, with mode 0600.
func writeAtomic(path string, data []byte) error {
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := commit(tmp, path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// createTemp makes a 0600 temporary file beside path.
func createTemp(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

// commit syncs and closes tmp and renames it to path, durably. On error
// the caller removes tmp.
func commit(tmp *os.File, path string) error {
	if err := syncFile(tmp); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// WriteChanged writes every file of the set marked changed, in list order.
func (s *Set) WriteChanged() error {
	for _, f := range s.Files {
		if s.Changed[f] {
			if err := Write(f); err != nil {
				return err
			}
			delete(s.Changed, f)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkLossless refuses to rewrite a file that holds fields the v1 schema
// does not know: they would be dropped without a word.
func checkLossless(path string, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := yaml.UnmarshalStrict(data, &clientcmdv1.Config{}); err != nil {
		return fmt.Errorf("not rewriting %s: it holds content that would be lost (%v); remove that content and retry", path, plainYAMLError(err))
	}
	return nil
}
