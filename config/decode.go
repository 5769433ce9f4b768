package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// problem is one thing wrong with the configuration: the field path
// (workstations[3].endpoints[0]), the YAML line when known, and a message.
type problem struct {
	path string
	line int
	msg  string
}

func (p *problem) Error() string {
	switch {
	case p.path == "" && p.line > 0:
		return fmt.Sprintf("line %d: %s", p.line, p.msg)
	case p.path == "":
		return p.msg
	case p.line > 0:
		return fmt.Sprintf("%s (line %d): %s", p.path, p.line, p.msg)
	default:
		return fmt.Sprintf("%s: %s", p.path, p.msg)
	}
}

// decoder fills a Go value from a yaml.Node tree, strictly: every mapping key
// must be a field of the target struct (like yaml's KnownFields(true)), but
// the errors name the field path and the line, and all of them are collected
// instead of stopping at the first. It also records the line of every field
// and list item so that Validate can point at them.
type decoder struct {
	lines map[string]int
	// blocks: the first content line of each block scalar (| or >), so
	// that a problem inside a multi-line text can point at its line.
	blocks map[string]int
	errs   []error
}

func (d *decoder) addf(path string, line int, format string, args ...any) {
	d.errs = append(d.errs, &problem{path: path, line: line, msg: fmt.Sprintf(format, args...)})
}

var (
	byteSizeType = reflect.TypeFor[ByteSize]()
	durationType = reflect.TypeFor[time.Duration]()
	timePtrType  = reflect.TypeFor[*time.Time]()
)

// value decodes n into v (addressable). The Go types used by Config are few:
// structs, slices, maps, strings, numbers, booleans, ByteSize, time.Duration
// and *time.Time.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // "key:" or "key: null" leaves the zero value
	}
	switch {
	case v.Type() == byteSizeType:
		if !d.expect(n, yaml.ScalarNode, path) {
			return
		}
		b, err := ParseByteSize(n.Value)
		if err != nil {
			d.addf(path, n.Line, "%v", err)
			return
		}
		v.SetInt(int64(b))
	case v.Type() == durationType:
		if !d.expect(n, yaml.ScalarNode, path) {
			return
		}
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.addf(path, n.Line, "%q is not a duration: use a number with a unit, e.g. 500ms, 30s, 2m", n.Value)
			return
		}
		v.SetInt(int64(dur))
	case v.Type() == timePtrType:
		if !d.expect(n, yaml.ScalarNode, path) {
			return
		}
		t, err := time.Parse(time.RFC3339, n.Value)
		if err != nil {
			d.addf(path, n.Line, "%q is not an RFC 3339 time, e.g. 2026-01-01T00:00:00+08:00", n.Value)
			return
		}
		v.Set(reflect.ValueOf(&t))
	case v.Kind() == reflect.String:
		// Any scalar is taken as written: hotlines: [112] means "112".
		if d.expect(n, yaml.ScalarNode, path) {
			v.SetString(n.Value)
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && d.blocks != nil {
				d.blocks[path] = n.Line + 1
			}
		}
	case v.Kind() == reflect.Pointer: // *int, *bool: "set" vs "left to the default"
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), path)
		v.Set(p)
	case v.Kind() == reflect.Int:
		if !d.expect(n, yaml.ScalarNode, path) {
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil || n.ShortTag() != "!!int" {
			d.addf(path, n.Line, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(int64(i))
	case v.Kind() == reflect.Bool:
		if !d.expect(n, yaml.ScalarNode, path) {
			return
		}
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil || n.ShortTag() != "!!bool" {
			d.addf(path, n.Line, "%q is not true or false", n.Value)
			return
		}
		v.SetBool(b)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		if !d.expect(n, yaml.MappingNode, path) {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			p := path + "." + kn.Value
			if first, dup := seen[kn.Value]; dup {
				d.addf(p, kn.Line, "duplicate key (first set at line %d)", first)
				continue
			}
			seen[kn.Value] = kn.Line
			d.lines[p] = kn.Line
			e := reflect.New(v.Type().Elem()).Elem()
			d.value(vn, e, p)
			m.SetMapIndex(reflect.ValueOf(kn.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
	case v.Kind() == reflect.Slice:
		if !d.expect(n, yaml.SequenceNode, path) {
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = item.Line
			d.value(item, s.Index(i), p)
		}
		v.Set(s)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	default:
		panic("config: cannot decode into " + v.Type().String())
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if !d.expect(n, yaml.MappingNode, path) {
		return
	}
	t := v.Type()
	var keys []string
	fields := map[string]int{}
	for i := range t.NumField() {
		if k, ok := t.Field(i).Tag.Lookup("yaml"); ok {
			keys = append(keys, k)
			fields[k] = i
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		key := kn.Value
		p := key
		if path != "" {
			p = path + "." + key
		}
		if first, dup := seen[key]; dup {
			d.addf(p, kn.Line, "duplicate key (first set at line %d)", first)
			continue
		}
		seen[key] = kn.Line
		f, ok := fields[key]
		if !ok {
			where := "at the top level"
			if path != "" {
				where = "in " + path
			}
			d.addf(p, kn.Line, "unknown key %q; valid keys %s: %s", key, where, strings.Join(keys, ", "))
			continue
		}
		d.lines[p] = kn.Line
		d.value(vn, v.Field(f), p)
	}
}

func (d *decoder) expect(n *yaml.Node, kind yaml.Kind, path string) bool {
	if n.Kind == kind {
		return true
	}
	d.addf(path, n.Line, "expected %s, found %s", kindName(kind), kindName(n.Kind))
	return false
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}
