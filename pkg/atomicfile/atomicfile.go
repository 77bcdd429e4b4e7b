// Package atomicfile writes files the way kubectl-tenant promises to:
// under a lock another process honours, through a synced temporary file
// renamed into place, with mode 0600, so that a reader or a crash never
// sees a part-written file.
package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// SyncFile is the fsync a write uses; tests replace it to simulate a
// failure between writing the temporary file and renaming it.
var SyncFile = (*os.File).Sync

// LockTimeout bounds how long a write waits for another process's lock.
var LockTimeout = 30 * time.Second

// Lock takes the lock client-go takes before it writes a kubeconfig: a
// file at PATH.lock created exclusively, so kubectl's own writes and ours
// exclude each other; other files use the same scheme. It waits, with backoff, until ctx ends or
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

// ResolveLink follows symbolic links so that the rename replaces the file
// the link points to, not the link.
func ResolveLink(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return real, nil
}

// Write writes data to path through a synced temporary file and a
// rename, with mode 0600.
func Write(path string, data []byte) error {
	tmp, err := CreateTemp(path)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := Commit(tmp, path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// CreateTemp makes a 0600 temporary file beside path.
func CreateTemp(path string) (*os.File, error) {
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

// Commit syncs and closes tmp and renames it to path, durably. On error
// the caller removes tmp.
func Commit(tmp *os.File, path string) error {
	if err := SyncFile(tmp); err != nil {
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
