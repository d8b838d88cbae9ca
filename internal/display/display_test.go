package display_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/journeygate/journeygate/internal/display"
)

func TestCut(t *testing.T) {
	cause := "connection refused"
	long := cause + ": POST http://host/" + strings.Repeat("a", 300) + " (dial tcp 127.0.0.1:1)"
	tests := []struct {
		name, in string
		limit    int
		want     string
		keep     []string
	}{
		{name: "fits", in: "short", limit: 10, want: "short"},
		{name: "exactly", in: "0123456789", limit: 10, want: "0123456789"},
		{name: "middle cut", in: "0123456789abcdef", limit: 10, want: "0123 … def"},
		{name: "cause at the start and the end survive", in: long, limit: 60, keep: []string{cause, "(dial tcp 127.0.0.1:1)"}},
		{name: "wrapped cause at the end survives", in: "step 1/1 (x): " + strings.Repeat("b", 200) + ": connection refused", limit: 50, keep: []string{"step 1/1", "connection refused"}},
		{name: "runes, not bytes", in: strings.Repeat("é", 20), limit: 9, want: "ééé … ééé"},
		{name: "tiny limit keeps the start", in: "abcdefgh", limit: 3, want: "abc"},
		{name: "zero", in: "abc", limit: 0, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := display.Cut(tc.in, tc.limit)
			if n := utf8.RuneCountInString(got); n > tc.limit {
				t.Errorf("Cut(%q, %d) = %q: %d runes, over the limit", tc.in, tc.limit, got, n)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Cut split a rune: %q", got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("Cut(…, %d) = %q, lost %q", tc.limit, got, k)
				}
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	if got, want := display.OneLine("a\n  b\tc ", 10), "a b c"; got != want {
		t.Errorf("OneLine = %q, want %q", got, want)
	}
	if got := display.OneLine("head\n"+strings.Repeat("x ", 100)+"tail", 20); !strings.HasPrefix(got, "head") || !strings.HasSuffix(got, "tail") {
		t.Errorf("OneLine = %q, want head and tail kept", got)
	}
}
