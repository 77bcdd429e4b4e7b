package tenant

import "slices"

// AddGrant records g in the tenant. A grant of the same role to the same
// subject at the same scope is widened instead of repeated: its namespaces
// become the union (no namespaces meaning all of the tenant's). It returns
// the grant as recorded and whether the spec changed.
func (t *Tenant) AddGrant(g Grant) (Grant, bool) {
	for i, have := range t.Spec.Grants {
		if have.Subject != g.Subject || have.Role != g.Role || have.ClusterScope != g.ClusterScope {
			continue
		}
		merged := have
		switch {
		case len(have.Namespaces) == 0 || len(g.Namespaces) == 0:
			merged.Namespaces = nil
		default:
			merged.Namespaces = append([]string(nil), have.Namespaces...)
			for _, ns := range g.Namespaces {
				if !slices.Contains(merged.Namespaces, ns) {
					merged.Namespaces = append(merged.Namespaces, ns)
				}
			}
		}
		changed := !slices.Equal(have.Namespaces, merged.Namespaces)
		t.Spec.Grants[i] = merged
		return merged, changed
	}
	t.Spec.Grants = append(t.Spec.Grants, g)
	return g, true
}

// Revocation is what revoking took out of one grant.
type Revocation struct {
	// Grant as it was before.
	Grant Grant
	// Namespaces whose bindings go; all of the grant's when it is removed
	// whole.
	Namespaces []string
	// Removed is true when nothing of the grant remains.
	Removed bool
}

// RevokeGrants removes the subject's grants: of one role when role is set,
// in some namespaces when namespaces are given (the rest of each grant
// stays). It returns what was taken out.
func (t *Tenant) RevokeGrants(s Subject, role string, namespaces []string) []Revocation {
	var out []Revocation
	kept := t.Spec.Grants[:0]
	for _, g := range t.Spec.Grants {
		if g.Subject != s || role != "" && g.Role != role {
			kept = append(kept, g)
			continue
		}
		have := t.GrantNamespaces(g)
		if len(namespaces) == 0 || g.ClusterScope {
			out = append(out, Revocation{Grant: g, Namespaces: have, Removed: true})
			continue
		}
		var gone, left []string
		for _, ns := range have {
			if slices.Contains(namespaces, ns) {
				gone = append(gone, ns)
			} else {
				left = append(left, ns)
			}
		}
		if len(gone) == 0 {
			kept = append(kept, g)
			continue
		}
		out = append(out, Revocation{Grant: g, Namespaces: gone, Removed: len(left) == 0})
		if len(left) > 0 {
			g.Namespaces = left
			kept = append(kept, g)
		}
	}
	t.Spec.Grants = kept
	return out
}

// NamesSubject reports whether any grant names the subject.
func (t *Tenant) NamesSubject(s Subject) bool {
	return slices.ContainsFunc(t.Spec.Grants, func(g Grant) bool { return g.Subject == s })
}
