package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// Run is one run of journeys and its verdict, as presented by this package.
// In JSON, durations (Elapsed here and in results and the verdict) are
// nanoseconds, the encoding of Go's time.Duration used throughout journeygate.
type Run struct {
	RunID       string           `json:"runId"`
	Environment string           `json:"environment"`
	StartedAt   time.Time        `json:"startedAt"`
	Elapsed     time.Duration    `json:"elapsed"`
	Results     []journey.Result `json:"results"`
	Verdict     gate.Verdict     `json:"verdict"`
}

// row is one journey as reported: its latest result, if any, and the
// verdict's reason about it, if any.
type row struct {
	name    string
	result  *journey.Result
	reason  *gate.Reason
	outcome journey.Outcome
	mode    journey.Mode
	// blocking is whether the journey's outcome fails the gate.
	blocking bool
	// attempts are all of the journey's results in the run, oldest first;
	// earlier are the attempts right before the latest that did not pass
	// (journey.Streak), which make a pass passed-flaky.
	attempts []journey.Result
	earlier  []journey.Result
}

// passed reports whether the row counts as a pass (passed or passed-flaky).
func (r row) passed() bool { return r.outcome.OK() }

// tier returns the journey's tier, or "" when it recorded no result.
func (r row) tier() journey.Tier {
	if r.result == nil {
		return ""
	}
	return r.result.Tier
}

// elapsed returns the journey's duration, or 0 when it recorded no result.
func (r row) elapsed() time.Duration {
	if r.result == nil {
		return 0
	}
	return r.result.Elapsed
}

// rows lists the run's journeys: every latest result in recorded order, then
// the journeys the verdict names that recorded no result. The verdict's
// reason decides outcome, mode and blocking; without one (a result the gate
// did not judge, or a pass) the journey's class (journey.Class over its
// attempts, so passed-flaky after a retry) and the result's mode are used.
func rows(r Run) []row {
	byJourney := map[string][]journey.Result{}
	for _, res := range r.Results {
		byJourney[res.Journey] = append(byJourney[res.Journey], res)
	}
	reasons := map[string]*gate.Reason{}
	for i := range r.Verdict.Reasons {
		rs := &r.Verdict.Reasons[i]
		if rs.Journey != "" {
			if _, dup := reasons[rs.Journey]; !dup {
				reasons[rs.Journey] = rs
			}
		}
	}
	var out []row
	seen := map[string]bool{}
	for _, res := range gate.LatestAttempts(r.Results) {
		rw := row{name: res.Journey, result: &res, outcome: journey.Class(byJourney[res.Journey]), mode: res.Mode}
		if streak := journey.Streak(byJourney[res.Journey]); len(streak) > 1 {
			rw.earlier = streak[:len(streak)-1]
		}
		rw.attempts = sortedAttempts(byJourney[res.Journey])
		if rs, ok := reasons[res.Journey]; ok {
			rw.reason = rs
			rw.outcome, rw.mode, rw.blocking = rs.Outcome, rs.Mode, rs.Blocking
		} else if res.Outcome != journey.Passed {
			rw.blocking = res.Mode != journey.ModeObserve
		}
		seen[res.Journey] = true
		out = append(out, rw)
	}
	for i := range r.Verdict.Reasons {
		rs := &r.Verdict.Reasons[i]
		if rs.Journey == "" || seen[rs.Journey] {
			continue
		}
		seen[rs.Journey] = true
		out = append(out, row{name: rs.Journey, reason: rs, outcome: rs.Outcome, mode: rs.Mode, blocking: rs.Blocking})
	}
	return out
}

// sortedAttempts returns a journey's attempts oldest first.
func sortedAttempts(all []journey.Result) []journey.Result {
	out := append([]journey.Result(nil), all...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Attempt < out[j].Attempt })
	return out
}

