package kubeconfig

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
)

// Most of a kubeconfig's bytes are plain scalars in block mappings: names,
// URLs, paths and base64 data, nested by indentation, with no quotes,
// comments, anchors, tags or flow collections. For entries of exactly
// that shape the codec reads and writes YAML here, in one pass over the
// bytes, instead of through the YAML library's token machinery, which was
// two thirds of merging a thousand files. Anything outside the shape (a
// quote, a comment, a number, a multi-line string, a long key) goes to
// the library, and so do whole entries that hold it. The fuzz tests hold
// both directions to the library: what is read here (list items, their
// names, the top-level mapping) decodes as sigs.k8s.io/yaml decodes it,
// and what is written is byte for byte what go.yaml.in/yaml/v2 writes.

// isPlain reports whether s is a scalar written and read the same in this
// shape and by the library: it starts with a letter or '/', it holds only
// letters, digits and -._/+=@:, it does not end with ':', and the YAML 1.1
// resolver does not take it for a boolean or null ("yes", "off", ...).
func isPlain(s string) bool {
	if s == "" || !(isLetter(s[0]) || s[0] == '/') || s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	if len(s) <= len("false") {
		switch strings.ToLower(s) {
		case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
			return false
		}
	}
	return true
}

// plainByte is the bytes a plain scalar holds.
var plainByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isLetter(byte(c)) || c >= '0' && c <= '9' || strings.IndexByte("-._/+=@:", byte(c)) >= 0
	}
	return t
}()

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// maxPlainKey is the longest key written here: the emitter writes a
// longer one in the explicit "? key" form.
const maxPlainKey = 128

func isPlainMapKey(s string) bool {
	return len(s) <= maxPlainKey && isPlain(s) && !strings.Contains(s, ":")
}

// writePlainYAML writes v, a value as yamlValue returns it, as
// go.yaml.in/yaml/v2's Marshal writes it, and reports false, having
// written an unspecified part, when v is not of the plain shape.
func writePlainYAML(b *bytes.Buffer, v yamlv2.MapSlice) bool {
	if len(v) == 0 {
		b.WriteString("{}\n")
		return true
	}
	return writeMapping(b, v, 0, false)
}

// writeMapping writes a block mapping at indent. With inItem its first
// key follows a sequence item's "- " on the same line.
func writeMapping(b *bytes.Buffer, m yamlv2.MapSlice, indent int, inItem bool) bool {
	for i, item := range m {
		key, ok := item.Key.(string)
		if !ok || !isPlainMapKey(key) {
			return false
		}
		if i > 0 || !inItem {
			writeIndent(b, indent)
		}
		b.WriteString(key)
		b.WriteByte(':')
		switch v := item.Value.(type) {
		case yamlv2.MapSlice:
			if len(v) == 0 {
				b.WriteString(" {}\n")
				continue
			}
			b.WriteByte('\n')
			if !writeMapping(b, v, indent+2, false) {
				return false
			}
		case []any:
			if len(v) == 0 {
				b.WriteString(" []\n")
				continue
			}
			b.WriteByte('\n')
			// The library writes a sequence under a key at the key's own
			// indentation.
			if !writeSequence(b, v, indent) {
				return false
			}
		default:
			b.WriteByte(' ')
			if !writeScalar(b, v) {
				return false
			}
		}
	}
	return true
}

func writeSequence(b *bytes.Buffer, s []any, indent int) bool {
	for _, item := range s {
		writeIndent(b, indent)
		b.WriteString("- ")
		switch v := item.(type) {
		case yamlv2.MapSlice:
			if len(v) == 0 {
				b.WriteString("{}\n")
				continue
			}
			if !writeMapping(b, v, indent+2, true) {
				return false
			}
		case []any:
			return false // a sequence in a sequence: the library's "- - "
		default:
			if !writeScalar(b, v) {
				return false
			}
		}
	}
	return true
}

