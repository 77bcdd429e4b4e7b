package kubeconfig

import (
	"bytes"
	"path/filepath"
	"testing"
)

// FuzzMerge parses two documents as kubeconfigs and merges the second into
// the first under each policy. Whatever the input: no panic, a merge that
// succeeds yields a document that parses again, encoding is stable, and
// every incoming context is accounted for.
//
// The seeds in testdata/fuzz/FuzzMerge run with every `go test`; to search
// longer: go test ./pkg/kubeconfig -run '^$' -fuzz FuzzMerge -fuzztime 5m
func FuzzMerge(f *testing.F) {
	f.Add([]byte(target), []byte(incoming))
	f.Add([]byte(first), []byte(second))
	f.Add([]byte(""), []byte("clusters: []"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		dir := "/fuzz" // nothing is read or written
		cfgA, err := Parse("a", a)
		if err != nil {
			return
		}
		cfgB, err := Parse("b", b)
		if err != nil {
			return
		}
		for _, policy := range ConflictPolicies {
			dst := &File{Path: filepath.Join(dir, "a"), Config: cfgA.DeepCopy(), Exists: true}
			src := &File{Path: filepath.Join(dir, "b"), Config: cfgB.DeepCopy(), Exists: true}
			set := NewSet(dst)
			changes, err := set.Merge([]*File{src}, MergeOptions{OnConflict: policy})
			if err != nil {
				if policy != OnConflictError {
					t.Fatalf("policy %s failed: %v", policy, err)
				}
				continue
			}
			contexts := 0
			for _, c := range changes {
				if c.Kind == KindContext {
					contexts++
				}
			}
			if contexts != len(cfgB.Contexts) {
				t.Fatalf("policy %s: %d incoming contexts, %d accounted for", policy, len(cfgB.Contexts), contexts)
			}
			out, err := Encode(dst.Config)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			again, err := Parse("out", out)
			if err != nil {
				t.Fatalf("policy %s: merged output does not parse: %v\n%s", policy, err, out)
			}
			out2, err := Encode(again)
			if err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("encoding is not stable: %v\n%s\n---\n%s", err, out, out2)
			}
		}
	})
}
