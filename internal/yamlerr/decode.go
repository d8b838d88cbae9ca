package yamlerr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/journeygate/journeygate/shared/journey"
)

// Decode decodes the one YAML document in data, read from file, into v,
// rejecting keys v has no field for. Its error says what is wrong in the
// file's terms, one problem per line: "file:line: path: problem" (the key
// path as Problems writes it), or "file:line: problem" for a syntax error,
// never Go's types.
func Decode(file string, data []byte, v any) error { return decode(file, data, v, true) }

// DecodeLax is Decode for documents that may hold keys v does not read
// (another tool's file, such as an AppSpec).
func DecodeLax(file string, data []byte, v any) error { return decode(file, data, v, false) }

func decode(file string, data []byte, v any, known bool) error {
	// The usual case, one document that fits v, takes one parse: the
	// second one below, into a yaml.Node for the error's lines, is for a
	// file that is wrong (every cold start of the runner and the gate reads
	// an environments file, issue 19).
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(known)
	if err := strict.Decode(v); err == nil {
		return checkOneDocument(file, data, strict)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: no YAML document: the file is empty or only comments", file)
		}
		return syntaxError(file, data, err)
	}
	if err := checkOneDocument(file, data, dec); err != nil {
		return err
	}
	strict = yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(known)
	err := strict.Decode(v)
	var te *yaml.TypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		p := &Problems{file: file, root: root}
		for _, e := range te.Errors {
			p.typeError(e, reflect.TypeOf(v))
		}
		return p.Err()
	default:
		return syntaxError(file, data, err)
	}
}

// The regexps below read yaml.v3's errors, so they are compiled on first
// use, when a file is wrong: compiled at package initialisation, they cost
// every cold start of every function that links this package, which reads
// only files that parse (issue 19).

// checkOneDocument reads the rest of data after the first document from
// dec: nothing, or empty documents, is fine; a second document or a syntax
// error after the first is an error.
func checkOneDocument(file string, data []byte, dec *yaml.Decoder) error {
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return syntaxError(file, data, err)
		}
		if len(extra.Content) > 0 && !(extra.Content[0].ShortTag() == "!!null" && extra.Content[0].Value == "") {
			return fmt.Errorf("%s:%d: a second YAML document (after ---): the file holds one", file, extra.Content[0].Line)
		}
	}
}