// writeScalar writes a scalar and its line's end.
func writeScalar(b *bytes.Buffer, v any) bool {
	switch v := v.(type) {
	case string:
		if !isPlain(v) {
			return false
		}
		b.WriteString(v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case nil:
		b.WriteString("null")
	default:
		return false // floats and the rest: the library's formatting
	}
	b.WriteByte('\n')
	return true
}

func writeIndent(b *bytes.Buffer, n int) {
	for range n {
		b.WriteByte(' ')
	}
}

// plainLine is a line of an entry: its indentation and the rest, without
// the line break.
type plainLine struct {
	indent int
	text   string
}

// plainItemJSON reads one block sequence item of a kubeconfig list ("- "
// and a mapping, the lines after it indented) as the JSON object
// sigs.k8s.io/yaml would convert it to. It reports false when the item is
// not of the plain shape; the library then reads it.
func plainItemJSON(item []byte) ([]byte, bool) {
	lines, ok := splitPlainItem(item)
	return parsePlain(lines, ok, 2, false)
}

// plainItemName reads the name of a list item of the plain shape, without
// decoding the rest; false leaves it to the library.
func plainItemName(item []byte) (string, bool) {
	lines, ok := splitPlainItem(item)
	if _, ok := parsePlain(lines, ok, 2, true); !ok {
		return "", false
	}
	// The item's own keys are the lines at its indentation that are not
	// a sequence's dashes (a sequence item's first key was moved in).
	for _, l := range lines {
		key, v, _ := strings.Cut(l.text, ":")
		if l.indent == 2 && !strings.HasPrefix(l.text, "- ") && strings.EqualFold(key, "name") {
			v, ok = strings.CutPrefix(v, " ")
			return v, ok && isPlain(v)
		}
	}
	return "", true
}

// plainMappingJSON reads a document's top-level mapping (what is left of
// a kubeconfig once its lists are cut out) as the JSON object
// sigs.k8s.io/yaml would convert it to; false leaves it to the library.
func plainMappingJSON(doc []byte) ([]byte, bool) {
	lines, ok := splitPlainLines(doc, 0)
	return parsePlain(lines, ok, 0, false)
}

// parsePlain reads lines, when split is true, as one block mapping whose
// keys are at indent, and returns its JSON (none with checkOnly).
func parsePlain(lines []plainLine, split bool, indent int, checkOnly bool) ([]byte, bool) {
	if !split {
		return nil, false
	}
	p := plainParser{lines: lines, checkOnly: checkOnly}
	if !p.mapping(indent) || p.next != len(lines) {
		return nil, false
	}
	return p.out.Bytes(), true
}

// splitPlainItem cuts an item into lines, the first one after its "- ".
func splitPlainItem(item []byte) ([]plainLine, bool) {
	rest, ok := bytes.CutPrefix(item, []byte("- "))
	if !ok {
		return nil, false
	}
	return splitPlainLines(rest, 2)
}

// splitPlainLines cuts text into lines, the first at firstIndent. Blank
// lines, comment lines, tabs and carriage returns are outside the shape.
func splitPlainLines(rest []byte, firstIndent int) ([]plainLine, bool) {
	if bytes.ContainsAny(rest, "\t\r") {
		return nil, false
	}
	var lines []plainLine
	indent := firstIndent
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		text := bytes.TrimLeft(line, " ")
		indent += len(line) - len(text)
		if len(text) == 0 || text[0] == '#' {
			return nil, false
		}
		lines = append(lines, plainLine{indent: indent, text: string(text)})
		indent = 0
	}
	return lines, len(lines) > 0
}

type plainParser struct {
	lines []plainLine
	next  int
	// checkOnly reads the shape without writing JSON to out.
	checkOnly bool
	out       bytes.Buffer
}

func (p *plainParser) write(s string) {
	if !p.checkOnly {
		p.out.WriteString(s)
	}
}

