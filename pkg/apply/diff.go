package apply

import (
	"fmt"
	"io"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// WriteDiff writes the change of one result as kubectl diff shows it: a
// unified diff of the object's YAML, live against merged, under the
// names kubectl diff gives its files (LIVE/ and MERGED/ followed by
// group.version.kind.namespace.name). Fields the server owns (managed
// fields, resource version, uid, status...) are left out of both sides;
// a merged object that is only what the plugin would send (a client dry
// run) is laid over the live one, so that the diff shows what changes
// and not what the plugin leaves alone. A result without a change writes
// nothing.
func WriteDiff(w io.Writer, r Result) error {
	if r.Live == nil && r.Merged == nil {
		return nil
	}
	live, err := shown(r.Live)
	if err != nil {
		return err
	}
	merged, err := shown(r.Merged)
	if err != nil {
		return err
	}
	if live != nil && merged != nil {
		merged = overlay(live, merged)
	}
	a, err := yamlLines(live)
	if err != nil {
		return err
	}
	b, err := yamlLines(merged)
	if err != nil {
		return err
	}
	obj := r.Merged
	if obj == nil {
		obj = r.Live
	}
	name := fileName(obj, r.Namespace, r.Name)
	if _, err := fmt.Fprintf(w, "diff -u -N LIVE/%s MERGED/%s\n", name, name); err != nil {
		return err
	}
	return difflib.WriteUnifiedDiff(w, difflib.UnifiedDiff{A: a, B: b, FromFile: "LIVE/" + name, ToFile: "MERGED/" + name, Context: 3})
}

// fileName is kubectl diff's name for an object's file.
func fileName(obj runtime.Object, namespace, name string) string {
	gvk := obj.GetObjectKind().GroupVersionKind()
	parts := []string{gvk.Version, gvk.Kind, namespace, name}
	if gvk.Group != "" {
		parts = append([]string{gvk.Group}, parts...)
	}
	return strings.Join(parts, ".")
}

// serverFields are the metadata fields a diff leaves out: the server
// sets them, nobody applies them.
var serverFields = []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"}

// shown is obj as a diff shows it (nil for none).
func shown(obj runtime.Object) (map[string]any, error) {
	if obj == nil {
		return nil, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		for _, f := range serverFields {
			delete(md, f)
		}
	}
	return m, nil
}

// overlay lays what the plugin sends over live, as server-side apply
// merges it: maps key by key, anything else replaced. A merged object
// from the server already holds live's other fields, and is unchanged.
func overlay(live, sent map[string]any) map[string]any {
	out := make(map[string]any, len(live))
	for k, v := range live {
		out[k] = v
	}
	for k, v := range sent {
		lm, lok := live[k].(map[string]any)
		sm, sok := v.(map[string]any)
		if lok && sok {
			out[k] = overlay(lm, sm)
			continue
		}
		out[k] = v
	}
	return out
}

func yamlLines(m map[string]any) ([]string, error) {
	if m == nil {
		return nil, nil
	}
	data, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	return difflib.SplitLines(strings.TrimSuffix(string(data), "\n")), nil
}
