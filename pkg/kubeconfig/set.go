package kubeconfig

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// Set is a list of kubeconfig files read as one, as kubectl reads the
// KUBECONFIG variable.
type Set struct {
	Files []*File

	// Changed marks the files whose Config a caller modified and that
	// must be written.
	Changed map[*File]bool

	// Where each name's winning entry is: the first file that defines it.
	clusters, users, contexts map[string]loc

	// mergedFrom names the input each entry a merge put in came from, by
	// "kind/name", so that a later conflict names the right file.
	mergedFrom map[string]string
}

// loc is the place of an entry: a file and the entry's index in its list.
type loc struct {
	f *File
	i int
}

// ReadSet reads the files of a KUBECONFIG list, concurrently. Duplicate
// paths are read once, at their first position.
func ReadSet(ctx context.Context, paths []string) (*Set, error) {
	abs, err := uniqueAbs(paths)
	if err != nil {
		return nil, err
	}
	files, err := ReadFiles(ctx, abs)
	if err != nil {
		return nil, err
	}
	return NewSet(files...), nil
}

// ReadSetToExtract reads a KUBECONFIG list to extract contexts from it.
// In large files, clusters and users are read as YAML but decoded by name
// only; Extract decodes in full just the ones it returns, which saves most
// of the memory and time of reading a file of thousands of entries. The
// set cannot be written.
func ReadSetToExtract(ctx context.Context, paths []string) (*Set, error) {
	abs, err := uniqueAbs(paths)
	if err != nil {
		return nil, err
	}
	files, err := readFiles(ctx, abs, true)
	if err != nil {
		return nil, err
	}
	return NewSet(files...), nil
}

// ReadFiles reads files on every core, in the order of paths: parsing
// YAML is most of the cost of reading a long KUBECONFIG list.
func ReadFiles(ctx context.Context, paths []string) ([]*File, error) {
	return readFiles(ctx, paths, false)
}

func readFiles(ctx context.Context, paths []string, lazy bool) ([]*File, error) {
	files := make([]*File, len(paths))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range paths {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			f, err := readFile(p, lazy)
			files[i] = f
			return err
		})
	}
	return files, g.Wait()
}

// uniqueAbs makes the paths absolute and drops repeats, keeping the first.
func uniqueAbs(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no kubeconfig file given")
	}
	abs := make([]string, 0, len(paths))
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		a, err := AbsPath(p)
		if err != nil {
			return nil, err
		}
		if !seen[a] {
			seen[a] = true
			abs = append(abs, a)
		}
	}
	return abs, nil
}

// NewSet makes a Set of files already read.
func NewSet(files ...*File) *Set {
	s := &Set{Files: files, Changed: map[*File]bool{}}
	s.reindex()
	return s
}

// reindex records, for every name, the first file that defines it.
func (s *Set) reindex() {
	s.clusters, s.users, s.contexts = map[string]loc{}, map[string]loc{}, map[string]loc{}
	for _, f := range s.Files {
		s.indexFile(f)
	}
}

func (s *Set) indexFile(f *File) {
	for i, n := range clusterNames(f.Config) {
		if _, ok := s.clusters[n]; !ok {
			s.clusters[n] = loc{f, i}
		}
	}
	for i, n := range userNames(f.Config) {
		if _, ok := s.users[n]; !ok {
			s.users[n] = loc{f, i}
		}
	}
	for i, n := range contextNames(f.Config) {
		if _, ok := s.contexts[n]; !ok {
			s.contexts[n] = loc{f, i}
		}
	}
}

// CurrentContext is the first current-context set in the list.
func (s *Set) CurrentContext() string {
	for _, f := range s.Files {
		if f.Config.CurrentContext != "" {
			return f.Config.CurrentContext
		}
	}
	return ""
}

// Cluster returns the winning cluster entry of that name and its file.
func (s *Set) Cluster(name string) (*clientcmdv1.NamedCluster, *File) {
	l, ok := s.clusters[name]
	if !ok {
		return nil, nil
	}
	return &l.f.Config.Clusters[l.i], l.f
}

// User returns the winning user entry of that name and its file.
func (s *Set) User(name string) (*clientcmdv1.NamedAuthInfo, *File) {
	l, ok := s.users[name]
	if !ok {
		return nil, nil
	}
	return &l.f.Config.AuthInfos[l.i], l.f
}

// Context returns the winning context entry of that name and its file.
func (s *Set) Context(name string) (*clientcmdv1.NamedContext, *File) {
	l, ok := s.contexts[name]
	if !ok {
		return nil, nil
	}
	return &l.f.Config.Contexts[l.i], l.f
}

// fullCluster is Cluster, decoding the entry in full if its file was read
// lazily.
func (s *Set) fullCluster(name string) (*clientcmdv1.NamedCluster, *File, error) {
	l, ok := s.clusters[name]
	if !ok {
		return nil, nil, nil
	}
	entry := &l.f.Config.Clusters[l.i]
	if z := l.f.lazy; z != nil && z.clusterFull != nil && !z.clusterFull[l.i] {
		if err := fillItem(z.doc, "clusters", l.i, entry); err != nil {
			return nil, nil, &ParseError{File: l.f.Path, Err: err}
		}
		z.clusterFull[l.i] = true
	}
	return entry, l.f, nil
}

// fullUser is User, decoding the entry in full if its file was read lazily.
func (s *Set) fullUser(name string) (*clientcmdv1.NamedAuthInfo, *File, error) {
	l, ok := s.users[name]
	if !ok {
		return nil, nil, nil
	}
	entry := &l.f.Config.AuthInfos[l.i]
	if z := l.f.lazy; z != nil && z.userFull != nil && !z.userFull[l.i] {
		if err := fillItem(z.doc, "users", l.i, entry); err != nil {
			return nil, nil, &ParseError{File: l.f.Path, Err: err}
		}
		z.userFull[l.i] = true
	}
	return entry, l.f, nil
}

// Contexts lists the winning contexts in file order.
func (s *Set) Contexts() []clientcmdv1.NamedContext {
	var out []clientcmdv1.NamedContext
	for _, f := range s.Files {
		for _, c := range f.Config.Contexts {
			if s.contexts[c.Name].f == f {
				out = append(out, c)
			}
		}
	}
	return out
}

// ContextNames lists the names of the winning contexts, sorted.
func (s *Set) ContextNames() []string {
	names := make([]string, 0, len(s.contexts))
	for n := range s.contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownContextError names a context that is not in the set and lists the
// ones that are.
type UnknownContextError struct {
	Name  string
	Known []string
}

func (e *UnknownContextError) Error() string {
	const show = 20
	known := e.Known
	more := ""
	if len(known) > show {
		more = fmt.Sprintf(" and %d more (see 'kubectl tenant contexts list')", len(known)-show)
		known = known[:show]
	}
	if len(known) == 0 {
		return fmt.Sprintf("no context named %q: the kubeconfig has no contexts", e.Name)
	}
	return fmt.Sprintf("no context named %q; known contexts: %s%s", e.Name, strings.Join(known, ", "), more)
}

func (s *Set) unknownContext(name string) error {
	return &UnknownContextError{Name: name, Known: s.ContextNames()}
}

func dirOf(f *File) string { return filepath.Dir(f.Path) }