// mapping reads the block mapping whose keys are at indent.
func (p *plainParser) mapping(indent int) bool {
	p.write("{")
	var keys keySet
	for p.next < len(p.lines) && p.lines[p.next].indent == indent {
		l := p.lines[p.next]
		key, value, ok := strings.Cut(l.text, ":")
		// Extensions decode to raw JSON, whose bytes (key order) the
		// library decides; encoding/json matches the field whatever the
		// key's case.
		if !ok || !isPlainMapKey(key) || strings.EqualFold(key, "extensions") || !keys.add(key) {
			return false
		}
		if keys.n > 1 {
			p.write(",")
		}
		p.write(strconv.Quote(key)) // plain keys need no JSON escapes
		p.write(":")
		p.next++
		switch {
		case value == "":
			if !p.blockValue(indent) {
				return false
			}
		case value[0] == ' ':
			if !p.scalar(value[1:]) {
				return false
			}
		default:
			return false
		}
	}
	if keys.n == 0 || p.next < len(p.lines) && p.lines[p.next].indent > indent {
		return false
	}
	p.write("}")
	return true
}

// keySet is the keys of one mapping, without regard to case:
// encoding/json matches field names that way, and of two keys that match
// one field the last wins, where the library's JSON has sorted the keys.
// Such mappings are left to the library.
type keySet struct {
	n     int
	small [8]string
	more  map[string]bool
}

// add reports whether key is new.
func (k *keySet) add(key string) bool {
	lower := strings.ToLower(key)
	if k.n < len(k.small) {
		for _, s := range k.small[:k.n] {
			if s == lower {
				return false
			}
		}
		k.small[k.n] = lower
		k.n++
		return true
	}
	if k.more == nil {
		k.more = make(map[string]bool, 2*len(k.small))
		for _, s := range k.small {
			k.more[s] = true
		}
	}
	if k.more[lower] {
		return false
	}
	k.more[lower] = true
	k.n++
	return true
}

// blockValue reads the value of a key written alone on its line: a
// mapping indented further, or a sequence at the key's indentation or
// further. A key with no value (null) is outside the shape.
func (p *plainParser) blockValue(keyIndent int) bool {
	if p.next == len(p.lines) {
		return false
	}
	l := p.lines[p.next]
	switch {
	case strings.HasPrefix(l.text, "- ") && l.indent >= keyIndent:
		return p.sequence(l.indent)
	case l.indent > keyIndent && !strings.HasPrefix(l.text, "-"):
		return p.mapping(l.indent)
	default:
		return false
	}
}

// sequence reads the block sequence whose dashes are at indent: plain
// scalars, or mappings whose first key follows the dash.
func (p *plainParser) sequence(indent int) bool {
	p.write("[")
	for n := 0; p.next < len(p.lines); n++ {
		l := p.lines[p.next]
		content, ok := strings.CutPrefix(l.text, "- ")
		if l.indent != indent || !ok {
			break
		}
		if n > 0 {
			p.write(",")
		}
		if key, value, isMap := strings.Cut(content, ":"); isMap && isPlainMapKey(key) && (value == "" || value[0] == ' ') {
			p.lines[p.next] = plainLine{indent: indent + 2, text: content}
			if !p.mapping(indent + 2) {
				return false
			}
			continue
		}
		if !p.scalar(content) {
			return false
		}
		p.next++
	}
	p.write("]")
	return true
}

// scalar writes a value given on its key's or dash's line; the caller
// moves past the line.
func (p *plainParser) scalar(s string) bool {
	switch {
	case s == "true" || s == "false" || s == "[]" || s == "{}":
		p.write(s)
	case isPlain(s):
		p.write(`"`)
		p.write(s) // plain scalars need no JSON escapes
		p.write(`"`)
	default:
		return false
	}
	return true
}

// decodePlainItem decodes a list item of the plain shape into dst through
// encoding/json, as sigs.k8s.io/yaml would; false leaves it to the library.
func decodePlainItem[T any](item []byte, dst *T) bool {
	j, ok := plainItemJSON(item)
	return ok && json.Unmarshal(j, dst) == nil
}
