package kubeconfig

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// FuzzMerge parses two documents as kubeconfigs and merges the second into
// the first under each policy. Whatever the input: no panic, the split
// parse agrees with the whole-document parse, a merge that succeeds yields
// a document that parses again, encoding is stable and equals
// sigs.k8s.io/yaml's, and every incoming context is accounted for.
//
// The seeds in testdata/fuzz/FuzzMerge run with every `go test`; to search
// longer: go test ./pkg/kubeconfig -run '^$' -fuzz FuzzMerge -fuzztime 5m
func FuzzMerge(f *testing.F) {
	f.Add([]byte(target), []byte(incoming))
	f.Add([]byte(first), []byte(second))
	f.Add([]byte(""), []byte("clusters: []"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		dir := "/fuzz" // nothing is read or written
		if split, ok := parseSplit(a); ok {
			whole := newConfig()
			if err := yaml.Unmarshal(a, whole); err != nil {
				t.Fatalf("split parse accepted what the whole parse refuses: %v", err)
			}
			if !reflect.DeepEqual(split, whole) {
				t.Fatalf("split parse differs from the whole parse:\nsplit %#v\nwhole %#v", split, whole)
			}
		}
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
			whole := *dst.Config
			whole.APIVersion, whole.Kind = "v1", "Config"
			whole.Clusters = append(make([]clientcmdv1.NamedCluster, 0), whole.Clusters...)
			whole.AuthInfos = append(make([]clientcmdv1.NamedAuthInfo, 0), whole.AuthInfos...)
			whole.Contexts = append(make([]clientcmdv1.NamedContext, 0), whole.Contexts...)
			if want, err := yaml.Marshal(&whole); err == nil && !bytes.Equal(want, out) {
				t.Fatalf("Encode differs from yaml.Marshal:\n%s\n---\n%s", want, out)
			}
		}
	})
}
