package kubeconfig

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// ConflictPolicy says what a merge does with an incoming entry whose name
// is taken by an entry with different content.
type ConflictPolicy string

// The conflict policies. Identical entries are never a conflict.
const (
	// OnConflictError changes nothing and names every conflict.
	OnConflictError ConflictPolicy = "error"
	// OnConflictRename gives the incoming entry a free name (NAME-2, NAME-3,
	// ...) and rewrites every reference to it.
	OnConflictRename ConflictPolicy = "rename"
	// OnConflictSkip keeps the existing entry and drops the incoming one,
	// together with incoming contexts that refer to a dropped cluster or
	// user (they would otherwise point at someone else's).
	OnConflictSkip ConflictPolicy = "skip"
	// OnConflictOverwrite replaces the existing entry, in the file that holds it.
	OnConflictOverwrite ConflictPolicy = "overwrite"
)

// ConflictPolicies lists the valid policies, for help and errors.
var ConflictPolicies = []ConflictPolicy{OnConflictError, OnConflictRename, OnConflictSkip, OnConflictOverwrite}

// ParseConflictPolicy validates a policy name.
func ParseConflictPolicy(s string) (ConflictPolicy, error) {
	for _, p := range ConflictPolicies {
		if string(p) == s {
			return p, nil
		}
	}
	names := make([]string, len(ConflictPolicies))
	for i, p := range ConflictPolicies {
		names[i] = string(p)
	}
	return "", fmt.Errorf("unknown conflict policy %q: use one of %s", s, strings.Join(names, ", "))
}

// MergeOptions control a merge.
type MergeOptions struct {
	OnConflict ConflictPolicy
	// Prefix is put before every incoming cluster, user and context name.
	Prefix string
}

// Kind names the three kinds of kubeconfig entry.
type Kind string

// The kinds of entry, named as in the file.
const (
	KindCluster Kind = "cluster"
	KindUser    Kind = "user"
	KindContext Kind = "context"
)

// Action is what a merge did with one incoming entry.
type Action string

// The actions a merge reports.
const (
	Added       Action = "added"
	Unchanged   Action = "unchanged"
	Renamed     Action = "renamed"
	Skipped     Action = "skipped"
	Overwritten Action = "overwritten"
)

// Change is one incoming entry and what became of it.
type Change struct {
	Kind   Kind
	Name   string // the name it has in the result (the new name when renamed)
	From   string // the file it came from
	Action Action
	// OldName is the incoming name of a renamed entry.
	OldName string
	// Reason explains a skip.
	Reason string
}

// Conflict is a name taken in the target by an entry with other content.
type Conflict struct {
	Kind Kind
	Name string
	From string // the incoming file
	In   string // where the existing entry came from: the target, or an earlier input
}

// ConflictError lists every conflict of a merge that was refused.
type ConflictError struct {
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		parts[i] = fmt.Sprintf("%s %q (from %s, differs from the one from %s)", c.Kind, c.Name, c.From, c.In)
	}
	return fmt.Sprintf("%d conflicting entries, nothing was changed: %s; choose --on-conflict=rename, skip or overwrite",
		len(parts), strings.Join(parts, "; "))
}

// Merge adds the entries of the sources to the set, in order, following
// the options. It takes the sources over: their configs are changed and
// may share data with the set afterwards. File references in the sources are made absolute first, so
// that merged entries keep working from the target's place. New entries go
// to the set's first file; an overwrite goes to the file that holds the
// entry. If the set has no current context, the first source's becomes it.
//
// With OnConflictError, Merge returns a *ConflictError naming every conflict
// and the set must be thrown away unwritten; the other policies never fail
// on a conflict.
func (s *Set) Merge(sources []*File, opts MergeOptions) ([]Change, error) {
	if opts.OnConflict == "" {
		opts.OnConflict = OnConflictError
	}
	var changes []Change
	var conflicts []Conflict
	for _, src := range sources {
		m := &merger{set: s, opts: opts, from: src.Path}
		cfg := src.Config
		if err := resolvePaths(cfg, dirOf(src)); err != nil {
			return nil, fmt.Errorf("resolving paths in %s: %w", src.Path, err)
		}
		m.run(cfg)
		changes = append(changes, m.changes...)
		conflicts = append(conflicts, m.conflicts...)
	}
	if len(conflicts) > 0 {
		return changes, &ConflictError{Conflicts: conflicts}
	}
	return changes, nil
}

// merger merges one source into the set.
type merger struct {
	set  *Set
	opts MergeOptions
	from string

	// incoming names, to keep renames clear of the source's own names
	incoming map[string]bool
	// what became of the source's clusters and users, by incoming name
	clusterName, userName   map[string]string
	droppedCluster, dropped map[string]bool

	changes   []Change
	conflicts []Conflict
}

