package soak

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/shared/journey"
)

// journeyRun is one journey executed once in one run (a "journey run"),
// with every attempt the product's retry policy made.
type journeyRun struct {
	Journey string
	// Class is journey.Class over the attempts: passed, passed-flaky, or
	// the class of the failure; "" when the run holds no result for it.
	Class journey.Outcome
	// Attempts are in attempt order.
	Attempts []journey.Result
	// Elapsed sums the attempts' durations (cleanups included).
	Elapsed time.Duration
}

// FirstFailed reports whether the first attempt did not pass.
func (j journeyRun) FirstFailed() bool {
	return len(j.Attempts) == 0 || j.Attempts[0].Outcome != journey.Passed || j.Attempts[0].FailedStep() >= 0
}

// Describe says how the latest attempt failed: class, step and message.
func (j journeyRun) Describe() string {
	if len(j.Attempts) == 0 {
		return j.Journey + ": no result recorded"
	}
	r := j.Attempts[len(j.Attempts)-1]
	s := fmt.Sprintf("%s: %s", j.Journey, j.Class)
	if i := r.FailedStep(); i >= 0 {
		s += fmt.Sprintf(" at step %d/%d (%s)", i+1, len(r.Steps), r.Steps[i].Name)
	}
	if len(j.Attempts) > 1 {
		s += fmt.Sprintf(" on attempt %d", r.Attempt)
	}
	return s
}

// journeyRuns splits a run's results into its planned journeys' runs, in
// plan order.
func journeyRuns(out runner.Outcome) []journeyRun {
	var jrs []journeyRun
	for _, p := range out.Run.Planned {
		jr := journeyRun{Journey: p.Name}
		for _, r := range out.Results {
			if r.Journey == p.Name {
				jr.Attempts = append(jr.Attempts, r)
				jr.Elapsed += r.Elapsed
			}
		}
		sort.SliceStable(jr.Attempts, func(a, b int) bool { return jr.Attempts[a].Attempt < jr.Attempts[b].Attempt })
		jr.Class = journey.Class(jr.Attempts)
		jrs = append(jrs, jr)
	}
	return jrs
}

// tally counts journey runs by class and keeps their durations.
type tally struct {
	Runs, Passed, Flaky, Failed, FirstFailed int
	Durations                                []time.Duration
	// Failures explains the first few false failures and flakes.
	Failures []string
	// Causes counts the attempts that did not pass by journey, step and
	// class, with the last observation of one of them.
	Causes map[string]*cause
}

// cause is one way attempts failed.
type cause struct {
	Count   int
	Example string
}

func (t *tally) add(runID string, jr journeyRun) {
	t.Runs++
	t.Durations = append(t.Durations, jr.Elapsed)
	if jr.FirstFailed() {
		t.FirstFailed++
	}
	for _, a := range jr.Attempts {
		if a.Outcome == journey.Passed && a.FailedStep() < 0 {
			continue
		}
		k := fmt.Sprintf("%s: %s", jr.Journey, a.Outcome)
		if i := a.FailedStep(); i >= 0 {
			k += fmt.Sprintf(" at step %d/%d (%s)", i+1, len(a.Steps), a.Steps[i].Name)
		}
		if t.Causes == nil {
			t.Causes = map[string]*cause{}
		}
		c, ok := t.Causes[k]
		if !ok {
			c = &cause{Example: a.Message}
			t.Causes[k] = c
		}
		c.Count++
	}
	switch {
	case jr.Class == journey.Passed:
		t.Passed++
	case jr.Class == journey.PassedFlaky:
		t.Flaky++
		t.note(runID, jr, "flaky")
	default:
		t.Failed++
		t.note(runID, jr, "FALSE FAILURE")
	}
}

func (t *tally) note(runID string, jr journeyRun, what string) {
	if len(t.Failures) >= 10 {
		return
	}
	var msgs []string
	for _, a := range jr.Attempts {
		if a.Outcome != journey.Passed {
			msgs = append(msgs, fmt.Sprintf("attempt %d: %s", a.Attempt, oneLine(a.Message, 600)))
		}
	}
	t.Failures = append(t.Failures, fmt.Sprintf("%s run %s %s\n      %s", what, runID, jr.Describe(), strings.Join(msgs, "\n      ")))
}

// percentile returns the q-quantile (0..1) of ds by the nearest-rank
// method, or 0 for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// round keeps durations readable in tables.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}