// syntaxLine is the "line N: " a yaml.v3 syntax error may start with.
var syntaxLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line (\d+): `) })

// syntaxError rewrites yaml.v3's "yaml: line N: problem" as "file:N:
// problem", N being the line that is wrong (see wrongLine).
func syntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := syntaxLine().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		problem := msg[len(m[0]):]
		if wrong := wrongLine(data, line, problem); wrong > line {
			hint := "in the block that starts at line %d"
			if strings.Contains(problem, "expected key") || strings.Contains(problem, "indentation") {
				hint = "check its indentation: the block it breaks starts at line %d"
			}
			return fmt.Errorf("%s:%d: %s ("+hint+")", file, wrong, quoteUnprintable(problem), line)
		}
		return fmt.Errorf("%s:%d: %s", file, line, quoteUnprintable(problem))
	}
	return fmt.Errorf("%s: %s", file, quoteUnprintable(msg))
}

// maxSearchParses and maxSearchBytes bound wrongLine's search, which parses
// a prefix of the file per line it tries: environments and deployment
// files are far smaller, and errors close to the block yaml.v3 names.
const (
	maxSearchParses = 200
	maxSearchBytes  = 64 << 10
)

// wrongLine finds the line a syntax error is on. yaml.v3 names the line
// where the enclosing block starts (for "did not find expected key", an
// indentation error several lines down), which is where the search
// starts: the first prefix of the file, from there on, that fails to
// parse with the same problem ends on the wrong line. It returns 0 when it
// cannot tell.
func wrongLine(data []byte, from int, problem string) int {
	if len(data) > maxSearchBytes || from < 1 {
		return 0
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	for n := from; n <= len(lines) && n < from+maxSearchParses; n++ {
		var node yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil))).Decode(&node)
		if err == nil || errors.Is(err, io.EOF) {
			continue
		}
		if m := syntaxLine().FindStringSubmatch(strings.TrimPrefix(err.Error(), "yaml: ")); m != nil && strings.TrimPrefix(err.Error(), "yaml: ")[len(m[0]):] == problem {
			return n
		}
	}
	return 0
}

// quoteUnprintable quotes msg when it holds anything a one-line message
// cannot show (yaml.v3 repeats some input, such as anchor names).
func quoteUnprintable(msg string) string {
	if strings.ContainsFunc(msg, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return strconv.Quote(msg)
	}
	return msg
}

var (
	// typeErrorLine is one of a yaml.TypeError's Errors.
	typeErrorLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)^line (\d+): (.*)$`) })
	// notFound is a key the target type has no field for.
	notFound = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)^field (.*) not found in type `) })
	// cannotUnmarshal is a value of the wrong kind; yaml.v3 cuts the
	// value to 7 bytes and "...".
	cannotUnmarshal = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("(?s)^cannot unmarshal (!!\\w+)(?: `(.*)`)? into ")
	})
)

// typeError records one of a yaml.TypeError's Errors at its line and key
// path, in the file's terms.
func (p *Problems) typeError(e string, top reflect.Type) {
	m := typeErrorLine().FindStringSubmatch(e)
	if m == nil {
		p.list = append(p.list, fmt.Sprintf("%s: %s", p.file, quoteUnprintable(e)))
		return
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	var path []string
	found := false
	switch {
	case notFound().MatchString(msg):
		key := notFound().FindStringSubmatch(msg)[1]
		path, found = find(&p.root, line, func(n *yaml.Node, isKey bool) bool { return isKey && n.Value == key })
		msg = fmt.Sprintf("unknown key %q", key)
		if found {
			if known := keysOf(typeAt(top, path[:len(path)-1])); len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")" + journey.DidYouMean(key, known)
			}
		}
	case cannotUnmarshal().MatchString(msg):
		sm := cannotUnmarshal().FindStringSubmatch(msg)
		tag, value := sm[1], sm[2]
		path, found = find(&p.root, line, func(n *yaml.Node, isKey bool) bool {
			return !isKey && n.ShortTag() == tag && strings.HasPrefix(n.Value, strings.TrimSuffix(value, "..."))
		})
		got := map[string]string{"!!seq": "a sequence", "!!map": "a mapping", "!!str": "a string", "!!int": "an integer",
			"!!float": "a number", "!!bool": "a boolean", "!!null": "null", "!!timestamp": "a timestamp", "!!binary": "binary data"}[tag]
		if got == "" {
			got = "a value tagged " + strconv.Quote(tag)
		}
		if value != "" {
			got += " " + strconv.Quote(value)
		}
		msg = "is " + got
		if found {
			if want := shape(typeAt(top, path)); want != "" {
				msg += ", want " + want
			}
		}
	default:
		msg = quoteUnprintable(msg)
	}
	if len(path) == 0 {
		p.list = append(p.list, fmt.Sprintf("%s:%d: %s", p.file, line, msg))
		return
	}
	p.list = append(p.list, fmt.Sprintf("%s:%d: %s: %s", p.file, line, Path(path), msg))
}

// find returns the key path of the first node at line that match accepts
// (a mapping key, or a value; the document's top value has the empty
// path), and whether there is one; a path element in a sequence is the
// item's 0-based index.
func find(root *yaml.Node, line int, match func(n *yaml.Node, isKey bool) bool) ([]string, bool) {
	var walk func(n *yaml.Node, path []string) []string
	walk = func(n *yaml.Node, path []string) []string {
		if n == nil || n.Line > line && n.Kind != yaml.DocumentNode {
			return nil
		}
		if n.Line == line && match(n, false) {
			return path
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p := walk(c, path); p != nil {
					return p
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				at := append(slices.Clip(path), k.Value)
				if k.Line == line && match(k, true) {
					return at
				}
				if p := walk(v, at); p != nil {
					return p
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if p := walk(c, append(slices.Clip(path), strconv.Itoa(i))); p != nil {
					return p
				}
			}
		}
		return nil
	}
	p := walk(root, []string{})
	return p, p != nil
}

// typeAt follows path from t through struct fields (by their yaml names),
// map values and sequence items; nil when the path leaves t.
func typeAt(t reflect.Type, path []string) reflect.Type {
	for _, key := range path {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil {
			return nil
		}
		switch t.Kind() {
		case reflect.Map, reflect.Slice, reflect.Array:
			t = t.Elem()
		case reflect.Struct:
			f, ok := fieldOf(t, key)
			if !ok {
				return nil
			}
			t = f.Type
		default:
			return nil
		}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldOf finds the struct field whose yaml name is key.
func fieldOf(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlName is the key a struct field is decoded from ("" when skipped).
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}

// keysOf lists a struct type's keys, sorted; nil for other types.
func keysOf(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			if name := yamlName(f); name != "" {
				keys = append(keys, name)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// shape says what YAML a Go type is decoded from.
func shape(t reflect.Type) string {
	if t == nil {
		return ""
	}
	switch t.Kind() {
	case reflect.Struct:
		if keys := keysOf(t); len(keys) > 0 {
			return "a mapping (keys: " + strings.Join(keys, ", ") + ")"
		}
		return "a mapping"
	case reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "a sequence of strings"
		}
		return "a sequence"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return ""
}