// attemptHeadline says in one phrase how an attempt ended: "error at step
// 1/1 (status ready)".
func attemptHeadline(res journey.Result) string {
	s := string(res.Outcome)
	if i := res.FailedStep(); i >= 0 {
		s += " at " + stepLabel(i, len(res.Steps), res.Steps[i].Name)
	}
	return s
}

// attemptMessage returns the message explaining an attempt that did not
// pass: its failing step's, else its own.
func attemptMessage(res journey.Result) string {
	if i := res.FailedStep(); i >= 0 && res.Steps[i].Message != "" {
		return res.Steps[i].Message
	}
	if res.Message != "" {
		return res.Message
	}
	return "no message recorded"
}

// runReasons returns the verdict's reasons that concern the run rather than
// a journey (a fault, an empty plan).
func runReasons(v gate.Verdict) []gate.Reason {
	var out []gate.Reason
	for _, rs := range v.Reasons {
		if rs.Journey == "" {
			out = append(out, rs)
		}
	}
	return out
}

// failingStep returns the 0-based index of the step to blame, or -1.
func failingStep(res *journey.Result) int {
	if res == nil {
		return -1
	}
	return res.FailedStep()
}

// headline says in one phrase what went wrong with a row that did not pass:
// "sla-breach at step 3/3 (notification delivered)".
func headline(rw row) string {
	s := string(rw.outcome)
	if i := failingStep(rw.result); i >= 0 {
		s += " at " + stepLabel(i, len(rw.result.Steps), rw.result.Steps[i].Name)
	}
	return s
}

// problem returns the message explaining a row that did not pass.
func problem(rw row) string {
	if rw.reason != nil && rw.reason.Message != "" {
		return rw.reason.Message
	}
	if i := failingStep(rw.result); i >= 0 && rw.result.Steps[i].Message != "" {
		return rw.result.Steps[i].Message
	}
	if rw.result != nil && rw.result.Message != "" {
		return rw.result.Message
	}
	return "no message recorded"
}

// stepLabel renders "step 2/3 (incident created)".
func stepLabel(i, n int, name string) string {
	return "step " + strconv.Itoa(i+1) + "/" + strconv.Itoa(n) + " (" + name + ")"
}

// modeLabel renders "enforce, blocking" or "observe, not blocking".
func modeLabel(rw row) string {
	mode := string(rw.mode)
	if mode == "" {
		mode = "unknown mode"
	}
	if rw.blocking {
		return mode + ", blocking"
	}
	return mode + ", not blocking"
}

// dur renders a duration the way the gate does.
func dur(d time.Duration) string { return gate.FormatDuration(d) }

// overrun renders a step's elapsed time against its SLA as dur does, but
// never a breach as equal to its SLA (journey.FormatOverrun).
func overrun(elapsed, sla time.Duration) string { return journey.FormatOverrun(elapsed, sla) }

// oneLine collapses whitespace (newlines included) into single spaces,
// makes control characters visible (see termSafe) and bounds the text to
// limit runes by cutting its middle (display.Cut), so the cause survives
// at either end.
func oneLine(s string, limit int) string {
	return display.Cut(termSafe(strings.Join(strings.Fields(s), " ")), limit)
}

// termSafe makes text safe to print on a terminal: control characters other
// than newline and tab (an ESC could move the cursor or recolour the
// screen), C1 controls and bytes of invalid UTF-8 are shown as \xNN.
func termSafe(s string) string {
	unsafe := func(r rune) bool {
		return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, unsafe) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unsafe(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// stepLine renders one step for the JUnit details and timelines:
// "2/3 incident created: failed in 1.5s (SLA 5s)".
func stepLine(i, n int, s journey.StepResult) string {
	if s.Outcome == journey.Skipped {
		return fmt.Sprintf("%d/%d %s: skipped (SLA %s)", i+1, n, s.Name, dur(s.SLA))
	}
	return fmt.Sprintf("%d/%d %s: %s in %s (SLA %s)", i+1, n, s.Name, s.Outcome, overrun(s.Elapsed, s.SLA), dur(s.SLA))
}
