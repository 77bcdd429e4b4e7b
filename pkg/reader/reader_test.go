package reader

import (
	"slices"
	"testing"
)

// The command line is read as pflag and cobra read it, or not at all.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		args       []string
		ok         bool
		words      []string
		output     string
		completing string
	}{
		{args: []string{"get", "acme"}, ok: true, words: []string{"get", "acme"}},
		{args: []string{"get", "acme", "-oyaml"}, ok: true, words: []string{"get", "acme"}, output: "yaml"},
		{args: []string{"get", "acme", "-o=json"}, ok: true, words: []string{"get", "acme"}, output: "json"},
		{args: []string{"get", "acme", "-o", "name"}, ok: true, words: []string{"get", "acme"}, output: "name"},
		{args: []string{"get", "acme", "--output=yaml"}, ok: true, words: []string{"get", "acme"}, output: "yaml"},
		{args: []string{"get", "acme", "-oyaml=x"}, ok: true, words: []string{"get", "acme"}, output: "yaml=x"},
		{args: []string{"get", "acme", "-o="}, ok: true, words: []string{"get", "acme"}, output: "="},
		{args: []string{"--kubeconfig", "k", "contexts", "list"}, ok: true, words: []string{"contexts", "list"}},
		{args: []string{"__complete", "grant", "acme", "--namespace", ""}, ok: true, words: []string{"grant", "acme", ""}, completing: "namespace"},
		{args: []string{"__complete", "--context", "pr"}, ok: true, words: []string{"pr"}, completing: "context"},
		{args: []string{"get", "acme", "-o", ""}},
		{args: []string{"get", "acme", "--output="}},
		{args: []string{"get", "acme", "---output=json"}},
		{args: []string{"get", "acme", "--"}},
		{args: []string{"get", "acme", "-n", "x"}},
		{args: []string{"get", "acme", "--as", "x"}},
		{args: []string{"--no-headers", "contexts", "list"}},
		{args: []string{"contexts", "--no-headers", "list"}},
		{args: []string{"-o", "yaml", "get", "acme"}},
		{args: []string{"list", "--live=maybe"}},
		{args: []string{"get", "acme", "-o"}},
		{args: []string{"__complete", "grant", "--"}},
		{args: []string{"__complete"}},
		{args: nil},
	} {
		l, ok := parse(c.args)
		if ok != c.ok {
			t.Errorf("parse(%q): ok %v, want %v", c.args, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if !slices.Equal(l.words, c.words) || l.output != c.output || l.completing != c.completing {
			t.Errorf("parse(%q) = words %q, output %q, completing %q; want %q, %q, %q", c.args, l.words, l.output, l.completing, c.words, c.output, c.completing)
		}
	}
}

// A group's commands, and anything not a command, are cobra's to
// complete.
func TestSplitVerb(t *testing.T) {
	for _, c := range []struct {
		words []string
		verb  string
		args  []string
		ok    bool
	}{
		{[]string{"grant", "acme"}, "grant", []string{"acme"}, true},
		{[]string{"ls"}, "list", []string{}, true},
		{[]string{"contexts", "rm", "x"}, "contexts remove", []string{"x"}, true},
		{[]string{"contexts"}, "", nil, false},
		{[]string{"nosuch"}, "nosuch", []string{}, false},
		{[]string{"help"}, "help", []string{}, false},
		{nil, "", nil, false},
	} {
		verb, args, ok := splitVerb(c.words)
		if ok != c.ok || ok && (verb != c.verb || !slices.Equal(args, c.args)) {
			t.Errorf("splitVerb(%q) = %q %q %v; want %q %q %v", c.words, verb, args, ok, c.verb, c.args, c.ok)
		}
	}
}
