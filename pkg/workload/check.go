package workload

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Finding is what a trust policy admits beyond its binding, or lacks:
// the statement, what is wrong, and the fix.
type Finding struct {
	Statement, Problem, Fix string
}

func (f Finding) String() string { return f.Statement + ": " + f.Problem + "; " + f.Fix }

// Check finds what p admits beyond b's ServiceAccount: a statement
// trusting another principal (any AWS principal, another OIDC provider,
// another service), and in a statement trusting b's own, each key the
// binding pins that is missing, matched with a wildcard or StringLike,
// or given another or more than one value. A policy that does not admit
// b at all is a finding too. Deny statements only narrow, and are left
// alone.
func (b Binding) Check(p Policy) []Finding {
	var out []Finding
	fix := "run `kubectl tenant workload-role` again to put the plugin's trust policy back"
	own := 0
	for i, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
		name := s.Sid
		if name == "" {
			name = fmt.Sprintf("statement %d", i+1)
		}
		for _, other := range b.foreign(s.Principal) {
			out = append(out, Finding{name, "trusts " + other + ", not only " + b.Subject() + "'s pods", "remove it; " + fix})
		}
		if !b.trusts(s.Principal) {
			continue
		}
		own++
		for _, key := range slices.Sorted(maps.Keys(b.required())) {
			want := b.required()[key][0]
			switch problem, widens := pinned(s.Condition, key, want); {
			case problem == "":
			case widens:
				out = append(out, Finding{name, problem + ": admits " + b.scope(key), fix})
			default:
				out = append(out, Finding{name, problem + ": does not admit " + b.Subject() + "'s pods as it should", fix})
			}
		}
	}
	if own == 0 {
		out = append(out, Finding{"trust policy", fmt.Sprintf("no statement trusts %s: %s's pods cannot assume the role", b.principal(), b.Subject()), fix})
	}
	return out
}

// principal is who the binding's statement trusts.
func (b Binding) principal() string {
	if b.Via == IRSA {
		return "OIDC provider " + b.ProviderARN()
	}
	return "service " + PodsService
}

// trusts reports whether p names the binding's own principal.
func (b Binding) trusts(p Principal) bool {
	if b.Via == IRSA {
		return slices.Contains(p.Federated, b.ProviderARN())
	}
	return slices.Contains(p.Service, PodsService)
}

// foreign names every principal p trusts besides the binding's own.
func (b Binding) foreign(p Principal) []string {
	var out []string
	for _, a := range p.AWS {
		if a == "*" {
			out = append(out, "every AWS principal (*)")
			continue
		}
		out = append(out, "AWS principal "+a)
	}
	for _, f := range p.Federated {
		if b.Via != IRSA || f != b.ProviderARN() {
			out = append(out, "OIDC provider "+f)
		}
	}
	for _, s := range p.Service {
		if b.Via != PodIdentity || s != PodsService {
			out = append(out, "service "+s)
		}
	}
	return out
}

// pinned says what is wrong with how conditions hold key to want (""
// when a StringEquals, or ArnEquals, gives exactly want), and whether
// it admits more than want (no condition on the key, a pattern operator,
// several values) or only other values (an exact operator with another
// value, which IAM matches literally, wildcards included).
func pinned(conditions map[string]map[string]Strings, key, want string) (string, bool) {
	var seen []string
	widens := true
	for _, op := range slices.Sorted(maps.Keys(conditions)) {
		values, ok := conditions[op][key]
		if !ok {
			continue
		}
		exact := op == "StringEquals" || op == "ArnEquals"
		if exact && len(values) == 1 && values[0] == want {
			return "", false
		}
		if exact && len(values) == 1 {
			widens = false
		}
		seen = append(seen, fmt.Sprintf("%s %q", op, []string(values)))
	}
	if len(seen) == 0 {
		return "no condition on " + key, true
	}
	return key + " is held by " + strings.Join(seen, " and ") + ", not StringEquals " + want, widens
}

// scope is what a policy without a pin on key admits.
func (b Binding) scope(key string) string {
	switch key {
	case b.IssuerHost() + ":sub", keyServiceAccountTag:
		return "other ServiceAccounts than " + b.Namespace + ":" + b.ServiceAccount
	case b.IssuerHost() + ":aud":
		return "tokens of other audiences than " + Audience
	case keyNamespaceTag:
		return "other namespaces than " + b.Namespace
	case keySourceArn:
		return "other clusters' pods than " + b.ClusterARN + "'s"
	case keySourceAccount:
		return "other accounts' clusters than " + b.Account + "'s"
	}
	return "more than " + b.Subject()
}
