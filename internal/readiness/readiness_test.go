package readiness

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// history builds results for one journey: runs[i] is the i-th run, oldest
// first, one hour apart, as the outcomes of its attempts.
func history(name string, runs ...[]journey.Outcome) []journey.Result {
	var out []journey.Result
	for i, attempts := range runs {
		for a, o := range attempts {
			out = append(out, journey.Result{
				RunID: fmt.Sprintf("run-%03d", i), Journey: name, Attempt: a + 1, Outcome: o,
				StartedAt: t0.Add(time.Duration(i)*time.Hour + time.Duration(a)*time.Second),
				Elapsed:   time.Duration(i+1) * time.Millisecond,
			})
		}
	}
	return out
}

// times repeats one run's attempts n times.
func times(n int, attempts ...journey.Outcome) [][]journey.Outcome {
	out := make([][]journey.Outcome, n)
	for i := range out {
		out[i] = attempts
	}
	return out
}

var (
	ok    = []journey.Outcome{journey.Passed}
	flaky = []journey.Outcome{journey.Errored, journey.Passed}
	fail  = []journey.Outcome{journey.SLABreach}
)

func cat(parts ...[][]journey.Outcome) [][]journey.Outcome {
	var out [][]journey.Outcome
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name     string
		mode     journey.Mode
		runs     [][]journey.Outcome
		policy   Policy
		ready    bool
		notReady []string
		passed   int
		flaky    int
	}{
		{"20 clean runs: ready", journey.ModeObserve, times(20, ok...), DefaultPolicy(), true, nil, 20, 0},
		{"too few runs", journey.ModeObserve, times(12, ok...), DefaultPolicy(), false, []string{"12/20 runs"}, 12, 0},
		{"one flake in 20 is 5%: at the threshold, ready", journey.ModeObserve, cat(times(19, ok...), times(1, flaky...)), DefaultPolicy(), true, nil, 20, 1},
		{"two flakes in 25 is 8%: too flaky", journey.ModeObserve, cat(times(23, ok...), times(2, flaky...)), DefaultPolicy(), false, []string{"flake rate 8.0% > 5.0%"}, 25, 2},
		{"a recent failure holds it back", journey.ModeObserve, cat(times(20, ok...), times(1, fail...), times(4, ok...)), DefaultPolicy(), false,
			[]string{"1 of the last 20 runs failed (latest: sla-breach at 2026-11-21 06:00 UTC)"}, 24, 0},
		{"an old failure does not", journey.ModeObserve, cat(times(1, fail...), times(20, ok...)), DefaultPolicy(), true, nil, 20, 0},
		{"every rule named", journey.ModeObserve, cat(times(2, []journey.Outcome{journey.Errored, journey.Errored}...), times(3, flaky...)), DefaultPolicy(), false,
			[]string{"5/20 runs", "flake rate 60.0% > 5.0%", "2 of the last 5 runs failed (latest: error at 2026-11-20 11:00 UTC)"}, 3, 3},
		{"one run needed, and it failed: said in the singular", journey.ModeObserve, cat(times(3, ok...), times(1, fail...)), Policy{MinRuns: 1, MaxFlakeRate: 0.25}, false,
			[]string{"the last run failed (sla-breach at 2026-11-20 13:00 UTC)"}, 3, 0},
		{"own thresholds", journey.ModeObserve, cat(times(4, ok...), times(1, flaky...)), Policy{MinRuns: 5, MaxFlakeRate: 0.25}, true, nil, 5, 1},
		{"enforced journeys are not judged", journey.ModeEnforce, times(3, fail...), DefaultPolicy(), false, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(history("j", tt.runs...), map[string]journey.Mode{"j": tt.mode}, tt.policy)
			if len(got) != 1 {
				t.Fatalf("got %d journeys, want 1", len(got))
			}
			s := got[0]
			if s.Ready != tt.ready || strings.Join(s.NotReady, "|") != strings.Join(tt.notReady, "|") {
				t.Errorf("ready %v %q, want %v %q", s.Ready, s.NotReady, tt.ready, tt.notReady)
			}
			if len(s.Runs) != len(tt.runs) || s.Passed != tt.passed || s.Flaky != tt.flaky {
				t.Errorf("runs/passed/flaky %d/%d/%d, want %d/%d/%d: each run counts once, by its latest attempt", len(s.Runs), s.Passed, s.Flaky, len(tt.runs), tt.passed, tt.flaky)
			}
		})
	}
}

func TestComputeDetails(t *testing.T) {
	results := append(history("a", ok, flaky, fail, ok), history("b", fail)...)
	got := Compute(results, map[string]journey.Mode{"a": journey.ModeObserve, "idle": journey.ModeObserve}, DefaultPolicy())
	var names []string
	for _, s := range got {
		names = append(names, s.Journey)
	}
	if strings.Join(names, ",") != "a,b,idle" {
		t.Fatalf("journeys %v, want a, b (not in the catalogue) and idle (no runs), sorted", names)
	}
	a, b, idle := got[0], got[1], got[2]
	if a.SuccessRate() != 0.75 || a.FlakeRate() != 0.25 || a.P50 != 2*time.Millisecond {
		t.Errorf("a: success %v flake %v p50 %s", a.SuccessRate(), a.FlakeRate(), a.P50)
	}
	if last, _ := a.Last(); last.RunID != "run-003" || last.Class != journey.Passed {
		t.Errorf("a's last run %+v", last)
	}
	if lf, _ := a.LastFailure(); lf.RunID != "run-002" || lf.Class != journey.SLABreach {
		t.Errorf("a's last failure %+v", lf)
	}
	if a.Runs[2].Class != journey.PassedFlaky || a.Runs[2].Attempts != 2 {
		t.Errorf("a's second run %+v, want passed-flaky after 2 attempts", a.Runs[2])
	}
	if b.Mode != "" || b.Ready || b.NotReady != nil {
		t.Errorf("b is not in the catalogue: %+v", b)
	}
	if idle.Ready || strings.Join(idle.NotReady, "|") != "0/20 runs" || idle.SuccessRate() != 0 {
		t.Errorf("idle: %+v", idle)
	}
	if _, ok := idle.Last(); ok {
		t.Error("idle has no last run")
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, p := range []Policy{DefaultPolicy(), {MinRuns: 1, MaxFlakeRate: 0}, {MaxFlakeRate: 1}} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, p := range []Policy{{MinRuns: -1}, {MaxFlakeRate: 1.5}, {MaxFlakeRate: -0.1}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
