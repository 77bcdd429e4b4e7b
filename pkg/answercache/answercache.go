// Package answercache keeps the answers of the everyday read commands
// (`contexts list`, `list --live=false`, `get`, completion), so that the
// front prints one again without starting another binary, the way it
// answers a warm token. An answer is kept with everything it was made
// from: the command line, the working directory, the environment that
// names files, the binaries that made it, and every file it was read from
// (size, modification and change times, inode; a file that was missing
// must still be missing). When any of them differs the answer is not
// used, and the reader answers anew.
//
// It links the standard library alone, since the front uses it.
package answercache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// KeyEnv passes the key of an answer the front did not have to the
// reader, which keeps the answer it makes under it.
const KeyEnv = "KUBECTL_TENANT_ANSWER_KEY"

// keyEnv are the environment variables that choose the files a read
// command reads (the kubeconfig list, the registry, the home and config
// directories).
var keyEnv = []string{"KUBECONFIG", "KUBECTL_TENANT_REGISTRY", "HOME", "XDG_CONFIG_HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH"}

// racy (a variable for the tests) is how recent a file's last change (modification, or a change
// of its inode: a copy that kept an old modification time) may be for an
// answer read from it to be kept: a file changed twice within its file
// system's timestamp granularity, at the same size, would look unchanged.
var racy = 2 * time.Second

// keep is how many answers are kept; past it the oldest go. largest is
// the largest answer kept (bytes of output): a bigger one (the records of
// thousands of tenants) is made each time.
const (
	keep    = 256
	largest = 256 << 10
)

// Dir is where answers are kept:
// ${XDG_CACHE_HOME:-~/.cache}/kubectl-tenant/answers.
func Dir() (string, error) {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "kubectl-tenant", "answers"), nil
}

// Key names the answer to args in this process's directory and
// environment, made by the binaries at bins: a new build of either
// changes every key.
func Key(args []string, bins ...string) (string, error) {
	if !supported {
		return "", errors.New("answers are not kept on " + runtime.GOOS)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	enc := json.NewEncoder(h)
	parts := []any{args, cwd}
	for _, name := range keyEnv {
		v, set := os.LookupEnv(name)
		parts = append(parts, []any{name, set, v})
	}
	for _, bin := range bins {
		fp := fingerprint(bin)
		if fp == "" || fp == absent {
			return "", fmt.Errorf("%s: no such binary", bin)
		}
		parts = append(parts, []any{bin, fp})
	}
	if err := enc.Encode(parts); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// entry is a kept answer.
type entry struct {
	Inputs []input `json:"inputs"`
	Stdout []byte  `json:"stdout"`
	Stderr []byte  `json:"stderr"`
}

// input is a file an answer was read from, and its state then.
type input struct {
	Path  string `json:"path"`
	State string `json:"state"`
}

// absent is the state of a file that does not exist.
const absent = "absent"

// fingerprint is a file's state: "" when it cannot be read, which
// matches nothing.
func fingerprint(path string) string {
	state, _ := stat(path)
	return state
}

// stat is a file's state, and its information when it is there.
func stat(path string) (string, fs.FileInfo) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return absent, nil
	}
	if err != nil || !fi.Mode().IsRegular() {
		return "", nil
	}
	return fmt.Sprintf("%d %d %s", fi.Size(), fi.ModTime().UnixNano(), identity(fi)), fi
}

// Print writes the answer kept under key to stdout and stderr and
// reports true, when there is one and nothing it was made from has
// changed, with an error when writing it failed. It writes nothing
// otherwise.
func Print(key string, stdout, stderr io.Writer) (bool, error) {
	path, ok := file(key)
	if !ok {
		return false, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false, nil
	}
	var e entry
	if json.Unmarshal(data, &e) != nil {
		return false, nil
	}
	for _, in := range e.Inputs {
		if fingerprint(in.Path) != in.State {
			return false, nil
		}
	}
	if _, err := stdout.Write(e.Stdout); err != nil {
		return true, err
	}
	_, err = stderr.Write(e.Stderr)
	return true, err
}

// file is where the answer under key is kept. A key not of Key's shape
// (32 hex digits: one from the environment the reader was started with)
// names no file, so none outside the directory.
func file(key string) (string, bool) {
	if len(key) != 32 || strings.Trim(key, "0123456789abcdef") != "" {
		return "", false
	}
	dir, err := Dir()
	if err != nil {
		return "", false
	}
	return filepath.Join(dir, key+".json"), true
}

// Inputs are the files an answer is read from, each as it was before it
// was read.
type Inputs struct {
	list []input
}

// Add records a file, before it is read.
func (in *Inputs) Add(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	in.list = append(in.list, input{Path: path, State: fingerprint(path)})
}

// Keep keeps an answer under key, when every file it was read from is
// still as it was before it was read, and none changed so recently that
// a second change could go unseen. Failing to keep it is not an error:
// the answer is made again next time.
func Keep(key string, inputs Inputs, stdout, stderr []byte) {
	if len(stdout)+len(stderr) > largest {
		return
	}
	now := time.Now()
	for _, in := range inputs.list {
		state, fi := stat(in.Path)
		if in.State == "" || state != in.State || fi != nil && now.Sub(changed(fi)) < racy {
			return
		}
	}
	path, ok := file(key)
	if !ok {
		return
	}
	dir := filepath.Dir(path)
	data, err := json.Marshal(entry{Inputs: inputs.list, Stdout: stdout, Stderr: stderr})
	if err != nil || os.MkdirAll(dir, 0o700) != nil {
		return
	}
	// A temporary file renamed into place: a reader never sees half an
	// answer. No sync: an answer lost in a crash is only made again.
	tmp, err := os.CreateTemp(dir, ".answer-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	prune(dir)
}

// prune removes the oldest answers past keep.
func prune(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= keep {
		return
	}
	type kept struct {
		name string
		mod  time.Time
	}
	var all []kept
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			all = append(all, kept{e.Name(), fi.ModTime()})
		}
	}
	slices.SortFunc(all, func(a, b kept) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for _, k := range all[:len(all)-keep] {
		_ = os.Remove(filepath.Join(dir, k.name))
	}
}
