package kubeconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
)

// BackupSuffix is added to a kubeconfig's path to name the copy of its
// previous content that every write keeps. One backup is kept per file.
const BackupSuffix = ".kubectl-tenant.bak"

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
	target, err := atomicfile.ResolveLink(f.Path)
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

	tmp, err := atomicfile.CreateTemp(target)
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
		if err := atomicfile.Write(target+BackupSuffix, old); err != nil {
			return fmt.Errorf("keeping a backup of %s: %w", f.Path, err)
		}
	}
	if err := atomicfile.Commit(tmp, target); err != nil {
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

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
