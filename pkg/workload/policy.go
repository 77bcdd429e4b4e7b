package workload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Policy is an IAM policy document, as a role's trust policy is written
// and read back.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy. Condition maps an operator
// (StringEquals, StringLike, ...) to its keys and their values.
type Statement struct {
	Sid       string                        `json:"Sid,omitempty"`
	Effect    string                        `json:"Effect"`
	Principal Principal                     `json:"Principal"`
	Action    Strings                       `json:"Action"`
	Condition map[string]map[string]Strings `json:"Condition,omitempty"`
}

// Principal is who a trust policy statement trusts.
type Principal struct {
	AWS       Strings `json:"AWS,omitempty"`
	Service   Strings `json:"Service,omitempty"`
	Federated Strings `json:"Federated,omitempty"`
}

// UnmarshalJSON reads a principal object, or "*" (anyone), which IAM
// reads as {"AWS": "*"}.
func (p *Principal) UnmarshalJSON(data []byte) error {
	var anyone string
	if json.Unmarshal(data, &anyone) == nil {
		if anyone != "*" {
			return fmt.Errorf("principal %q: give \"*\" or an object", anyone)
		}
		*p = Principal{AWS: Strings{"*"}}
		return nil
	}
	type plain Principal
	return strict(data, (*plain)(p))
}

// Strings is a string or a list of strings: IAM writes either.
type Strings []string

// MarshalJSON writes one value as a string, as IAM does.
func (s Strings) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// UnmarshalJSON reads a string or a list of strings.
func (s *Strings) UnmarshalJSON(data []byte) error {
	var one string
	if json.Unmarshal(data, &one) == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*s = many
	return nil
}

// ParsePolicy reads a policy document. A field it does not know
// (NotPrincipal, NotAction, a Principal of another kind) is an error:
// what it cannot read, it cannot vouch for.
func ParsePolicy(document string) (Policy, error) {
	var p Policy
	if err := strict([]byte(document), &p); err != nil {
		return Policy{}, fmt.Errorf("reading the trust policy: %w", err)
	}
	return p, nil
}

// strict decodes data into v, refusing fields v does not have.
func strict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// String is the policy as IAM takes it.
func (p Policy) String() string {
	data, _ := json.Marshal(p) // strings, lists and maps of them: it cannot fail
	return string(data)
}

// Request is an STS call as IAM evaluates a role's trust policy against
// it: the action, who calls (a service, or a web identity's OIDC
// provider), and the context keys the call carries (a web identity's
// ISSUER:sub and ISSUER:aud, a service's aws:SourceArn, session tags as
// aws:RequestTag/KEY).
type Request struct {
	Action    string
	Service   string
	Federated string
	Keys      map[string]string
}

// Allows evaluates p for r as IAM does for the operators the plugin's
// trust policies use (StringEquals, StringLike, ArnLike and their Not
// and IfExists forms; ArnEquals as exact; each key's values ORed, keys
// and operators ANDed, a missing key failing a positive operator): an
// Allow statement must match and no Deny statement may. An operator it
// does not know fails its statement, Allow or Deny: it is for checking
// the plugin's own policies, not for proving another policy refuses
// (Check reads those).
func (p Policy) Allows(r Request) bool {
	allowed := false
	for _, s := range p.Statement {
		if !s.matches(r) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func (s Statement) matches(r Request) bool {
	if !slices.ContainsFunc(s.Action, func(a string) bool { return like(a, r.Action) }) {
		return false
	}
	who := s.Principal.Service
	caller := r.Service
	if r.Federated != "" {
		who, caller = s.Principal.Federated, r.Federated
	}
	if caller == "" || !slices.Contains(who, caller) && !slices.Contains(s.Principal.AWS, "*") {
		return false
	}
	for op, keys := range s.Condition {
		for key, values := range keys {
			if !condition(op, r.Keys, key, values) {
				return false
			}
		}
	}
	return true
}

// condition evaluates one operator on one key.
func condition(op string, keys map[string]string, key string, values Strings) bool {
	got, present := keys[key]
	if !present {
		// A Not operator, or one IfExists, matches a missing key, as in IAM.
		return strings.Contains(op, "Not") || strings.HasSuffix(op, "IfExists")
	}
	var match func(pattern, s string) bool
	switch strings.TrimSuffix(op, "IfExists") {
	case "StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals":
		match = func(p, s string) bool { return p == s }
	case "StringLike", "ArnLike", "StringNotLike", "ArnNotLike":
		match = like
	default:
		return false
	}
	hit := slices.ContainsFunc(values, func(v string) bool { return match(v, got) })
	return hit != strings.Contains(op, "Not")
}

// like matches IAM's wildcards: * any run of characters, ? one.
func like(pattern, s string) bool {
	// path.Match treats / specially and [ as a class: escape them so that
	// only * and ? are wildcards, as in IAM.
	escaped := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `/`, "\x00").Replace(pattern)
	ok, err := path.Match(escaped, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// WebIdentityRequest is the call STS evaluates for a ServiceAccount
// token presented to AssumeRoleWithWebIdentity in account: from the
// token's issuer (its OIDC provider there), sub and aud. The token's
// signature is not checked here; STS checks it with the provider's keys.
func WebIdentityRequest(account, token string) (Request, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Request{}, errors.New("not a JWT: want three dot-separated parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Request{}, fmt.Errorf("the token's payload: %w", err)
	}
	var claims struct {
		Issuer   string  `json:"iss"`
		Subject  string  `json:"sub"`
		Audience Strings `json:"aud"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return Request{}, fmt.Errorf("the token's claims: %w", err)
	}
	b := Binding{Account: account, Issuer: claims.Issuer}
	host := b.IssuerHost()
	return Request{Action: actionWebIdentity, Federated: b.ProviderARN(),
		Keys: map[string]string{host + ":sub": claims.Subject, host + ":aud": strings.Join(claims.Audience, ",")}}, nil
}
