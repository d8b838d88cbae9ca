package journey

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

// RedactedValue replaces a secret value in a result, its evidence and its
// progress events.
const RedactedValue = "[REDACTED]"

// MinSecretLen is the length in characters below which a value registered
// with T.Secret is not redacted: replacing every occurrence of a very short
// string would destroy the text around it (the run's own redactor follows
// the same rule).
const MinSecretLen = 4

// Secret registers values the attempt must never show: they are replaced by
// RedactedValue in the result, its evidence and the progress events, as the
// run's secrets are (Options.Redactor). When the run's redactor can learn
// values (it has a method Add(values ...string)), they are added there too,
// so the run's logs hide them as well. Package browser registers every
// value a step types into a page. Values shorter than MinSecretLen
// characters are ignored.
func (t *T) Secret(values ...string) {
	if a, ok := t.opts.Redactor.(interface{ Add(values ...string) }); ok {
		a.Add(values...)
	}
	t.secrets.add(values...)
}

// redactor is what removes secrets from the attempt's text: the run's
// redactor and the values registered with Secret; nil when there is none.
func (t *T) redactor() Redactor {
	local := t.secrets.replacer()
	switch {
	case local == nil:
		return t.opts.Redactor
	case t.opts.Redactor == nil:
		return local
	default:
		return chainRedactor{t.opts.Redactor, local}
	}
}

type chainRedactor []Redactor

func (c chainRedactor) String(s string) string {
	for _, r := range c {
		s = r.String(s)
	}
	return s
}

// attemptSecrets are the values an attempt registered with T.Secret.
type attemptSecrets struct {
	mu     sync.Mutex
	values []string
	rep    atomic.Pointer[replacer]
}

type replacer struct{ r *strings.Replacer }

func (r *replacer) String(s string) string { return r.r.Replace(s) }

func (a *attemptSecrets) replacer() Redactor {
	if r := a.rep.Load(); r != nil {
		return r
	}
	return nil
}

func (a *attemptSecrets) add(values ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	changed := false
	for _, v := range values {
		if utf8.RuneCountInString(v) < MinSecretLen {
			continue
		}
		// As it appears in text and inside a JSON string (a request body
		// kept as evidence).
		for _, form := range []string{v, jsonEscaped(v, true), jsonEscaped(v, false)} {
			if !slices.Contains(a.values, form) {
				a.values = append(a.values, form)
				changed = true
			}
		}
	}
	if !changed {
		return
	}
	// Longest first, so a value containing another is replaced whole.
	all := slices.Clone(a.values)
	slices.SortFunc(all, func(x, y string) int { return cmp.Or(cmp.Compare(len(y), len(x)), strings.Compare(x, y)) })
	pairs := make([]string, 0, 2*len(all))
	for _, v := range all {
		pairs = append(pairs, v, RedactedValue)
	}
	a.rep.Store(&replacer{strings.NewReplacer(pairs...)})
}

func jsonEscaped(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}
