package flow

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// encodedLen is the length of s's contents as encoding/json writes them,
// with or without HTML escaping.
func encodedLen(t *testing.T, s string, escapeHTML bool) int {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return b.Len() - 3 // the quotes and the newline
}

// checkCut checks Cut's promises for s and limit.
func checkCut(t *testing.T, s string, limit int) string {
	t.Helper()
	got := Cut(s, limit)
	if n := encodedLen(t, got, true); n > limit {
		t.Fatalf("Cut(%q, %d) = %q: %d bytes once encoded, over the limit", s, limit, got, n)
	}
	if len(got) > limit {
		t.Fatalf("Cut(%q, %d) = %q: %d bytes, over the limit", s, limit, got, len(got))
	}
	if encodedLen(t, s, true) <= limit {
		if got != s {
			t.Fatalf("Cut(%q, %d) = %q, want it unchanged: it fits", s, limit, got)
		}
		return got
	}
	if utf8.ValidString(s) && !utf8.ValidString(got) {
		t.Fatalf("Cut(%q, %d) = %q splits a rune", s, limit, got)
	}
	if strings.HasPrefix(s, got) {
		return got // a limit too small for the mark
	}
	// got is a prefix of s, the mark with the bytes cut, a suffix of s (s
	// may itself hold text like the mark: try every split).
	for i := 0; i <= len(got) && i <= len(s) && got[:i] == s[:i]; i++ {
		rest, ok := strings.CutPrefix(got[i:], " … (")
		if !ok {
			continue
		}
		count, tail, ok := strings.Cut(rest, " bytes cut) … ")
		if n, err := strconv.Atoi(count); ok && err == nil && strings.HasSuffix(s, tail) && n == len(s)-i-len(tail) {
			return got
		}
	}
	t.Fatalf("Cut(%q, %d) = %q: want a prefix of s, the mark with the bytes cut, a suffix of s", s, limit, got)
	return ""
}

