package access

import (
	"slices"
	"sort"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// IAMPrincipal traces an IAM principal of the tenant: the channel that
// lets it in, the username and groups its mapping gives, what those
// groups hold where, and whether the live mapping says the same.
type IAMPrincipal struct {
	ARN      string   `json:"arn"`
	Kind     string   `json:"kind"`
	Via      string   `json:"via"`
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
	// Roles by namespace, through the groups' bindings.
	Roles map[string][]string `json:"roles,omitempty"`
	// AccessPolicies by namespace (access entries with an EKS policy).
	AccessPolicies map[string][]string `json:"accessPolicies,omitempty"`
	// Mapped is what the live mapping says: "yes", "missing", "differs
	// (...)", or "unchecked (...)".
	Mapped string `json:"mapped"`
}

// Mapping states.
const (
	MappedYes     = "yes"
	MappedMissing = "missing"
)

// IAMPrincipals lists the tenant's IAM principals as its grants want
// them, sorted by ARN, with Mapped still to be checked.
func IAMPrincipals(t *tenant.Tenant) []IAMPrincipal {
	var out []IAMPrincipal
	seen := map[tenant.Subject]int{}
	for _, g := range t.Spec.Grants {
		if !g.Subject.IsIAM() {
			continue
		}
		i, ok := seen[g.Subject]
		if !ok {
			username, groups, via, _ := rbac.IAMIdentity(t, g.Subject)
			out = append(out, IAMPrincipal{ARN: g.Subject.Name, Kind: g.Subject.Kind, Via: via, Username: username, Groups: groups,
				Roles: map[string][]string{}, AccessPolicies: map[string][]string{}, Mapped: "unchecked"})
			i = len(out) - 1
			seen[g.Subject] = i
		}
		target := out[i].Roles
		if g.AccessPolicy != "" {
			target = out[i].AccessPolicies
		}
		for _, ns := range t.GrantNamespaces(g) {
			if !slices.Contains(target[ns], g.Role) {
				target[ns] = append(target[ns], g.Role)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// CheckAWSAuth sets Mapped for the principals that come in through
// aws-auth, from its live data.
func CheckAWSAuth(ps []IAMPrincipal, data map[string]string) {
	entries, err := awsauth.Entries(data)
	for i := range ps {
		p := &ps[i]
		if p.Via != tenant.ViaAWSAuth {
			continue
		}
		if err != nil {
			p.Mapped = "unchecked (aws-auth does not parse)"
			continue
		}
		j := slices.IndexFunc(entries, func(e awsauth.Entry) bool { return strings.EqualFold(e.ARN(), p.ARN) })
		if j < 0 {
			p.Mapped = MappedMissing
			continue
		}
		p.Mapped = compare(entries[j].Username(), entries[j].Groups(), p.Username, p.Groups)
	}
}

// CheckAccessEntry sets Mapped for one principal from its live access entry.
func (p *IAMPrincipal) CheckAccessEntry(username string, groups []string, found bool, err error) {
	switch {
	case err != nil:
		p.Mapped = "unchecked (" + err.Error() + ")"
	case !found:
		p.Mapped = MappedMissing
	default:
		p.Mapped = compare(username, groups, p.Username, p.Groups)
	}
}

func compare(username string, groups []string, wantUser string, wantGroups []string) string {
	have := slices.Sorted(slices.Values(groups))
	if username == wantUser && slices.Equal(have, wantGroups) {
		return MappedYes
	}
	return "differs (username " + username + ", groups " + strings.Join(have, ",") + ")"
}
