package gate

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// erroredAt is a result of class error at step 1/3, as a connection
// refused by the target gives.
func erroredAt(name string, n int) journey.Result {
	return journey.Result{
		Journey: name, Attempt: n, Outcome: journey.Errored, Mode: journey.ModeEnforce,
		Message: "step 1/3 (three alerts accepted): connection refused",
		Steps: []journey.StepResult{
			step("three alerts accepted", journey.Errored, 4*time.Millisecond, 3*time.Second, "connection refused"),
			step("one notification", journey.Skipped, 0, 10*time.Second, ""),
			step("no second notification", journey.Skipped, 0, 5*time.Second, ""),
		},
	}
}

func TestDecideFlaky(t *testing.T) {
	observe := func(n string) Planned { return Planned{Name: n, Mode: journey.ModeObserve} }
	tests := []struct {
		name    string
		in      Input
		status  Status
		summary string
		flakes  []string // journey@attempt: earlier outcomes
		passed  int
	}{
		{
			name: "a pass after an error is let through and named",
			in: Input{
				Planned: enforce("alert-to-notification", "resolve-lifecycle", "alert-grouping", "silence-suppresses"),
				Results: []journey.Result{
					passed("alert-to-notification"), passed("resolve-lifecycle"),
					erroredAt("alert-grouping", 1), attempt(passed("alert-grouping"), 2),
					passed("silence-suppresses"),
				},
			},
			status:  Succeeded,
			summary: "Succeeded: 4/4 journeys passed (1 flaky: alert-grouping passed on attempt 2 after error at step 1/3 (three alerts accepted))",
			flakes:  []string{"alert-grouping@2: error"},
			passed:  4,
		},
		{
			name: "two failed attempts before the pass are both named",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{attempt(passed("a"), 3), erroredAt("a", 1), attempt(slaBreach("a"), 2)},
			},
			status:  Succeeded,
			summary: "Succeeded: 1/1 journey passed (1 flaky: a passed on attempt 3 after error at step 1/3 (three alerts accepted), then sla-breach at step 3/3 (notification delivered))",
			flakes:  []string{"a@3: error sla-breach"},
			passed:  1,
		},
		{
			name: "a re-run after a pass is not flaky",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{erroredAt("a", 1), attempt(passed("a"), 2), attempt(passed("a"), 3)},
			},
			status:  Succeeded,
			summary: "Succeeded: 1/1 journey passed",
			passed:  1,
		},
		{
			name: "an observe-mode flake is counted too",
			in: Input{
				Planned: []Planned{observe("o"), {Name: "e", Mode: journey.ModeEnforce}},
				Results: []journey.Result{erroredAt("o", 1), attempt(passed("o"), 2), passed("e")},
			},
			status:  Succeeded,
			summary: "Succeeded: 2/2 journeys passed (1 flaky: o passed on attempt 2 after error at step 1/3 (three alerts accepted))",
			flakes:  []string{"o@2: error"},
			passed:  2,
		},
		{
			name: "a failed run still lists its flakes",
			in: Input{
				Planned: enforce("a", "b"),
				Results: []journey.Result{erroredAt("a", 1), attempt(passed("a"), 2), erroredAt("b", 1), erroredAt("b", 2)},
			},
			status:  Failed,
			summary: "Failed: b step 1/3 (three alerts accepted): error on attempt 2: connection refused",
			flakes:  []string{"a@2: error"},
			passed:  1,
		},
		{
			name: "unplanned flakes are ignored",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{passed("a"), erroredAt("stray", 1), attempt(passed("stray"), 2)},
			},
			status:  Succeeded,
			summary: "Succeeded: 1/1 journey passed",
			passed:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Decide(tt.in)
			if v.Status != tt.status || v.Summary != tt.summary || v.Passed != tt.passed {
				t.Errorf("verdict %s, passed %d, summary\n  %q\nwant %s, passed %d,\n  %q", v.Status, v.Passed, v.Summary, tt.status, tt.passed, tt.summary)
			}
			var got []string
			for _, f := range v.Flakes {
				var classes []string
				for _, r := range f.Earlier {
					if r.Blocking || r.Attempt == 0 || r.Journey != f.Journey {
						t.Errorf("earlier attempt %+v: must name its journey and attempt and never block", r)
					}
					classes = append(classes, string(r.Outcome))
				}
				got = append(got, f.Journey+"@"+strconv.Itoa(f.Attempt)+": "+strings.Join(classes, " "))
			}
			if strings.Join(got, "|") != strings.Join(tt.flakes, "|") || v.Flaky != len(tt.flakes) {
				t.Errorf("flakes %v (Flaky %d), want %v", got, v.Flaky, tt.flakes)
			}
		})
	}
}

func TestExplainFlaky(t *testing.T) {
	v := Decide(Input{
		Planned: enforce("alert-grouping"),
		Results: []journey.Result{erroredAt("alert-grouping", 1), attempt(passed("alert-grouping"), 2)},
	})
	got := v.Explain()
	for _, w := range []string{
		"status Succeeded: 1 passed, 0 blocking, 0 observe-mode not passed, 1 passed only after a retry\n",
		"alert-grouping [enforce, passed-flaky, not blocking]\n",
		"  passed:  on attempt 2\n",
		"  attempt 1: error at step 1/3 (three alerts accepted) in 4ms (SLA 3s): connection refused\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("Explain() lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "BLOCKING") {
		t.Errorf("a flake must not read as blocking:\n%s", got)
	}
}

// The verdict is stored and sent as JSON: the flakes must survive, and a
// verdict recorded before flakes existed must still read.
func TestFlakesRoundTrip(t *testing.T) {
	v := Decide(Input{
		Planned: enforce("a"),
		Results: []journey.Result{erroredAt("a", 1), attempt(passed("a"), 2)},
	})
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back Verdict
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Flaky != 1 || len(back.Flakes) != 1 || back.Flakes[0].Earlier[0] != v.Flakes[0].Earlier[0] {
		t.Errorf("round trip lost the flakes: %s", b)
	}
	var old Verdict
	if err := json.Unmarshal([]byte(`{"status":"Succeeded","summary":"Succeeded: 1/1 journey passed","passed":1,"blocking":0,"observed":0}`), &old); err != nil || old.Flaky != 0 || old.Flakes != nil {
		t.Errorf("an old verdict reads as %+v, %v", old, err)
	}
	if b, _ := json.Marshal(Decide(Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}})); strings.Contains(string(b), "flak") {
		t.Errorf("a verdict without flakes should not mention them: %s", b)
	}
}

func TestFlakySummaryBounded(t *testing.T) {
	var names []string
	var results []journey.Result
	for i := range 40 {
		n := "journey-with-a-rather-long-name-" + strconv.Itoa(i)
		names = append(names, n)
		results = append(results, erroredAt(n, 1), attempt(passed(n), 2))
	}
	v := Decide(Input{Planned: enforce(names...), Results: results})
	if v.Status != Succeeded || v.Flaky != 40 {
		t.Fatalf("verdict %s with %d flaky", v.Status, v.Flaky)
	}
	if n := len([]rune(v.Summary)); n > maxSummary || !strings.HasPrefix(v.Summary, "Succeeded: 40/40 journeys passed (40 flaky: ") {
		t.Errorf("summary of %d runes: %q", n, v.Summary)
	}
}
