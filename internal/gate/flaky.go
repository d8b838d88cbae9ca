package gate

import (
	"fmt"
	"strings"

	"github.com/journeygate/journeygate/shared/journey"
)

// Flake is a planned journey that passed only after a retry (class
// passed-flaky). The gate lets it through; the flake is reported so that
// it is seen and fixed, never hidden by the retry.
type Flake struct {
	Journey string       `json:"journey"`
	Mode    journey.Mode `json:"mode"`
	// Attempt is the attempt that passed.
	Attempt int `json:"attempt"`
	// Earlier explains the attempts right before it that did not pass,
	// oldest first, each with its Attempt set; none of them blocks.
	Earlier []Reason `json:"earlier"`
}

// flakeOf returns the flake of a planned journey whose latest attempt
// passed, from all of its attempts in results, or false when the pass
// needed no retry (journey.Streak: its attempt right before did not pass).
func flakeOf(p Planned, results []journey.Result) (Flake, bool) {
	var mine []journey.Result
	for _, r := range results {
		if r.Journey == p.Name {
			mine = append(mine, r)
		}
	}
	streak := journey.Streak(mine)
	if len(streak) < 2 {
		return Flake{}, false
	}
	f := Flake{Journey: p.Name, Mode: p.Mode, Attempt: streak[len(streak)-1].Attempt}
	for _, r := range streak[:len(streak)-1] {
		outcome, _ := judge(r)
		reason := explainResult(r, outcome)
		reason.Mode, reason.Attempt = p.Mode, r.Attempt
		f.Earlier = append(f.Earlier, reason)
	}
	return f, true
}

// flakySummary renders the flakes for a Succeeded summary: "1 flaky:
// alert-grouping passed on attempt 2 after error at step 1/3 (three alerts
// accepted)". The caller bounds its length.
func flakySummary(flakes []Flake) string {
	parts := make([]string, 0, len(flakes))
	for _, f := range flakes {
		parts = append(parts, describeFlake(f))
	}
	return fmt.Sprintf("%d flaky: %s", len(flakes), strings.Join(parts, "; "))
}

// describeFlake renders one flake as a phrase: the journey, the attempt
// that passed and the class and step of each earlier attempt.
func describeFlake(f Flake) string {
	var earlier []string
	for _, r := range f.Earlier {
		s := string(r.Outcome)
		if r.StepIndex > 0 {
			s += fmt.Sprintf(" at step %d/%d (%s)", r.StepIndex, r.StepCount, r.Step)
		}
		earlier = append(earlier, s)
	}
	return fmt.Sprintf("%s passed on attempt %d after %s", f.Journey, f.Attempt, strings.Join(earlier, ", then "))
}

// explainFlakes renders the flakes for Explain: each journey, then every
// earlier attempt's class, step, timing and message.
func explainFlakes(flakes []Flake) string {
	var b strings.Builder
	for _, f := range flakes {
		fmt.Fprintf(&b, "\n%s [%s, passed-flaky, not blocking]\n", f.Journey, f.Mode)
		fmt.Fprintf(&b, "  passed:  on attempt %d\n", f.Attempt)
		for _, r := range f.Earlier {
			fmt.Fprintf(&b, "  attempt %d: %s", r.Attempt, r.Outcome)
			if r.StepIndex > 0 {
				fmt.Fprintf(&b, " at step %d/%d (%s) in %s (SLA %s)", r.StepIndex, r.StepCount, r.Step, FormatDuration(r.Elapsed), FormatDuration(r.SLA))
			}
			fmt.Fprintf(&b, ": %s\n", indentRest(r.Message, "             "))
		}
	}
	return b.String()
}
