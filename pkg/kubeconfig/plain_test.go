package kubeconfig

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// plainSeeds are list items in and out of the plain shape: the shape's
// edges (a sequence at the key's indentation or further in, an empty
// collection, a boolean) and what must go to the library (a quote, a
// comment, a number, a continued scalar, a null, a repeated key).
var plainSeeds = []string{
	"- name: prod\n  cluster:\n    server: https://prod.example:6443\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJU+/==\n",
	"- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      args:\n      - token\n      - team-1\n      command: kubectl-tenant\n      env: []\n      provideClusterInfo: false\n",
	"- user:\n    exec:\n      args:\n        - token\n        - acme\n      env:\n      - name: AWS_PROFILE\n        value: acme\n  name: x\n",
	"- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: ns-1\n    extensions: []\n",
	"- name: yes\n  cluster: {}\n",
	"- name: \"quoted\"\n  cluster:\n    server: https://a\n",
	"- name: a # comment\n  cluster:\n    server: https://a\n",
	"- name: a\n  cluster:\n    server: https://a\n      continued\n",
	"- name: a\n  cluster:\n",
	"- name: a\n  name: b\n",
	"- name: 0123\n",
	"- name: a\n  cluster:\n    server: https://a\n   odd: indent\n",
	"- name: a\n  user:\n    token: a:b\n    username: a:\n",
	"- - name: a\n",
	"-\n  name: a\n",
	"- name: a\n  cluster:\n    server: s\n    Extensions:\n    - name: x\n      extension:\n        b: x\n        a: z\n",
	"- name: a\n  Name: b\n",
}

// topSeeds are the top-level mappings left of a kubeconfig once its lists
// are cut out.
var topSeeds = []string{
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx-1\npreferences: {}\n",
	"apiVersion: v1\nkind: Config\ncontexts: []\ncurrent-context: \"\"\n",
	"kind: Config\nExtensions:\n- name: x\n  extension:\n    b: x\n    a: z\n",
	"preferences:\n  colors: true\nkind: Config\n",
	"Kind: Config\nkind: Config\n",
}

// The top-level mapping read in the plain shape decodes into a config as
// sigs.k8s.io/yaml decodes it, and the library accepts it.
func FuzzPlainMapping(f *testing.F) {
	for _, s := range topSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		j, ok := plainMappingJSON(doc)
		if !ok {
			return
		}
		plain := newConfig()
		if json.Unmarshal(j, plain) != nil {
			return // a type mismatch: the library reads it
		}
		lib := newConfig()
		if err := yaml.Unmarshal(doc, lib); err != nil {
			t.Fatalf("plain read accepted %q, which the library refuses: %v", doc, err)
		}
		if !reflect.DeepEqual(plain, lib) {
			t.Fatalf("%q:\nplain   %#v\nlibrary %#v", doc, plain, lib)
		}
	})
}

// An item read in the plain shape decodes to what sigs.k8s.io/yaml gives
// for it, as a tree, as each list's entry type and by name alone, and
// the library accepts it.
func FuzzPlainItem(f *testing.F) {
	for _, s := range plainSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, item []byte) {
		if name, ok := plainItemName(item); ok {
			var lib []struct {
				Name string `json:"name"`
			}
			if err := yaml.Unmarshal(item, &lib); err != nil || len(lib) != 1 || lib[0].Name != name {
				t.Fatalf("plain name of %q is %q; the library reads %+v, %v", item, name, lib, err)
			}
		}
		j, ok := plainItemJSON(item)
		if !ok {
			return
		}
		var plain any
		if err := json.Unmarshal(j, &plain); err != nil {
			t.Fatalf("plain read of %q is not JSON: %v\n%s", item, err, j)
		}
		var lib []any
		if err := yaml.Unmarshal(item, &lib); err != nil {
			t.Fatalf("plain read accepted %q, which the library refuses: %v", item, err)
		}
		if len(lib) != 1 || !reflect.DeepEqual(plain, lib[0]) {
			t.Fatalf("%q:\nplain   %#v\nlibrary %#v", item, plain, lib)
		}
		sameAsLibrary[clientcmdv1.NamedCluster](t, item)
		sameAsLibrary[clientcmdv1.NamedAuthInfo](t, item)
		sameAsLibrary[clientcmdv1.NamedContext](t, item)
	})
}

func sameAsLibrary[T any](t *testing.T, item []byte) {
	t.Helper()
	var plain T
	if !decodePlainItem(item, &plain) {
		return // a type mismatch: the library reads it, and gives the error
	}
	var lib []T
	if err := yaml.Unmarshal(item, &lib); err != nil {
		t.Fatalf("%T: plain read accepted %q, which the library refuses: %v", plain, item, err)
	}
	if len(lib) != 1 || !reflect.DeepEqual(plain, lib[0]) {
		t.Fatalf("%T %q:\nplain   %#v\nlibrary %#v", plain, item, plain, lib)
	}
}

// What is written in the plain shape is byte for byte what
// go.yaml.in/yaml/v2 writes for the same value.
func FuzzPlainWrite(f *testing.F) {
	for _, s := range plainSeeds {
		f.Add([]byte(s))
	}
	for _, s := range codecCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.UseNumber()
		var generic any
		if dec.Decode(&generic) != nil {
			return
		}
		values := []any{yamlValue(generic)}
		if list, ok := values[0].([]any); ok {
			values = list // each item, as the codec writes them
		}
		for _, v := range values {
			m, ok := v.(yamlv2.MapSlice)
			if !ok {
				continue
			}
			var b bytes.Buffer
			if !writePlainYAML(&b, m) {
				continue
			}
			want, err := yamlv2.Marshal(m)
			if err != nil {
				t.Fatalf("the library cannot write what was written plain: %v", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Fatalf("plain write\n%s\nthe library\n%s", b.Bytes(), want)
			}
		}
	})
}

// The items of a file the codec wrote are read in the plain shape, not
// handed to the library: otherwise the shape would be a slower path that
// no test notices.
func TestWrittenItemsReadPlain(t *testing.T) {
	cfg, err := Parse("incoming", []byte(incoming))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := splitDocument(data)
	if !ok {
		t.Fatalf("the codec's own output does not split:\n%s", data)
	}
	n := 0
	for key, items := range d.lists {
		for _, it := range items {
			if _, ok := plainItemJSON(data[it.start:it.end]); !ok {
				t.Errorf("%s item not read plain:\n%s", key, data[it.start:it.end])
			}
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no items in\n%s", data)
	}
}
