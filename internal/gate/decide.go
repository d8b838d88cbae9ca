package gate

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/shared/journey"
)

// msgNoResult is the message of a planned journey that recorded no result.
const msgNoResult = "no result recorded"

// msgEmptyPlan is the message of a run that planned no journeys.
const msgEmptyPlan = "no journeys were planned: a gate that checks nothing cannot pass"

// maxSummary bounds the runes of a Summary so it fits a deployment console.
const maxSummary = 400

// Decide turns a run's plan, results and fault into a verdict. It is pure:
// the same input always gives the same verdict, wherever it runs.
//
// The rules: a fault or an empty plan fails the gate; each planned journey is
// judged by its latest attempt (see LatestAttempts), and one whose latest
// attempt passed right after one that did not is passed-flaky: it passes,
// counted in Flaky and explained in Flakes (flaky.go); an enforce-mode journey
// that did not pass, or recorded no result, blocks; an observe-mode journey
// that did not pass is reported but never blocks. A planned mode other than
// observe counts as enforce, so a malformed plan errs on the side of blocking.
// Results for journeys that were not planned are ignored. Then the
// policies of in.Policy apply (policy.go): the unhealthy-environment freeze
// adds its own blocking reasons, and an active override turns a Failed
// verdict into Succeeded while keeping the reasons it overrode.
func Decide(in Input) Verdict {
	var v Verdict
	var blocking, nonBlocking []Reason

	if in.Fault != "" {
		blocking = append(blocking, Reason{
			Outcome:  journey.Errored,
			Blocking: true,
			Message:  faultPrefix + in.Fault,
		})
	}
	plan := dedupePlan(in.Planned)
	if len(plan) == 0 {
		blocking = append(blocking, Reason{
			Outcome:  journey.Errored,
			Blocking: true,
			Message:  msgEmptyPlan,
		})
	}

	latest := map[string]journey.Result{}
	for _, r := range LatestAttempts(in.Results) {
		latest[r.Journey] = r
	}
	observeFailed := 0
	for _, p := range plan {
		enforce := p.Mode != journey.ModeObserve
		res, ok := latest[p.Name]
		var reason Reason
		switch {
		case !ok:
			reason = Reason{Journey: p.Name, Outcome: journey.Errored, Message: msgNoResult}
		default:
			outcome, passed := judge(res)
			if passed {
				v.Passed++
				if f, ok := flakeOf(p, in.Results); ok {
					v.Flaky++
					v.Flakes = append(v.Flakes, f)
				}
				continue
			}
			reason = explainResult(res, outcome)
		}
		reason.Mode = p.Mode
		if enforce {
			if reason.Mode == "" {
				reason.Mode = journey.ModeEnforce
			}
			reason.Blocking = true
			v.Blocking++
			blocking = append(blocking, reason)
		} else {
			v.Observed++
			observeFailed++
			nonBlocking = append(nonBlocking, reason)
		}
	}

	blocking = append(blocking, freezeReasons(in)...)
	v.Reasons = append(blocking, nonBlocking...)
	v.Notes = notesOf(plan, in.Results)
	if len(blocking) > 0 {
		v.Status = Failed
		v.Summary = failedSummary(blocking, notesSummary(v.Notes))
		return applyOverride(in, v)
	}
	v.Status = Succeeded
	v.Summary = fmt.Sprintf("Succeeded: %d/%d %s passed", v.Passed, len(plan), plural(len(plan), "journey", "journeys"))
	if v.Flaky > 0 {
		v.Summary += " (" + flakySummary(v.Flakes) + ")"
	}
	if observeFailed > 0 {
		v.Summary += fmt.Sprintf("; %d observe-mode %s failed (not blocking)",
			observeFailed, plural(observeFailed, "journey", "journeys"))
	}
	v.Summary = oneLine(v.Summary+notesSummary(v.Notes), maxSummary)
	return v
}

// LatestAttempts returns one result per journey: the one with the highest
// Attempt (on a tie, the later in results). Journeys keep the order in which
// they first appear in results.
func LatestAttempts(results []journey.Result) []journey.Result {
	index := map[string]int{}
	var out []journey.Result
	for _, r := range results {
		i, ok := index[r.Journey]
		if !ok {
			index[r.Journey] = len(out)
			out = append(out, r)
			continue
		}
		if r.Attempt >= out[i].Attempt {
			out[i] = r
		}
	}
	return out
}

// dedupePlan drops repeated journey names, keeping the first position; a
// journey planned both ways is enforced.
func dedupePlan(planned []Planned) []Planned {
	index := map[string]int{}
	var out []Planned
	for _, p := range planned {
		i, ok := index[p.Name]
		if !ok {
			index[p.Name] = len(out)
			out = append(out, p)
			continue
		}
		if p.Mode != journey.ModeObserve {
			out[i].Mode = journey.ModeEnforce
		}
	}
	return out
}

// judge returns the outcome a result counts as and whether it passed. A
// result that claims to pass while a step did not is judged by that step, and
// an unknown outcome counts as an error: only a clear pass is a pass.
func judge(r journey.Result) (journey.Outcome, bool) {
	if i := r.FailedStep(); i >= 0 && r.Outcome == journey.Passed {
		return r.Steps[i].Outcome, false
	}
	switch r.Outcome {
	case journey.Passed:
		return journey.Passed, true
	case journey.Failed, journey.SLABreach, journey.Errored, journey.Skipped:
		return r.Outcome, false
	default:
		return journey.Errored, false
	}
}

