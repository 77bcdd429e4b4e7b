package awsauth

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// readKeys are the keys aws-iam-authenticator reads; it ignores every
// other key, so a mapping under "maproles" or "MapRoles" silently does
// nothing.
var readKeys = []string{MapRoles, MapUsers, MapAccounts}

// IgnoredKeys explains each top-level key of aws-auth that
// aws-iam-authenticator ignores, naming the key it reads instead when the
// name differs only in case. The messages are sorted.
func IgnoredKeys(data map[string]string) []string {
	var out []string
	for key := range data {
		if slices.Contains(readKeys, key) {
			continue
		}
		msg := fmt.Sprintf("aws-auth key %q is ignored by aws-iam-authenticator, which reads only mapRoles, mapUsers and mapAccounts", key)
		for _, want := range readKeys {
			if strings.EqualFold(key, want) {
				msg = fmt.Sprintf("aws-auth key %q is ignored by aws-iam-authenticator, which reads only %q: its mappings do nothing until the key is renamed", key, want)
			}
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}

// A value Add cannot append to as it is (the key is absent, blank, or a
// flow-style list such as "[]") is rewritten as a block list under a
// comment that keeps the original. Remove gives the original back, byte
// for byte, once the entries left are the original's again.
const (
	markerAbsent = "# kubectl-tenant: this key was absent"
	markerHeld   = "# kubectl-tenant: this key held "
)

// reformat returns the value Add appends to: the value itself when it is
// a block list, else the block list of its entries under the marker.
func reformat(value string, present bool) (string, error) {
	if !present {
		return markerAbsent + "\n", nil
	}
	marker := markerHeld + strconv.Quote(value) + "\n"
	if trimmed := strings.TrimSpace(value); trimmed == "" || trimmed == "[]" {
		return marker, nil
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(value), &doc) != nil || len(doc.Content) == 0 ||
		doc.Content[0].Kind != yaml.SequenceNode || doc.Content[0].Style&yaml.FlowStyle == 0 {
		return value, nil // a block list; anything else is for entries() to refuse
	}
	blockStyle(&doc)
	block, err := yaml.Marshal(&doc)
	if err != nil {
		return "", err
	}
	return marker + string(block), nil
}

func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// restore gives a reformatted value its original back when the entries
// it holds are the original's: it returns the value to keep and whether
// to keep the key at all. A value without the marker is kept as it is.
func restore(value string) (string, bool) {
	first, rest, _ := strings.Cut(value, "\n")
	var original string
	switch {
	case first == markerAbsent:
		original = ""
	case strings.HasPrefix(first, markerHeld):
		var err error
		if original, err = strconv.Unquote(strings.TrimPrefix(first, markerHeld)); err != nil {
			return value, true
		}
	default:
		return value, true
	}
	if !sameEntries(rest, original) {
		return value, true
	}
	return original, first != markerAbsent
}

// sameEntries reports whether two values hold the same entries, whatever
// their style.
func sameEntries(a, b string) bool {
	var va, vb any
	if yaml.Unmarshal([]byte(a), &va) != nil || yaml.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	empty := func(v any) bool { l, ok := v.([]any); return v == nil || ok && len(l) == 0 }
	if empty(va) && empty(vb) {
		return true
	}
	return reflect.DeepEqual(va, vb)
}
