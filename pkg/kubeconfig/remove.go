package kubeconfig

import (
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// Removed says what Remove took out, besides the contexts themselves.
type Removed struct {
	Contexts, Clusters, Users []string
	// CurrentUnset is true when the current context was one of those
	// removed, and no current context is set any more.
	CurrentUnset bool
}

// Remove deletes the named contexts from the files that hold them, and
// every cluster and user they referred to that no remaining context refers
// to. Unknown names are an error and nothing is changed.
func (s *Set) Remove(names []string) (*Removed, error) {
	for _, n := range names {
		if c, _ := s.Context(n); c == nil {
			return nil, s.unknownContext(n)
		}
	}
	out := &Removed{}
	clusters, users := map[string]bool{}, map[string]bool{}
	current := s.CurrentContext()
	for _, n := range names {
		c, f := s.Context(n)
		if c == nil { // named twice
			continue
		}
		clusters[c.Context.Cluster] = true
		users[c.Context.AuthInfo] = true
		f.Config.Contexts = deleteNamed(f.Config.Contexts, n, func(e clientcmdv1.NamedContext) string { return e.Name })
		s.Changed[f] = true
		out.Contexts = append(out.Contexts, n)
		if n == current {
			for _, g := range s.Files {
				if g.Config.CurrentContext == n {
					g.Config.CurrentContext = ""
					s.Changed[g] = true
				}
			}
			out.CurrentUnset = true
		}
		s.reindex()
	}

	// What the remaining contexts still refer to, in every file: a context
	// shadowed by a same-named one earlier in the list still needs its
	// cluster when its file is used alone.
	for _, f := range s.Files {
		for _, c := range f.Config.Contexts {
			delete(clusters, c.Context.Cluster)
			delete(users, c.Context.AuthInfo)
		}
	}
	for _, n := range sortedKeys(clusters) {
		if c, f := s.Cluster(n); c != nil {
			f.Config.Clusters = deleteNamed(f.Config.Clusters, n, func(e clientcmdv1.NamedCluster) string { return e.Name })
			s.Changed[f] = true
			out.Clusters = append(out.Clusters, n)
		}
	}
	for _, n := range sortedKeys(users) {
		if u, f := s.User(n); u != nil {
			f.Config.AuthInfos = deleteNamed(f.Config.AuthInfos, n, func(e clientcmdv1.NamedAuthInfo) string { return e.Name })
			s.Changed[f] = true
			out.Users = append(out.Users, n)
		}
	}
	s.reindex()
	return out, nil
}

func deleteNamed[T any](list []T, name string, nameOf func(T) string) []T {
	out := list[:0]
	for _, e := range list {
		if nameOf(e) != name {
			out = append(out, e)
		}
	}
	return out
}
