package kubeconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"golang.org/x/sync/errgroup"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// A kubeconfig is three long lists of independent entries plus a few
// small fields. sigs.k8s.io/yaml turns a whole document into one tree
// before it converts it, which for a file of thousands of contexts costs
// hundreds of megabytes and runs on one core. The codec here works entry
// by entry with the same library: the same YAML, on every core, in memory
// proportional to one entry.

// Encode renders a config as kubectl writes it: YAML with sorted keys,
// apiVersion v1, kind Config.
func Encode(cfg *clientcmdv1.Config) ([]byte, error) {
	var b bytes.Buffer
	err := EncodeTo(&b, cfg)
	return b.Bytes(), err
}

// EncodeTo writes what Encode returns to w, a batch of entries at a time,
// so that memory does not grow with the config.
func EncodeTo(w io.Writer, cfg *clientcmdv1.Config) error {
	// Top-level keys in the order yaml.Marshal sorts them.
	if err := encodeValue(w, map[string]string{"apiVersion": "v1"}); err != nil {
		return err
	}
	if err := encodeList(w, "clusters", cfg.Clusters); err != nil {
		return err
	}
	if err := encodeList(w, "contexts", cfg.Contexts); err != nil {
		return err
	}
	if err := encodeValue(w, map[string]string{"current-context": cfg.CurrentContext}); err != nil {
		return err
	}
	if len(cfg.Extensions) > 0 { // omitempty in the v1 type
		if err := encodeValue(w, map[string]any{"extensions": cfg.Extensions}); err != nil {
			return err
		}
	}
	if err := encodeValue(w, map[string]string{"kind": "Config"}); err != nil {
		return err
	}
	if !reflect.ValueOf(cfg.Preferences).IsZero() { // omitzero in the v1 type
		if err := encodeValue(w, map[string]any{"preferences": cfg.Preferences}); err != nil {
			return err
		}
	}
	return encodeList(w, "users", cfg.AuthInfos)
}

