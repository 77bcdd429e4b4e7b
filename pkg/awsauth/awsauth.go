// Package awsauth edits the kube-system/aws-auth ConfigMap that EKS (and
// aws-iam-authenticator) read to map IAM identities to Kubernetes users
// and groups. It validates with the authenticator's own parser, and edits
// the text: it adds or cuts whole entries and leaves every other byte as
// it was, because a re-encoded aws-auth that parses differently locks
// people out of clusters.
package awsauth

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The ConfigMap's data keys: the two the plugin edits, and the accounts
// whose principals map to their own ARN.
const (
	MapRoles    = "mapRoles"
	MapUsers    = "mapUsers"
	MapAccounts = "mapAccounts"
)

// GroupPrefix starts the group of every mapping the plugin writes
// (kubectl-tenant:TENANT:ROLE); entries without one are someone else's.
const GroupPrefix = tenant.NamePrefix

// Protected groups: a mapping into them is never removed without force,
// since removing it drops nodes or the last administrators.
const (
	groupNodes         = "system:nodes"
	groupBootstrappers = "system:bootstrappers"
	groupMasters       = "system:masters"
)

// Check validates aws-auth data with aws-iam-authenticator's parser and
// returns its error, which says where the data is broken.
func Check(data map[string]string) error {
	if _, _, _, err := configmap.ParseMap(data); err != nil {
		return fmt.Errorf("aws-auth does not parse, so it is left as it is: %w", err)
	}
	return nil
}

// Entry is one mapping with where its text is in the data value.
type Entry struct {
	Role *config.RoleMapping
	User *config.UserMapping
	// first and last line (0-based, inclusive) of the entry in the value
	first, last int
}

// ARN is the entry's role or user ARN.
func (e Entry) ARN() string {
	if e.Role != nil {
		return e.Role.RoleARN
	}
	return e.User.UserARN
}

// Groups are the entry's groups.
func (e Entry) Groups() []string {
	if e.Role != nil {
		return e.Role.Groups
	}
	return e.User.Groups
}

// Managed reports whether the plugin wrote the entry.
func (e Entry) Managed() bool {
	for _, g := range e.Groups() {
		if strings.HasPrefix(g, GroupPrefix) {
			return true
		}
	}
	return false
}

