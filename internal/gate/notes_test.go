package gate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

func withCleanup(r journey.Result, name, err string) journey.Result {
	r.Cleanup = append(append([]journey.CleanupResult(nil), r.Cleanup...), journey.CleanupResult{Name: name, Error: err})
	return r
}

// A failed cleanup, in any attempt, is a note of the verdict: it never
// changes the status, and the summary, Explain and JSON all carry it.
func TestNotesNameEveryFailedCleanup(t *testing.T) {
	tests := []struct {
		name    string
		in      Input
		status  Status
		notes   []Note
		summary []string
	}{
		{
			name: "a pass whose cleanup failed",
			in: Input{Planned: enforce("silence"), Results: []journey.Result{
				withCleanup(withCleanup(passed("silence"), "resolve alerts", ""), "expire silences", "connection refused: GET http://am/api/v2/silences"),
			}},
			status:  Succeeded,
			notes:   []Note{{Journey: "silence", Attempt: 1, Cleanup: "expire silences", Message: "connection refused: GET http://am/api/v2/silences"}},
			summary: []string{"Succeeded: 1/1 journey passed; 1 cleanup failed: silence attempt 1 (expire silences)"},
		},
		{
			name: "every attempt, a failure and the flaky pass after it",
			in: Input{Planned: enforce("a", "b"), Results: []journey.Result{
				withCleanup(failedAt("a", journey.Errored, "reset"), "undo", "the cleanup budget of 10s ran out"),
				withCleanup(attempt(passed("a"), 2), "undo", "404"),
				withCleanup(failedAt("b", journey.Failed, "wrong"), "undo b", "timeout"),
			}},
			status: Failed,
			notes: []Note{
				{Journey: "a", Attempt: 1, Cleanup: "undo", Message: "the cleanup budget of 10s ran out"},
				{Journey: "a", Attempt: 2, Cleanup: "undo", Message: "404"},
				{Journey: "b", Attempt: 1, Cleanup: "undo b", Message: "timeout"},
			},
			summary: []string{"Failed: b step 2/3 (incident created): failed: wrong; 3 cleanups failed: a attempt 1 (undo), a attempt 2 (undo), b attempt 1 (undo b)"},
		},
		{
			name: "results of unplanned journeys are ignored",
			in: Input{Planned: enforce("a"), Results: []journey.Result{
				passed("a"), withCleanup(passed("other"), "undo", "boom"),
			}},
			status:  Succeeded,
			summary: []string{"Succeeded: 1/1 journey passed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Decide(tc.in)
			if v.Status != tc.status {
				t.Fatalf("status %s, want %s: %s", v.Status, tc.status, v.Summary)
			}
			got, _ := json.Marshal(v.Notes)
			want, _ := json.Marshal(tc.notes)
			if string(got) != string(want) {
				t.Errorf("notes %s\nwant  %s", got, want)
			}
			for _, s := range tc.summary {
				if v.Summary != s {
					t.Errorf("summary %q\nwant    %q", v.Summary, s)
				}
			}
			explain := v.Explain()
			for _, n := range tc.notes {
				if !strings.Contains(explain, n.Cleanup) || !strings.Contains(explain, n.Message) {
					t.Errorf("Explain does not name cleanup %q (%s):\n%s", n.Cleanup, n.Message, explain)
				}
			}
			if len(tc.notes) == 0 && strings.Contains(explain, "cleanup") {
				t.Errorf("Explain mentions a cleanup:\n%s", explain)
			}
		})
	}
}

// The notes' part of the summary is bounded; the first blocking reason
// keeps its place in front.
func TestNotesSummaryBounded(t *testing.T) {
	var results []journey.Result
	var planned []Planned
	for _, n := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"} {
		planned = append(planned, Planned{Name: n + "-journey", Mode: journey.ModeEnforce})
		results = append(results, withCleanup(passed(n+"-journey"), "expire everything it made", "boom"))
	}
	v := Decide(Input{Planned: planned, Results: results})
	if !strings.HasPrefix(v.Summary, "Succeeded: 6/6 journeys passed; 6 cleanups failed: alpha-journey attempt 1") {
		t.Errorf("summary %q", v.Summary)
	}
	if n := len([]rune(v.Summary)); n > len("Succeeded: 6/6 journeys passed")+maxNotesSummary {
		t.Errorf("summary has %d runes: the notes take more than %d", n, maxNotesSummary)
	}
}

// A result stored before the timing left the message ("took X, over its
// SLA of Y: ...") does not say its timing twice.
func TestLegacyBreachMessage(t *testing.T) {
	r := slaBreach("a")
	r.Steps[2].Message = "took 15.002s, over its SLA of 15s: no webhook for run r-1"
	v := Decide(Input{Planned: enforce("a"), Results: []journey.Result{r}})
	if want := "Failed: a step 3/3 (notification delivered): sla-breach, took 15.002s, SLA 15s: no webhook for run r-1"; v.Summary != want {
		t.Errorf("summary %q\nwant    %q", v.Summary, want)
	}
}

// A note's message is bounded, its middle cut.
func TestNoteMessageBounded(t *testing.T) {
	long := "connection refused: DELETE http://am/" + strings.Repeat("x", 5000) + " (the end)"
	v := Decide(Input{Planned: enforce("a"), Results: []journey.Result{withCleanup(passed("a"), "undo", long)}})
	m := v.Notes[0].Message
	if n := len([]rune(m)); n > maxNoteMessage || !strings.HasPrefix(m, "connection refused") || !strings.HasSuffix(m, "(the end)") {
		t.Errorf("note message of %d runes: %.60q…", n, m)
	}
}
