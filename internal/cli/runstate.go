package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// Run states as history, show and show --json name them.
const (
	stateFinished   = "finished"   // its verdict is recorded
	stateUnfinished = "unfinished" // no verdict yet, within its budget: it may still be running
	stateAbandoned  = "abandoned"  // no verdict, its budget passed: whatever ran it stopped
)

// unknownJourneyBudget is the budget of a planned journey the catalogue no
// longer has: Lambda's 15 minutes, the longest any runner Task may take.
const unknownJourneyBudget = 15 * time.Minute

// runBudget is the longest rec may take before it must have a verdict: its
// planned journeys' timeouts (flow.JourneyTimeout, every attempt and wait
// of each) summed, as if they ran one after another.
func runBudget(rec store.RunRecord, reg *journey.Registry) time.Duration {
	var d time.Duration
	for _, p := range rec.Planned {
		if j, ok := reg.Get(p.Name); ok {
			d += flow.JourneyTimeout(j, flow.DefaultTimeoutMargin)
		} else {
			d += unknownJourneyBudget
		}
	}
	return max(d, flow.DefaultTimeoutMargin)
}

// runState says whether rec is finished, unfinished or abandoned at now,
// and its budget.
func runState(rec store.RunRecord, reg *journey.Registry, now time.Time) (string, time.Duration) {
	budget := runBudget(rec, reg)
	switch {
	case rec.Verdict != nil:
		return stateFinished, budget
	case now.Sub(rec.StartedAt) > budget:
		return stateAbandoned, budget
	default:
		return stateUnfinished, budget
	}
}

// failing names what failed a run in a few words: the first reason's
// journey and step, and how many more reasons there are; "-" for none.
func failing(v *gate.Verdict) string {
	if v == nil || len(v.Reasons) == 0 {
		return "-"
	}
	r := v.Reasons[0]
	var s string
	switch {
	case r.Policy == gate.PolicyFreeze && r.Run != "":
		s = "environment frozen by run " + r.Run
	case r.Policy == gate.PolicyFreeze:
		s = "environment frozen: health unknown"
	case r.Journey == "":
		s = "run fault"
	case r.StepIndex > 0:
		s = fmt.Sprintf("%s step %d/%d (%s)", r.Journey, r.StepIndex, r.StepCount, r.Step)
	default:
		s = r.Journey
	}
	if r.Outcome != "" {
		s += ": " + string(r.Outcome)
	}
	if n := len(v.Reasons) - 1; n > 0 {
		s += fmt.Sprintf(" (+%d more)", n)
	}
	return strings.Join(strings.Fields(s), " ")
}