func (m *merger) run(cfg *clientcmdv1.Config) {
	m.clusterName, m.userName = map[string]string{}, map[string]string{}
	m.droppedCluster, m.dropped = map[string]bool{}, map[string]bool{}
	m.incoming = map[string]bool{}
	applyPrefix(cfg, m.opts.Prefix)
	for _, n := range clusterNames(cfg) {
		m.incoming["cluster/"+n] = true
	}
	for _, n := range userNames(cfg) {
		m.incoming["user/"+n] = true
	}
	for _, n := range contextNames(cfg) {
		m.incoming["context/"+n] = true
	}

	for _, c := range cfg.Clusters {
		m.clusterName[c.Name], m.droppedCluster[c.Name] = m.place(KindCluster, c.Name, c.Cluster,
			func(name string) any { return m.existingCluster(name) },
			func(name string, f *File) { addCluster(m.set, f, name, c.Cluster) })
	}
	for _, u := range cfg.AuthInfos {
		m.userName[u.Name], m.dropped[u.Name] = m.place(KindUser, u.Name, u.AuthInfo,
			func(name string) any { return m.existingUser(name) },
			func(name string, f *File) { addUser(m.set, f, name, u.AuthInfo) })
	}
	contextName := map[string]string{}
	for _, c := range cfg.Contexts {
		ctx := c.Context
		switch {
		case m.droppedCluster[ctx.Cluster]:
			m.skip(KindContext, c.Name, fmt.Sprintf("its cluster %q was skipped", ctx.Cluster))
			continue
		case m.dropped[ctx.AuthInfo]:
			m.skip(KindContext, c.Name, fmt.Sprintf("its user %q was skipped", ctx.AuthInfo))
			continue
		}
		if n, ok := m.clusterName[ctx.Cluster]; ok {
			ctx.Cluster = n
		}
		if n, ok := m.userName[ctx.AuthInfo]; ok {
			ctx.AuthInfo = n
		}
		name, dropped := m.place(KindContext, c.Name, ctx,
			func(name string) any { return m.existingContext(name) },
			func(name string, f *File) { addContext(m.set, f, name, ctx) })
		if !dropped {
			contextName[c.Name] = name
		}
	}

	if cur, ok := contextName[cfg.CurrentContext]; ok && m.set.CurrentContext() == "" && len(m.conflicts) == 0 {
		m.set.Files[0].Config.CurrentContext = cur
		m.set.Changed[m.set.Files[0]] = true
	}
}

// place merges one entry. It returns the entry's name in the result and
// whether it was dropped. existing returns the target's entry of a name
// with its file references resolved, or nil; put stores the entry under a
// name in a file.
func (m *merger) place(kind Kind, name string, entry any, existing func(string) any, put func(string, *File)) (string, bool) {
	have := existing(name)
	if have == nil {
		put(name, m.set.Files[0])
		m.record(Change{Kind: kind, Name: name, From: m.from, Action: Added})
		return name, false
	}
	if reflect.DeepEqual(have, entry) {
		m.record(Change{Kind: kind, Name: name, From: m.from, Action: Unchanged})
		return name, false
	}
	holder := m.set.holder(kind, name)
	// Name the file the existing entry came from: the target, or an
	// earlier input of this merge.
	existingFrom := holder.Path
	if from, ok := m.set.mergedFrom[string(kind)+"/"+name]; ok {
		existingFrom = from
	}
	switch m.opts.OnConflict {
	case OnConflictRename:
		newName := m.freeName(kind, name)
		put(newName, m.set.Files[0])
		m.record(Change{Kind: kind, Name: newName, OldName: name, From: m.from, Action: Renamed})
		return newName, false
	case OnConflictSkip:
		m.skip(kind, name, "a different "+string(kind)+" of that name exists in "+existingFrom)
		return name, true
	case OnConflictOverwrite:
		put(name, holder)
		m.record(Change{Kind: kind, Name: name, From: m.from, Action: Overwritten})
		return name, false
	default:
		// Keep going, so that contexts are checked too and every
		// conflict is named; the caller discards the set.
		m.conflicts = append(m.conflicts, Conflict{Kind: kind, Name: name, From: m.from, In: existingFrom})
		return name, false
	}
}

func (m *merger) skip(kind Kind, name, reason string) {
	m.record(Change{Kind: kind, Name: name, From: m.from, Action: Skipped, Reason: reason})
}

func (m *merger) record(c Change) {
	m.changes = append(m.changes, c)
	if c.Action == Added || c.Action == Renamed || c.Action == Overwritten {
		if m.set.mergedFrom == nil {
			m.set.mergedFrom = map[string]string{}
		}
		m.set.mergedFrom[string(c.Kind)+"/"+c.Name] = m.from
	}
}

// freeName finds NAME-N, the first N from 2 that neither the target nor
// the incoming file uses for that kind.
func (m *merger) freeName(kind Kind, name string) string {
	for n := 2; ; n++ {
		candidate := name + "-" + strconv.Itoa(n)
		if m.set.holder(kind, candidate) == nil && !m.incoming[string(kind)+"/"+candidate] {
			return candidate
		}
	}
}