// Tenants are the tenants whose groups the entry carries.
func (e Entry) Tenants() []string {
	var out []string
	for _, g := range e.Groups() {
		if rest, ok := strings.CutPrefix(g, GroupPrefix); ok {
			name, _, _ := strings.Cut(rest, ":")
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// Protected reports whether the entry maps nodes or administrators
// (system:nodes, system:bootstrappers, system:masters).
func (e Entry) Protected() bool {
	return e.has(groupNodes) || e.has(groupBootstrappers) || e.has(groupMasters)
}

func (e Entry) has(group string) bool {
	for _, g := range e.Groups() {
		if g == group {
			return true
		}
	}
	return false
}

// entries locates the entries of a mapRoles or mapUsers value: empty, or
// a list of mappings, in block style (the form EKS, eksctl and kubectl
// users write, whose entries can be cut line by line) or flow style.
func entries(key, value string) ([]Entry, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s is not a list of entries", key)
	}
	// A flow-style list ("[{rolearn: ...}]") is read, but its entries have
	// no lines of their own to cut: Add rewrites such a list as a block
	// list first, so the plugin's entries are never in one.
	flow := seq.Style&yaml.FlowStyle != 0
	lines := strings.Split(strings.TrimRight(value, "\n"), "\n")
	var out []Entry
	for i, item := range seq.Content {
		e := Entry{first: item.Line - 1}
		switch {
		case flow:
			e.first, e.last = -1, -1
		case i+1 < len(seq.Content):
			e.last = seq.Content[i+1].Line - 2
		default:
			e.last = len(lines) - 1
		}
		// Trailing blank lines and comments belong to what follows.
		for e.last > e.first && (strings.TrimSpace(lines[e.last]) == "" || strings.HasPrefix(strings.TrimSpace(lines[e.last]), "#")) {
			e.last--
		}
		if key == MapRoles {
			e.Role = &config.RoleMapping{}
			if err := item.Decode(e.Role); err != nil {
				return nil, fmt.Errorf("%s entry %d: %w", key, i+1, err)
			}
		} else {
			e.User = &config.UserMapping{}
			if err := item.Decode(e.User); err != nil {
				return nil, fmt.Errorf("%s entry %d: %w", key, i+1, err)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Entries lists the mappings of both keys, roles first.
func Entries(data map[string]string) ([]Entry, error) {
	roles, err := entries(MapRoles, data[MapRoles])
	if err != nil {
		return nil, err
	}
	users, err := entries(MapUsers, data[MapUsers])
	if err != nil {
		return nil, err
	}
	return append(roles, users...), nil
}

// Mapping is an entry the plugin adds.
type Mapping struct {
	// RoleARN or UserARN, exactly one.
	RoleARN, UserARN string
	Username         string
	Groups           []string
}

func (m Mapping) tenants() []string {
	return Entry{Role: &config.RoleMapping{Groups: m.Groups}}.Tenants()
}

// Add returns data with the mapping added at the end of its list, and
// whether anything changed: an identical entry already there is left,
// and an entry for the same ARN that the plugin did not write is an error
// (the authenticator uses one entry per ARN; the plugin does not take
// over someone else's).
func Add(data map[string]string, m Mapping) (map[string]string, bool, error) {
	if data == nil {
		data = map[string]string{}
	}
	if err := Check(data); err != nil {
		return nil, false, err
	}
	key, arn := MapRoles, m.RoleARN
	if m.UserARN != "" {
		key, arn = MapUsers, m.UserARN
	}
	value, present := data[key]
	if value, err := reformat(value, present); err != nil {
		return nil, false, fmt.Errorf("%s: %w", key, err)
	} else if value != data[key] || !present {
		data = maps.Clone(data)
		data[key] = value
	}
	list, err := entries(key, data[key])
	if err != nil {
		return nil, false, err
	}
	for _, e := range list {
		if !strings.EqualFold(e.ARN(), arn) {
			continue
		}
		if !e.Managed() {
			return nil, false, fmt.Errorf("aws-auth already maps %s (to user %q, groups %v) in an entry kubectl-tenant did not write; it is left alone: remove or migrate it first",
				arn, username(e), e.Groups())
		}
		if others := slices.DeleteFunc(e.Tenants(), func(t string) bool { return slices.Contains(m.tenants(), t) }); len(others) > 0 {
			return nil, false, fmt.Errorf("aws-auth maps %s for tenant %s already, and it holds one entry per ARN: grant that tenant's role another principal, or revoke it there first",
				arn, strings.Join(others, ", "))
		}
		if username(e) == m.Username && slices.Equal(e.Groups(), m.Groups) {
			return data, false, nil
		}
		// The plugin's own entry for this ARN, with other groups: replace it.
		data, err = cut(data, key, e)
		if err != nil {
			return nil, false, err
		}
		break
	}
	out := maps.Clone(data)
	out[key] = appendEntry(data[key], renderEntry(key, arn, m))
	if err := Check(out); err != nil {
		return nil, false, fmt.Errorf("the edited aws-auth would not parse (%w); nothing is written", err)
	}
	return out, true, nil
}

// Remove returns data without the plugin's entries for arn that belong to
// tenantName (any of the plugin's when empty), and whether anything
// changed. An entry the plugin did not write is never removed. Without
// force it refuses to remove a node mapping or the last system:masters
// mapping.
func Remove(data map[string]string, arn, tenantName string, force bool) (map[string]string, bool, error) {
	if err := Check(data); err != nil {
		return nil, false, err
	}
	all, err := Entries(data)
	if err != nil {
		return nil, false, err
	}
	masters := 0
	for _, e := range all {
		if e.has(groupMasters) {
			masters++
		}
	}
	out, changed := data, false
	for _, key := range []string{MapRoles, MapUsers} {
		// Cut from the end so earlier line numbers stay right.
		list, err := entries(key, out[key])
		if err != nil {
			return nil, false, err
		}
		for i := len(list) - 1; i >= 0; i-- {
			e := list[i]
			if !strings.EqualFold(e.ARN(), arn) || !e.Managed() || tenantName != "" && !slices.Contains(e.Tenants(), tenantName) {
				continue
			}
			if !force && (e.has(groupNodes) || e.has(groupBootstrappers)) {
				return nil, false, fmt.Errorf("the aws-auth entry for %s maps nodes (%v); removing it would drop them: pass --force if you mean it", arn, e.Groups())
			}
			if !force && e.has(groupMasters) && masters == 1 {
				return nil, false, fmt.Errorf("the aws-auth entry for %s is the last system:masters mapping; removing it could lock everyone out: pass --force if you mean it", arn)
			}
			if out, err = cut(out, key, e); err != nil {
				return nil, false, err
			}
			changed = true
		}
	}
	if changed {
		for _, key := range []string{MapRoles, MapUsers} {
			if value, ok := out[key]; ok {
				if value, keep := restore(value); keep {
					out[key] = value
				} else {
					delete(out, key)
				}
			}
		}
		if err := Check(out); err != nil {
			return nil, false, fmt.Errorf("the edited aws-auth would not parse (%w); nothing is written", err)
		}
	}
	return out, changed, nil
}

// cut removes an entry's lines from its value.
func cut(data map[string]string, key string, e Entry) (map[string]string, error) {
	lines := strings.Split(strings.TrimRight(data[key], "\n"), "\n")
	if e.first < 0 || e.last >= len(lines) || e.first > e.last {
		return nil, errors.New("internal: entry lines out of range")
	}
	kept := append(append([]string(nil), lines[:e.first]...), lines[e.last+1:]...)
	out := maps.Clone(data)
	if len(strings.TrimSpace(strings.Join(kept, "\n"))) == 0 {
		out[key] = ""
	} else {
		out[key] = strings.Join(kept, "\n") + "\n"
	}
	return out, nil
}

// appendEntry adds an entry's text at the end of a list, in the list's
// own indentation.
func appendEntry(value, entry string) string {
	indent := ""
	for _, l := range strings.Split(value, "\n") {
		if t := strings.TrimLeft(l, " "); strings.HasPrefix(t, "- ") || t == "-" {
			indent = l[:len(l)-len(t)]
			break
		}
	}
	var b bytes.Buffer
	b.WriteString(value)
	if value != "" && !strings.HasSuffix(value, "\n") {
		b.WriteString("\n")
	}
	for _, l := range strings.Split(strings.TrimRight(entry, "\n"), "\n") {
		b.WriteString(indent + l + "\n")
	}
	return b.String()
}

// renderEntry writes one entry as eksctl does.
func renderEntry(key, arn string, m Mapping) string {
	var b strings.Builder
	field := "rolearn"
	if key == MapUsers {
		field = "userarn"
	}
	fmt.Fprintf(&b, "- %s: %s\n  username: %s\n  groups:\n", field, quote(arn), quote(m.Username))
	for _, g := range m.Groups {
		fmt.Fprintf(&b, "    - %s\n", quote(g))
	}
	return b.String()
}

// quote renders a scalar as YAML would, quoting only when needed.
func quote(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// Username is the entry's username (template).
func (e Entry) Username() string { return username(e) }

func username(e Entry) string {
	if e.Role != nil {
		return e.Role.Username
	}
	return e.User.Username
}