func TestCut(t *testing.T) {
	long := "recording result of checkout attempt 1: " + strings.Repeat("x", 1<<20) + ": ProvisionedThroughputExceededException"
	tests := []struct {
		name     string
		s        string
		limit    int
		want     string // "" = only the properties checkCut checks
		keepHead string
		keepTail string
	}{
		{name: "fits", s: "short", limit: 10, want: "short"},
		{name: "exactly fits", s: "exact", limit: 5, want: "exact"},
		{name: "empty", s: "", limit: 0, want: ""},
		{name: "a megabyte keeps where and why", s: long, limit: MaxErrorMessage, keepHead: "recording result of checkout", keepTail: ": ProvisionedThroughputExceededException"},
		{name: "counts what the encoding takes", s: strings.Repeat("<", 10), limit: 59, want: "<< … (5 bytes cut) … <<<"},
		{name: "mark only when it fits", s: strings.Repeat("a", 40), limit: 20, want: strings.Repeat("a", 20)},
		{name: "zero limit", s: "anything", limit: 0, want: ""},
		{name: "multibyte", s: strings.Repeat("日本語", 100), limit: 60},
		{name: "control characters", s: strings.Repeat("\x01\x1b[31m", 100), limit: 64},
		{name: "invalid UTF-8", s: strings.Repeat("\xff\xe2\x82", 100), limit: 64},
		{name: "quotes and backslashes", s: strings.Repeat(`"\`, 100), limit: 64},
		{name: "line separators", s: strings.Repeat("\u2028\u2029", 100), limit: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkCut(t, tt.s, tt.limit)
			if tt.want != "" && got != tt.want || tt.want == "" && tt.s == "" && got != "" {
				t.Errorf("Cut(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
			}
			if !strings.HasPrefix(got, tt.keepHead) || !strings.HasSuffix(got, tt.keepTail) {
				t.Errorf("Cut = %q, want it to keep %q and %q", got, tt.keepHead, tt.keepTail)
			}
		})
	}
}

// TestCutAnyString checks Cut's bound on strings of the characters that
// cost most once encoded, at every limit up to twice their length.
func TestCutAnyString(t *testing.T) {
	alphabet := []string{"a", "é", "日", "😀", "<", "&", `"`, `\`, "\n", "\x00", "\x7f", "\u2028", "\xff", "\xe2\x82", " … (", " bytes cut) … "}
	rng := rand.New(rand.NewPCG(13, 6))
	for range 300 {
		var b strings.Builder
		for range rng.IntN(80) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		for limit := 0; limit <= 2*len(s)+8; limit++ {
			checkCut(t, s, limit)
		}
	}
}

func TestTaskErrorStringIsCut(t *testing.T) {
	msg := "reading run r-1: " + strings.Repeat("x", 1<<20) + ": throttled"
	cause, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": "StoreError"})
	got := TaskError{Error: "StoreError", Cause: string(cause)}.String()
	if !strings.HasPrefix(got, "StoreError: reading run r-1: ") || !strings.HasSuffix(got, ": throttled") || len(got) > len("StoreError: ")+MaxErrorMessage {
		t.Errorf("String() = %d bytes %.80q…, want the name and the cause cut to %d bytes, keeping both ends", len(got), got, MaxErrorMessage)
	}
}

func TestInputValidateBoundsSize(t *testing.T) {
	ok := Input{RunID: "manual-1", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.Manual}}
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "j" + strconv.Itoa(i)
		}
		return out
	}
	tests := []struct {
		name   string
		mutate func(*Input)
		want   string // "" = valid
	}{
		{"journeys at the cap", func(in *Input) { in.Journeys = names(MaxJourneysPerRun) }, ""},
		{"journeys over the cap", func(in *Input) { in.Journeys = names(MaxJourneysPerRun + 1) }, "journeys names 101 journeys, more than the 100 one run may plan"},
		{"services filling the input", func(in *Input) { in.Services = []string{strings.Repeat("s", MaxInputBytes-200)} }, ""},
		{"services over the input's size", func(in *Input) { in.Services = []string{strings.Repeat("s", MaxInputBytes)} }, "more than the 8192 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.mutate(&in)
			err := in.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestDecideInputWorstCase builds Decide's input at MaxJourneysPerRun with
// every part as large as its bound allows, in the characters that cost
// most once encoded (and again, for a Cause, which is JSON inside JSON),
// and checks it stays within MaxDecideInput. It fails when a bound grows
// or the cap rises past what the budget holds.
func TestDecideInputWorstCase(t *testing.T) {
	// The input: its largest valid form, in characters JSON escapes.
	in := Input{RunID: strings.Repeat("r", trigger.MaxRunIDLen), Environment: "staging", Trigger: trigger.Trigger{Type: trigger.Manual}}
	for {
		next := in
		next.Services = append(append([]string(nil), in.Services...), strings.Repeat("<", 40))
		if b, _ := json.Marshal(next); len(b) > MaxInputBytes {
			break
		}
		in = next
	}
	if err := in.Validate(); err != nil || len(in.Services) == 0 {
		t.Fatalf("no valid input to start from: %v", err)
	}

	// Quotes cost most: 2 bytes in the message's JSON, 4 in the Cause's.
	worst := strings.Repeat(`"`, 1<<20)
	errorType := strings.Repeat("E", 64) // no runner or Lambda error name is as long
	cause, err := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{Cut(worst, MaxErrorMessage), errorType})
	if err != nil {
		t.Fatal(err)
	}
	plan := &Plan{RunID: in.RunID, Environment: in.Environment}
	var faulted, summarized []JourneySummary
	for i := range MaxJourneysPerRun {
		name := strings.Repeat("j", journey.MaxNameLen-3) + strconv.Itoa(100+i)
		plan.Journeys = append(plan.Journeys, PlannedJourney{
			Name: name, Mode: journey.ModeObserve, Tier: journey.TierGlobal,
			SLASeconds: 4321.123456789012, TimeoutSeconds: 900, Runner: RunnerBrowser,
			// The longest function ARN: a 64-character name in a long region.
			Function: "arn:aws:lambda:ap-southeast-5:123456789012:function:" + strings.Repeat("f", 64),
		})
		faulted = append(faulted, JourneySummary{Journey: name, Outcome: journey.Errored, Error: &TaskError{Error: errorType, Cause: string(cause)}})
		summarized = append(summarized, JourneySummary{
			Journey: name, Outcome: journey.PassedFlaky, Attempt: 99, Attempts: journey.MaxAttemptsLimit,
			Message: Cut(worst, MaxSummaryMessage),
		})
	}
	for _, items := range []struct {
		name  string
		items []JourneySummary
	}{{"every journey faulted", faulted}, {"every journey summarized", summarized}} {
		b, err := json.Marshal(GateRequest{Input: in, Plan: plan, Items: items.items})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: Decide's input is %d bytes at most (budget %d, Step Functions' limit %d)", items.name, len(b), MaxDecideInput, StateDataLimit)
		if len(b) > MaxDecideInput {
			t.Errorf("%s: Decide's input can reach %d bytes at %d journeys, over its budget of %d (MaxDecideInput)", items.name, len(b), MaxJourneysPerRun, MaxDecideInput)
		}
	}
}