func encodeValue(w io.Writer, v any) error {
	data, err := marshalYAML(v)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// encodeBatch is how many entries are rendered, on every core, before
// they are written out.
const encodeBatch = 256

// encodeList writes "key:" and the entries as block sequence items.
func encodeList[T any](w io.Writer, key string, entries []T) error {
	if len(entries) == 0 {
		_, err := io.WriteString(w, key+": []\n")
		return err
	}
	if _, err := io.WriteString(w, key+":\n"); err != nil {
		return err
	}
	for start := 0; start < len(entries); start += encodeBatch {
		batch := entries[start:min(start+encodeBatch, len(entries))]
		parts := make([][]byte, len(batch))
		err := forChunks(len(batch), func(lo, hi int) error {
			var out bytes.Buffer
			for i := lo; i < hi; i++ {
				data, err := marshalYAML(&batch[i])
				if err != nil {
					return fmt.Errorf("encoding %s[%d]: %w", key, start+i, err)
				}
				writeItem(&out, data)
			}
			parts[lo] = out.Bytes()
			return nil
		})
		if err != nil {
			return err
		}
		for _, p := range parts {
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// marshalYAML renders v as sigs.k8s.io/yaml.Marshal does (JSON field names,
// sorted keys, the same YAML emitter) without re-reading the JSON with the
// YAML scanner, which is most of that function's cost.
func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	y := yamlValue(generic)
	if m, ok := y.(yamlv2.MapSlice); ok {
		var b bytes.Buffer
		if writePlainYAML(&b, m) {
			return b.Bytes(), nil
		}
	}
	return yamlv2.Marshal(y)
}

// yamlValue turns decoded JSON into values the YAML emitter writes as
// sigs.k8s.io/yaml would: objects with sorted keys, and numbers as the YAML
// parser resolves them (integers stay integers).
func yamlValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make(yamlv2.MapSlice, len(keys))
		for i, k := range keys {
			out[i] = yamlv2.MapItem{Key: k, Value: yamlValue(v[k])}
		}
		return out
	case []any:
		for i := range v {
			v[i] = yamlValue(v[i])
		}
		return v
	case json.Number:
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	default:
		return v
	}
}

// writeItem indents a rendered mapping as a sequence item: "- " before the
// first line, two spaces before the others, as the YAML emitter lays out a
// sequence of mappings.
func writeItem(out *bytes.Buffer, data []byte) {
	prefix := "- "
	for line := range bytes.Lines(data) {
		if len(bytes.TrimSpace(line)) > 0 {
			out.WriteString(prefix)
		}
		out.Write(line)
		prefix = "  "
	}
}

// minChunk is the fewest entries worth a goroutine: a file of a few
// entries, of which a merge reads thousands at once, is decoded in place.
const minChunk = 16

// forChunks calls fn on contiguous ranges covering [0, n), one range per
// core, concurrently. Range i starts at a distinct lo, so results can be
// stored by lo.
func forChunks(n int, fn func(lo, hi int) error) error {
	workers := min(runtime.GOMAXPROCS(0), (n+minChunk-1)/minChunk)
	if workers <= 1 {
		return fn(0, n)
	}
	var g errgroup.Group
	size := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += size {
		g.Go(func() error { return fn(lo, min(lo+size, n)) })
	}
	return g.Wait()
}

// span is a part of a document: data[start:end].
type span struct{ start, end int }

// parseSplit decodes a block-style kubeconfig by sections and list items:
// the clusters, users and contexts lists item by item on every core, and
// everything else as one small document. Items are parsed in place, each
// as a one-item sequence, so nothing is copied. It reports false when the
// document is not of the plain shape it handles (a directive, a document
// marker, flow style at the top, a repeated key, an alias whose anchor is
// in another item, anything that does not parse); the caller then parses
// the whole document, which gives the authoritative result or error.
// Every byte goes to some part the YAML reader parses, so its checks
// (encoding, control characters) apply to all of it.
func parseSplit(data []byte) (*clientcmdv1.Config, bool) {
	d, ok := splitDocument(data)
	if !ok {
		return nil, false
	}
	return d.cfg, d.decode(false)
}

// splitDoc is a document cut into parts: the config decoded from
// everything but the plain lists, and the spans of those lists' items.
type splitDoc struct {
	data  []byte
	cfg   *clientcmdv1.Config
	lists map[string][]span // by key: clusters, users, contexts
}

// decode fills cfg's split lists. With namesOnly, clusters and users are
// decoded by name alone (their YAML is still read in full); fill decodes
// one of them completely later.
func (d *splitDoc) decode(namesOnly bool) bool {
	ok := true
	if items, split := d.lists["contexts"]; split {
		d.cfg.Contexts, ok = parseItems[clientcmdv1.NamedContext](d.data, items)
	}
	if items, split := d.lists["clusters"]; split && ok {
		if namesOnly {
			d.cfg.Clusters, ok = parseNames(d.data, items, func(n string) clientcmdv1.NamedCluster { return clientcmdv1.NamedCluster{Name: n} })
		} else {
			d.cfg.Clusters, ok = parseItems[clientcmdv1.NamedCluster](d.data, items)
		}
	}
	if items, split := d.lists["users"]; split && ok {
		if namesOnly {
			d.cfg.AuthInfos, ok = parseNames(d.data, items, func(n string) clientcmdv1.NamedAuthInfo { return clientcmdv1.NamedAuthInfo{Name: n} })
		} else {
			d.cfg.AuthInfos, ok = parseItems[clientcmdv1.NamedAuthInfo](d.data, items)
		}
	}
	return ok
}

// splitDocument cuts a document into its parts and decodes the rest; see
// parseSplit.
func splitDocument(data []byte) (*splitDoc, bool) {
	if !utf8.Valid(data) {
		return nil, false
	}
	type section struct {
		key   string
		head  span   // the "key: ..." line and any lines before the first item
		items []span // the items of a plain list section
		plain bool   // a clusters/users/contexts section whose head is "key:" alone
	}
	var sections []*section
	var loose []span // comment and blank lines outside sections and items
	var cur *section
	for off := 0; off < len(data); {
		end := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end = off + i + 1
		}
		line := data[off:end]
		blank := len(bytes.TrimSpace(line)) == 0 || line[0] == '#'
		switch {
		case line[0] == '-' && (len(line) == 1 || line[1] == ' ' || line[1] == '\n' || line[1] == '\r'):
			switch {
			case cur == nil:
				return nil, false
			case cur.plain:
				cur.items = append(cur.items, span{off, end})
			default:
				cur.head.end = end // a sequence under another key, such as extensions
			}
		case line[0] == ' ' || blank:
			switch {
			case cur != nil && len(cur.items) > 0:
				cur.items[len(cur.items)-1].end = end
			case cur != nil && !cur.plain:
				cur.head.end = end // blank lines too: they may be inside a block scalar
			case blank:
				loose = append(loose, span{off, end})
			default:
				return nil, false
			}
		default:
			key, value, ok := bytes.Cut(line, []byte(":"))
			if !ok || !isPlainKey(key) {
				return nil, false
			}
			for _, s := range sections {
				if s.key == string(key) {
					return nil, false
				}
			}
			cur = &section{key: string(key), head: span{off, end}}
			cur.plain = (cur.key == "clusters" || cur.key == "users" || cur.key == "contexts") &&
				len(bytes.TrimSpace(value)) == 0
			sections = append(sections, cur)
		}
		off = end
	}

	var rest bytes.Buffer
	for _, l := range loose {
		rest.Write(data[l.start:l.end])
	}
	for _, s := range sections {
		if !s.plain {
			rest.Write(data[s.head.start:s.head.end])
		}
	}
	cfg := newConfig()
	if j, ok := plainMappingJSON(rest.Bytes()); ok {
		if err := json.Unmarshal(j, cfg); err != nil {
			return nil, false
		}
	} else if err := yaml.Unmarshal(rest.Bytes(), cfg); err != nil {
		return nil, false
	}
	d := &splitDoc{data: data, cfg: cfg, lists: map[string][]span{}}
	for _, s := range sections {
		if s.plain {
			d.lists[s.key] = s.items
		}
	}
	return d, true
}

