package fuzzcheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// artifacts are texts that never belong in an error a person reads: fmt's
// bad-verb and missing-argument marks, a Go panic's or runtime error's
// wording, and a nil printed as a value.
var artifacts = []string{"%!", "panic:", "runtime error", "goroutine ", "<nil>"}

// Error fails t unless err is a clear rejection: non-nil, with a message
// that is one non-empty line of printable UTF-8 without formatting or panic
// artifacts (an artifact that is part of inputs, the text rejected, may be
// quoted back). It returns the message.
func Error(t testing.TB, err error, inputs ...string) string {
	t.Helper()
	if err == nil {
		t.Fatal("rejected without an error")
	}
	msg := err.Error()
	checkLine(t, msg, msg, inputs)
	return msg
}

// Lines is Error for messages of several problems, one per line (a
// configuration file's): every line must be clear on its own.
func Lines(t testing.TB, err error, inputs ...string) []string {
	t.Helper()
	if err == nil {
		t.Fatal("rejected without an error")
	}
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	for _, l := range lines {
		checkLine(t, l, msg, inputs)
	}
	return lines
}

// Mentions fails t unless msg contains one of wants: the field, position
// or accepted shapes a clear rejection names.
func Mentions(t testing.TB, msg string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if strings.Contains(msg, w) {
			return
		}
	}
	t.Fatalf("error %q names none of %q", msg, wants)
}

func checkLine(t testing.TB, line, whole string, inputs []string) {
	t.Helper()
	switch {
	case strings.TrimSpace(line) == "":
		t.Fatalf("error has an empty line: %q", whole)
	case !utf8.ValidString(line):
		t.Fatalf("error is not valid UTF-8 (quote outside input with %%q): %q", whole)
	}
	if i := strings.IndexFunc(line, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }); i >= 0 {
		t.Fatalf("error has a raw control character at byte %d (quote outside input with %%q): %q", i, whole)
	}
	for _, a := range artifacts {
		if strings.Contains(line, a) && !slices.ContainsFunc(inputs, func(in string) bool { return strings.Contains(in, a) }) {
			t.Fatalf("error contains %q: %q", a, whole)
		}
	}
}

// Samples returns the contents of the files matching pattern under the
// repository root (found from the working directory by go.mod), e.g.
// "events/*.json"; a pattern matching nothing fails t, so seeds cannot
// silently disappear.
func Samples(t testing.TB, pattern string) map[string][]byte {
	t.Helper()
	root := Root(t)
	paths, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sample files match %s under %s (%v)", pattern, root, err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
	}
	return out
}

// Sample returns one file under the repository root, e.g.
// "journeys/environments.yaml".
func Sample(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Root returns the repository root: the nearest directory up from the
// working directory with a go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