func (m *merger) existingCluster(name string) any {
	c, f := m.set.Cluster(name)
	if c == nil {
		return nil
	}
	out := c.Cluster.DeepCopy()
	_ = resolveRefs(clusterFileRefs(out), dirOf(f)) // the home directory is known: the sources resolved
	return *out
}

func (m *merger) existingUser(name string) any {
	u, f := m.set.User(name)
	if u == nil {
		return nil
	}
	out := u.AuthInfo.DeepCopy()
	_ = resolveRefs(userFileRefs(out), dirOf(f))
	return *out
}

func (m *merger) existingContext(name string) any {
	c, _ := m.set.Context(name)
	if c == nil {
		return nil
	}
	return *c.Context.DeepCopy()
}

// holder is the file holding the winning entry of a kind and name, or nil.
func (s *Set) holder(kind Kind, name string) *File {
	var l loc
	switch kind {
	case KindCluster:
		l = s.clusters[name]
	case KindUser:
		l = s.users[name]
	default:
		l = s.contexts[name]
	}
	return l.f
}

// putEntry stores an entry in one of f's lists, replacing the entry of
// that name there, and indexes it if no earlier file defines the name.
//
// Merge only puts a name into the file that holds it or, when no file does,
// into the first file, so the index always says where to replace.
func putEntry[T any](s *Set, index map[string]loc, f *File, list *[]T, name string, entry T) {
	if l, ok := index[name]; ok && l.f == f {
		(*list)[l.i] = entry
	} else {
		*list = append(*list, entry)
		if !ok {
			index[name] = loc{f, len(*list) - 1}
		}
	}
	s.Changed[f] = true
}

func addCluster(s *Set, f *File, name string, c clientcmdv1.Cluster) {
	putEntry(s, s.clusters, f, &f.Config.Clusters, name, clientcmdv1.NamedCluster{Name: name, Cluster: c})
}

func addUser(s *Set, f *File, name string, u clientcmdv1.AuthInfo) {
	putEntry(s, s.users, f, &f.Config.AuthInfos, name, clientcmdv1.NamedAuthInfo{Name: name, AuthInfo: u})
}

func addContext(s *Set, f *File, name string, c clientcmdv1.Context) {
	putEntry(s, s.contexts, f, &f.Config.Contexts, name, clientcmdv1.NamedContext{Name: name, Context: c})
}

func applyPrefix(cfg *clientcmdv1.Config, prefix string) {
	if prefix == "" {
		return
	}
	for i := range cfg.Clusters {
		cfg.Clusters[i].Name = prefix + cfg.Clusters[i].Name
	}
	for i := range cfg.AuthInfos {
		cfg.AuthInfos[i].Name = prefix + cfg.AuthInfos[i].Name
	}
	for i := range cfg.Contexts {
		c := &cfg.Contexts[i]
		c.Name = prefix + c.Name
		if c.Context.Cluster != "" {
			c.Context.Cluster = prefix + c.Context.Cluster
		}
		if c.Context.AuthInfo != "" {
			c.Context.AuthInfo = prefix + c.Context.AuthInfo
		}
	}
	if cfg.CurrentContext != "" {
		cfg.CurrentContext = prefix + cfg.CurrentContext
	}
}

// MergeReport is what a merge of files into into did, as `contexts
// merge` prints it: counts, then a line for each entry that did not
// simply go in.
func MergeReport(changes []Change, files int, into string, dryRun bool) string {
	var w strings.Builder
	counts := map[Kind]map[Action]int{}
	for _, c := range changes {
		if counts[c.Kind] == nil {
			counts[c.Kind] = map[Action]int{}
		}
		counts[c.Kind][c.Action]++
	}
	verb := "merged"
	if dryRun {
		verb = "would merge (dry run)"
	}
	var parts []string
	for _, kind := range []Kind{KindContext, KindCluster, KindUser} {
		var actions []string
		for _, a := range []Action{Added, Unchanged, Renamed, Overwritten, Skipped} {
			if n := counts[kind][a]; n > 0 {
				actions = append(actions, fmt.Sprintf("%d %s", n, a))
			}
		}
		if len(actions) > 0 {
			parts = append(parts, fmt.Sprintf("%ss %s", kind, strings.Join(actions, ", ")))
		}
	}
	fmt.Fprintf(&w, "%s %d file(s) into %s: %s\n", verb, files, into, strings.Join(parts, "; "))
	for _, c := range changes {
		switch c.Action {
		case Renamed:
			fmt.Fprintf(&w, "renamed %s %q from %s to %q\n", c.Kind, c.OldName, c.From, c.Name)
		case Overwritten:
			fmt.Fprintf(&w, "overwrote %s %q with the one from %s\n", c.Kind, c.Name, c.From)
		case Skipped:
			fmt.Fprintf(&w, "skipped %s %q from %s: %s\n", c.Kind, c.Name, c.From, c.Reason)
		}
	}
	return w.String()
}
