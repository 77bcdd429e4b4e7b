package awsauth

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Diff writes what changes between two versions of aws-auth's data, key
// by key, in unified-diff style: unchanged lines around each change as
// context, removed lines with "-", added with "+". It writes nothing when
// they are equal.
func Diff(w io.Writer, before, after map[string]string) {
	for _, key := range []string{MapRoles, MapUsers, "mapAccounts"} {
		a, b := splitLines(before[key]), splitLines(after[key])
		if strings.Join(a, "\n") == strings.Join(b, "\n") {
			continue
		}
		fmt.Fprintf(w, "--- aws-auth %s\n+++ aws-auth %s (after)\n", key, key)
		writeHunks(w, a, b)
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// writeHunks diffs two line lists. The plugin's edits cut whole entries
// and append at the end, so the lines are matched greedily: a line of a
// that appears later in b is kept, others are removed. That is exact for
// those edits and bounded in time for any input.
func writeHunks(w io.Writer, a, b []string) {
	const context = 2
	type op struct {
		kind byte // ' ', '-', '+'
		line string
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case i < len(a) && (j >= len(b) || !slices.Contains(b[j:], a[i])):
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	lastShown := -1
	for k, o := range ops {
		if o.kind == ' ' {
			continue
		}
		from := max(k-context, lastShown+1)
		if lastShown >= 0 && from > lastShown+1 {
			fmt.Fprintln(w, "  ...")
		}
		for c := from; c < k; c++ {
			fmt.Fprintf(w, "  %s\n", ops[c].line)
		}
		fmt.Fprintf(w, "%c %s\n", o.kind, o.line)
		lastShown = k
		// trailing context: shown once no change follows closely
		end := k + 1
		for end < len(ops) && end <= k+context && ops[end].kind == ' ' {
			end++
		}
		if end == len(ops) || end > k+context {
			for c := k + 1; c < end && c <= k+context; c++ {
				fmt.Fprintf(w, "  %s\n", ops[c].line)
				lastShown = c
			}
		}
	}
}