// explainResult builds the reason for a result that did not pass, blaming
// its first step that neither passed nor was skipped.
func explainResult(r journey.Result, outcome journey.Outcome) Reason {
	reason := Reason{Journey: r.Journey, Outcome: outcome, Message: r.Message}
	if r.Attempt > 1 {
		reason.Attempt = r.Attempt
	}
	if outcome != r.Outcome && r.Outcome != journey.Passed {
		reason.Message = fmt.Sprintf("unrecognised outcome %q", r.Outcome)
		if r.Message != "" {
			reason.Message += ": " + r.Message
		}
	}
	if i := r.FailedStep(); i >= 0 {
		s := r.Steps[i]
		reason.Step = s.Name
		reason.StepIndex = i + 1
		reason.StepCount = len(r.Steps)
		reason.SLA = s.SLA
		reason.Elapsed = s.Elapsed
		if s.Message != "" {
			reason.Message = s.Message
		}
	}
	if reason.Message == "" {
		reason.Message = fmt.Sprintf("journey ended %s without a message", outcome)
	}
	return reason
}

// failedSummary names the first blocking reason and counts the rest, then
// adds notes (notesSummary).
func failedSummary(blocking []Reason, notes string) string {
	const prefix = "Failed: "
	suffix := ""
	if n := len(blocking) - 1; n > 0 {
		suffix = fmt.Sprintf(" (+%d more)", n)
	}
	suffix += notes
	budget := maxSummary - len([]rune(prefix)) - len([]rune(suffix))
	return prefix + oneLine(describe(blocking[0]), budget) + suffix
}

// describe renders a reason as one phrase: journey, step, outcome, timing
// and message.
func describe(r Reason) string {
	if r.Journey == "" {
		return r.Message
	}
	var b strings.Builder
	b.WriteString(r.Journey)
	if r.StepIndex > 0 {
		fmt.Fprintf(&b, " step %d/%d (%s)", r.StepIndex, r.StepCount, r.Step)
	}
	b.WriteString(": ")
	b.WriteString(string(r.Outcome))
	if r.Attempt > 1 {
		fmt.Fprintf(&b, " on attempt %d", r.Attempt)
	}
	msg := r.Message
	if r.Outcome == journey.SLABreach && r.SLA > 0 {
		b.WriteString(", " + journey.BreachMessage(r.Elapsed, r.SLA))
		msg = trimBreachPrefix(msg)
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

// legacyBreach is the "took X, over its SLA of Y" that journey.Classify
// put at the start of an SLA-breach message before the timing moved to
// the step's fields alone. It is compiled on first use, not at every cold
// start of every function that links this package (issue 19).
var legacyBreach = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^took \S+, over its SLA of \S+(: |$)`)
})

// trimBreachPrefix drops a stored result's legacy timing prefix, since
// describe says the timing already.
func trimBreachPrefix(msg string) string {
	return legacyBreach().ReplaceAllString(msg, "")
}

// oneLine collapses runs of whitespace (newlines included) into single spaces
// and bounds the result to limit runes by cutting its middle, so a summary
// stays one console line and keeps the cause at either end.
func oneLine(s string, limit int) string { return display.OneLine(s, limit) }

// FormatDuration renders d for people: milliseconds precision from a
// millisecond up ("23ms", "15.002s"), microseconds below.
func FormatDuration(d time.Duration) string {
	if d != 0 && d < time.Millisecond && d > -time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Explain renders the verdict for people over several lines: the summary,
// the counts, then every reason with its journey, mode, whether it blocks,
// failing step, outcome, elapsed time against the SLA and message.
func (v Verdict) Explain() string { return v.ExplainWith(nil) }

// ExplainWith is Explain with a "cause:" line after each reason's message
// for each line causes returns for it (what its failing step's
// diagnostics state); nil adds none.
func (v Verdict) ExplainWith(causes func(Reason) []string) string {
	var b strings.Builder
	b.WriteString(v.Summary)
	b.WriteString("\n")
	fmt.Fprintf(&b, "status %s: %d passed, %d blocking, %d observe-mode not passed",
		v.Status, v.Passed, v.Blocking, v.Observed)
	if v.Flaky > 0 {
		fmt.Fprintf(&b, ", %d passed only after a retry", v.Flaky)
	}
	b.WriteString("\n")
	b.WriteString(v.overrideLine())
	for _, r := range v.Reasons {
		b.WriteString("\n")
		name := reasonName(r)
		block := "not blocking"
		if r.Blocking {
			block = "BLOCKING"
		}
		if r.Mode != "" {
			fmt.Fprintf(&b, "%s [%s, %s]\n", name, r.Mode, block)
		} else {
			fmt.Fprintf(&b, "%s [%s]\n", name, block)
		}
		if r.StepIndex > 0 {
			fmt.Fprintf(&b, "  step:    %d/%d (%s)\n", r.StepIndex, r.StepCount, r.Step)
		}
		fmt.Fprintf(&b, "  outcome: %s\n", r.Outcome)
		if r.Attempt > 1 {
			fmt.Fprintf(&b, "  attempt: %d\n", r.Attempt)
		}
		if r.StepIndex > 0 {
			fmt.Fprintf(&b, "  elapsed: %s (SLA %s)\n", journey.FormatOverrun(r.Elapsed, r.SLA), FormatDuration(r.SLA))
		}
		fmt.Fprintf(&b, "  message: %s\n", indentRest(r.Message, "           "))
		if causes != nil {
			for _, c := range causes(r) {
				fmt.Fprintf(&b, "  cause:   %s\n", c)
			}
		}
	}
	b.WriteString(explainFlakes(v.Flakes))
	b.WriteString(explainNotes(v.Notes))
	return b.String()
}

// indentRest indents every line of s after the first.
func indentRest(s, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}
