package journey

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Doc is a decoded JSON document with assertions addressed by JSON Pointer
// (RFC 6901), e.g. "/0/status/state".
type Doc struct{ v any }

// ParseJSON decodes b; invalid JSON is a failed assertion.
func ParseJSON(b []byte) (Doc, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return Doc{}, Failf("not valid JSON: %v: %s", err, cutFor(b, 256))
	}
	return Doc{v: v}, nil
}

// Value returns the whole decoded document.
func (d Doc) Value() any { return d.v }

// At returns the value at pointer, and whether it exists.
func (d Doc) At(pointer string) (any, bool) {
	if pointer == "" {
		return d.v, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	cur := d.v
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			cur = node[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// String returns the string at pointer, or "" when absent or not a string.
func (d Doc) String(pointer string) string {
	v, _ := d.At(pointer)
	s, _ := v.(string)
	return s
}

// Expect asserts that the value at pointer equals want (compared as JSON:
// numbers as float64). The failure shows both.
func (d Doc) Expect(pointer string, want any) error {
	got, ok := d.At(pointer)
	if !ok {
		return Failf("at %s: expected %s, but it is absent", pointer, show(want))
	}
	if !jsonEqual(got, want) {
		return Failf("at %s: expected %s, got %s", pointer, show(want), show(got))
	}
	return nil
}

// Len returns the length of the array or object at pointer, or -1.
func (d Doc) Len(pointer string) int {
	v, _ := d.At(pointer)
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	}
	return -1
}

// ExpectLen asserts the array or object at pointer has n elements.
func (d Doc) ExpectLen(pointer string, n int) error {
	got := d.Len(pointer)
	if got < 0 {
		v, _ := d.At(pointer)
		return Failf("at %s: expected an array of %d, got %s", pointer, n, show(v))
	}
	if got != n {
		return Failf("at %s: expected %d elements, got %d", pointer, n, got)
	}
	return nil
}

// Equal asserts want == got for the named quantity, showing both.
func Equal[V comparable](what string, want, got V) error {
	if want != got {
		return Failf("%s: expected %s, got %s", what, show(want), show(got))
	}
	return nil
}

func jsonEqual(got, want any) bool {
	b, err := json.Marshal(want)
	if err != nil {
		return false
	}
	var norm any
	if err := json.Unmarshal(b, &norm); err != nil {
		return false
	}
	return reflect.DeepEqual(got, norm)
}

// show renders v as JSON for a Failf message, cut to 256 bytes after the
// journey's redactor has seen it whole (cutBody).
func show(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return cutFor(b, 256)
}
