package secrets

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Redacted replaces a secret value in redacted text.
const Redacted = "[REDACTED]"

// MinRedactLen is the length in characters below which a Redactor ignores a
// value: replacing every occurrence of a very short string would destroy
// the text around it.
const MinRedactLen = 4

// Redactor replaces registered secret values in text with Redacted. The
// zero value redacts nothing until values are added; a nil *Redactor
// redacts nothing and ignores Add. It is safe for concurrent use.
type Redactor struct {
	mu     sync.Mutex
	values map[string]struct{}
	rep    atomic.Pointer[strings.Replacer]
}

// NewRedactor returns a Redactor for values.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add registers values, also in their JSON-escaped forms (see the package
// documentation); values shorter than MinRedactLen characters are ignored.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, v := range values {
		if utf8.RuneCountInString(v) < MinRedactLen {
			continue
		}
		for _, form := range jsonForms(v) {
			if _, ok := r.values[form]; !ok {
				if r.values == nil {
					r.values = map[string]struct{}{}
				}
				r.values[form] = struct{}{}
				changed = true
			}
		}
	}
	if !changed {
		return
	}
	// Longest first: strings.Replacer prefers earlier pairs at a position,
	// so a value containing another is replaced whole.
	all := make([]string, 0, len(r.values))
	for v := range r.values {
		all = append(all, v)
	}
	slices.SortFunc(all, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	pairs := make([]string, 0, 2*len(all))
	for _, v := range all {
		pairs = append(pairs, v, Redacted)
	}
	r.rep.Store(strings.NewReplacer(pairs...))
}

// jsonForms is v and how it appears inside a JSON string, with and
// without HTML escaping, once and twice (a JSON document carried in a JSON
// string, such as a request body kept as evidence), without duplicates.
func jsonForms(v string) []string {
	forms := []string{v}
	level := []string{v}
	for range 2 {
		var next []string
		for _, f := range level {
			for _, html := range []bool{true, false} {
				e := jsonEscape(f, html)
				if !slices.Contains(forms, e) {
					forms = append(forms, e)
					next = append(next, e)
				}
			}
		}
		level = next
	}
	return forms
}

// jsonEscape is s as encoding/json writes it inside a string's quotes.
func jsonEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// String returns s with every registered value replaced by Redacted.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	rep := r.rep.Load()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Bytes returns b with every registered value replaced by Redacted, in a
// new slice; b itself is returned when nothing is registered.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	rep := r.rep.Load()
	if rep == nil {
		return b
	}
	return []byte(rep.Replace(string(b)))
}