// isPlainKey is a top-level key the split parser handles: letters and dashes.
func isPlainKey(key []byte) bool {
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// parseItems decodes each item span as a sequence that must hold exactly
// one entry, on every core. A section with no items is an empty list, as
// "key:" alone decodes to null.
func parseItems[T any](data []byte, items []span) ([]T, bool) {
	if len(items) == 0 {
		return nil, true
	}
	out := make([]T, len(items))
	err := forChunks(len(items), func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			item := data[items[i].start:items[i].end]
			if decodePlainItem(item, &out[i]) {
				continue
			}
			var one []T
			if err := yaml.Unmarshal(item, &one); err != nil {
				return err
			}
			if len(one) != 1 {
				return fmt.Errorf("item %d is not one entry", i)
			}
			out[i] = one[0]
		}
		return nil
	})
	return out, err == nil
}

// parseNames decodes only the name of each item, on every core.
func parseNames[T any](data []byte, items []span, stub func(string) T) ([]T, bool) {
	type named struct {
		Name string `json:"name"`
	}
	out := make([]T, len(items))
	err := forChunks(len(items), func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			item := data[items[i].start:items[i].end]
			name, ok := plainItemName(item)
			if !ok {
				one, ok := parseItems[named](data, items[i:i+1])
				if !ok {
					return fmt.Errorf("item %d does not decode", i)
				}
				name = one[0].Name
			}
			out[i] = stub(name)
		}
		return nil
	})
	return out, err == nil
}

// fillItem decodes item i of a split list completely into *dst.
func fillItem[T any](d *splitDoc, key string, i int, dst *T) error {
	items, ok := parseItems[T](d.data, d.lists[key][i:i+1])
	if !ok {
		return fmt.Errorf("%s[%d] does not decode", key, i)
	}
	*dst = items[0]
	return nil
}
