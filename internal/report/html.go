package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

// HTMLOptions adds to the HTML report what a Run does not carry.
type HTMLOptions struct {
	// History is the journeys' recent record in the store (LoadHistory);
	// nil leaves the history charts out.
	History *History
	// Redactor, when set, redacts every text of the run once more before
	// it is rendered. Results are redacted when they are recorded
	// (journey.Execute); this is defence in depth for the process that
	// still holds the secrets.
	Redactor *secrets.Redactor
	// Trigger and Deployment say what started the run ("" = not shown).
	Trigger, Deployment string
	// Generated is when the report was made (zero = not shown).
	Generated time.Time
	// ReadAttachment reads an image attachment (a step's screenshot) of
	// at most limit bytes, to embed it beside its step; nil reads local
	// files (ReadLocalAttachment). One it cannot read is shown by its
	// location.
	ReadAttachment func(location string, limit int64) ([]byte, error)
}

// WriteHTML writes the run as one self-contained HTML page for people: the
// verdict and why on top (reasons, override, flaky passes), a table of the
// journeys, then per journey a waterfall of each attempt's steps against
// their SLAs with the evidence of each step, expandable, and, with
// o.History, a chart of its recent runs and its success rate. A step's
// image attachments (a browser step's screenshot) are shown beside it,
// embedded as data: URIs within MaxEmbeddedAttachment and
// MaxEmbeddedPerPage, or by their location. The page loads nothing: no
// scripts, fonts, style sheets or images from anywhere.
func WriteHTML(w io.Writer, r Run, o HTMLOptions) error {
	if o.Redactor != nil {
		r = redactRun(r, o.Redactor)
		o.Trigger, o.Deployment = o.Redactor.String(o.Trigger), o.Redactor.String(o.Deployment)
	}
	_, err := w.Write(render(newPage(r, o)))
	return err
}

// page is what the template renders.
type page struct {
	RunID, Environment               string
	Started, Took, Trigger           string
	Deployment, Generated            string
	Status, StatusClass, StatusLabel string
	Summary, Counts                  string
	Override                         *pageOverride
	Reasons                          []pageReason
	Flakes                           []pageFlake
	Journeys                         []pageJourney
	History                          string // what the charts cover, or why there are none
	Inspect                          string
}

type pageOverride struct {
	By, Reason, At, Until, Deployment string
}

// pageReason is one reason of the verdict.
type pageReason struct {
	Anchor   string // the journey's section, or ""
	Name     string
	Where    string // "step 3/3 (notification delivered)"
	Class    string
	Label    string
	Timing   string
	Blocking string
	Attempt  int // the attempt it is about (0 or 1: the first)
	Message  string
	// Causes are what the failing step's diagnostics name as the cause
	// (see Causes), shown right after the message.
	Causes []string
	Run    string // the other run a freeze points at
}

type pageFlake struct {
	Anchor, Name string
	Attempt      int
	Earlier      []pageReason
}

// pageJourney is one journey's row and section.
type pageJourney struct {
	Name, Anchor               string
	Tier, Owner, Mode          string
	Blocking                   string
	Class, Label               string
	Duration, Step             string
	Attempts                   int
	Problem                    string
	Latest                     *pageAttempt
	Earlier                    []pageAttempt
	History                    *chart
	Cleanups                   []string
	NoResult                   bool
	Passed                     bool
	StepCount, FailedStepIndex int
}

// pageAttempt is one attempt's waterfall.
type pageAttempt struct {
	Number   int
	Headline string
	Class    string
	Label    string
	Started  string
	Took     string
	Cleanup  string // how long its cleanups took, when they ran
	Scale    string
	Message  string
	Steps    []pageStep
}

// pageStep is one bar of a waterfall.
type pageStep struct {
	ID       string
	Index    string
	Name     string
	Class    string
	Label    string
	Timing   string
	Ran      bool
	Failing  bool
	Bar      string // style: left and width
	Budget   string
	Marker   string
	Message  string
	Evidence []journey.Evidence
	Summary  string
	// Shots are the step's image attachments, shown beside it.
	Shots []pageShot
}

// classLabel is an outcome's text label, shown beside its colour and
// pattern.
func classLabel(o journey.Outcome) string {
	switch o {
	case journey.Passed:
		return "PASSED"
	case journey.PassedFlaky:
		return "PASSED (FLAKY)"
	case journey.Failed:
		return "FAILED"
	case journey.SLABreach:
		return "SLA BREACH"
	case journey.Errored:
		return "ERROR"
	case journey.Skipped:
		return "SKIPPED"
	case "":
		return "UNKNOWN"
	}
	return strings.ToUpper(string(o))
}

// classOf is an outcome as a CSS class name.
func classOf(o journey.Outcome) string {
	switch o {
	case journey.Passed, journey.PassedFlaky, journey.Failed, journey.SLABreach, journey.Errored, journey.Skipped:
		return string(o)
	}
	return "unknown"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func newPage(r Run, o HTMLOptions) page {
	v := r.Verdict
	p := page{
		RunID: r.RunID, Environment: r.Environment, Started: stamp(r.StartedAt),
		Trigger: o.Trigger, Deployment: o.Deployment, Generated: stamp(o.Generated),
		Summary: v.Summary, Inspect: flow.InspectCommand(r.RunID),
	}
	if r.Elapsed > 0 {
		p.Took = dur(r.Elapsed)
	}
	switch v.Status {
	case gate.Succeeded:
		p.Status, p.StatusClass, p.StatusLabel = "Succeeded", "succeeded", "SUCCEEDED"
		if v.Overridden != nil {
			p.StatusClass, p.StatusLabel = "overridden", "SUCCEEDED (OVERRIDDEN)"
		}
	case gate.Failed:
		p.Status, p.StatusClass, p.StatusLabel = "Failed", "failed", "FAILED"
	default:
		p.Status, p.StatusClass, p.StatusLabel = "no verdict", "unknown", "NO VERDICT"
	}
	if p.Summary == "" {
		p.Summary = "No verdict recorded."
	}
	all := rows(r)
	anchors := map[string]string{}
	for i, rw := range all {
		anchors[rw.name] = anchor(i, rw.name)
	}
	p.Counts = counts(v, len(all))
	if ov := v.Overridden; ov != nil {
		p.Override = &pageOverride{By: ov.By, Reason: ov.Reason, At: stamp(ov.At), Until: stamp(ov.ExpiresAt), Deployment: ov.Deployment}
	}
	for _, rs := range v.Reasons {
		pr := newReason(rs, anchors)
		pr.Causes = ReasonCauses(rs, r.Results)
		p.Reasons = append(p.Reasons, pr)
	}
	for _, f := range v.Flakes {
		pf := pageFlake{Anchor: anchors[f.Journey], Name: f.Journey, Attempt: f.Attempt}
		for _, e := range f.Earlier {
			pf.Earlier = append(pf.Earlier, newReason(e, nil))
		}
		p.Flakes = append(p.Flakes, pf)
	}
	stats := map[string]int{}
	if o.History != nil {
		for i, s := range o.History.Stats {
			stats[s.Journey] = i
		}
		p.History = o.History.describe(r.Environment)
	}
	for _, rw := range all {
		pj := newJourney(rw, anchors[rw.name])
		if o.History != nil {
			if k, ok := stats[rw.name]; ok {
				pj.History = newChart(o.History.Stats[k], r.RunID, o.History.Window)
			}
		}
		p.Journeys = append(p.Journeys, pj)
	}
	// Journeys that block first, then the other failures, flaky passes
	// and passes; otherwise in the order the other reports use.
	sort.SliceStable(p.Journeys, func(i, j int) bool { return rank(p.Journeys[i]) < rank(p.Journeys[j]) })
	embedShots(p.Journeys, o.ReadAttachment)
	return p
}

func rank(j pageJourney) int {
	switch {
	case !j.Passed && j.Blocking == "blocking":
		return 0
	case !j.Passed:
		return 1
	case j.Class == string(journey.PassedFlaky):
		return 2
	}
	return 3
}

// anchor is a journey section's id: "journey-NAME" for a valid journey
// name (lowercase letters, digits and dashes), otherwise the name made
// safe and numbered, so it is unique and safe in a URL fragment whatever
// a stored result holds.
func anchor(i int, name string) string {
	var b strings.Builder
	valid := name != ""
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
			valid = false
		}
	}
	if valid {
		return "journey-" + b.String()
	}
	return "journey-" + b.String() + "-" + strconv.Itoa(i+1)
}

// counts renders the verdict's counts in one line.
func counts(v gate.Verdict, journeys int) string {
	parts := []string{fmt.Sprintf("%d of %d %s passed", v.Passed, journeys, plural(journeys, "journey", "journeys"))}
	parts = append(parts, fmt.Sprintf("%d blocking", v.Blocking))
	if v.Observed > 0 {
		parts = append(parts, fmt.Sprintf("%d observe-mode not passed (not blocking)", v.Observed))
	}
	if v.Flaky > 0 {
		parts = append(parts, fmt.Sprintf("%d flaky (passed only after a retry)", v.Flaky))
	}
	return strings.Join(parts, " · ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newReason(rs gate.Reason, anchors map[string]string) pageReason {
	pr := pageReason{
		Anchor: anchors[rs.Journey], Name: rs.Journey, Class: classOf(rs.Outcome), Label: classLabel(rs.Outcome),
		Message: rs.Message, Run: rs.Run,
	}
	switch {
	case rs.Policy == gate.PolicyFreeze:
		pr.Name = "environment frozen"
		if rs.Journey != "" {
			pr.Name += " (" + rs.Journey + ")"
		}
		pr.Anchor = ""
	case rs.Journey == "":
		pr.Name = "run fault"
	}
	if rs.StepIndex > 0 {
		pr.Where = stepLabel(rs.StepIndex-1, rs.StepCount, rs.Step)
		pr.Timing = timing(rs.Elapsed, rs.SLA)
	}
	if rs.Blocking {
		pr.Blocking = "blocking"
	} else {
		pr.Blocking = "not blocking"
	}
	if rs.Mode != "" {
		pr.Blocking = string(rs.Mode) + ", " + pr.Blocking
	}
	pr.Attempt = rs.Attempt
	return pr
}

// timing renders elapsed against the SLA: "10.003s of SLA 10s (over by
// 3ms)".
func timing(elapsed, sla time.Duration) string {
	s := overrun(elapsed, sla) + " of SLA " + dur(sla)
	if sla > 0 && elapsed > sla {
		s += " (over by " + dur(elapsed-sla) + ")"
	}
	return s
}

func newJourney(rw row, anchor string) pageJourney {
	pj := pageJourney{
		Name: rw.name, Anchor: anchor, Mode: orDash(string(rw.mode)), Tier: orDash(string(rw.tier())), Owner: "-",
		Class: classOf(rw.outcome), Label: classLabel(rw.outcome), Duration: "-", Step: "-",
		Attempts: len(rw.attempts), Passed: rw.passed(),
	}
	if rw.blocking {
		pj.Blocking = "blocking"
	} else {
		pj.Blocking = "not blocking"
	}
	if rw.result == nil {
		pj.NoResult = true
		pj.Problem = problem(rw)
		return pj
	}
	res := rw.result
	pj.Owner = orDash(res.Owner)
	pj.Duration = dur(res.Elapsed)
	pj.StepCount = len(res.Steps)
	if i := failingStep(res); i >= 0 && !rw.passed() {
		pj.Step = stepLabel(i, len(res.Steps), res.Steps[i].Name)
		pj.FailedStepIndex = i + 1
	}
	if !rw.passed() {
		pj.Problem = headline(rw) + ": " + problem(rw)
	}
	latest := newAttempt(*res, anchor)
	pj.Latest = &latest
	for _, a := range rw.attempts {
		if a.Attempt == res.Attempt {
			continue
		}
		pj.Earlier = append(pj.Earlier, newAttempt(a, anchor))
	}
	for _, a := range rw.attempts {
		for _, c := range a.Cleanup {
			if c.Error != "" {
				pj.Cleanups = append(pj.Cleanups, fmt.Sprintf("attempt %d: cleanup %q failed after %s (not affecting the outcome): %s", a.Attempt, c.Name, dur(c.Elapsed), c.Error))
			}
		}
	}
	return pj
}

// newAttempt lays out one attempt's steps on a common time axis: each bar
// starts where its step started, relative to the attempt, and is as long
// as the step took; its SLA is a dashed window from the same start and a
// marker at its end. The axis spans the latest of any bar's or SLA's end.
func newAttempt(a journey.Result, anchor string) pageAttempt {
	pa := pageAttempt{
		Number: a.Attempt, Headline: attemptHeadline(a), Class: classOf(a.Outcome), Label: classLabel(a.Outcome),
		Started: stamp(a.StartedAt), Took: dur(a.Elapsed),
	}
	if a.CleanupElapsed > 0 {
		pa.Cleanup = dur(a.CleanupElapsed)
	}
	if a.FailedStep() < 0 && a.Message != "" && !a.Outcome.OK() {
		pa.Message = a.Message
	}
	origin := a.StartedAt
	for _, s := range a.Steps {
		if !s.StartedAt.IsZero() && (origin.IsZero() || s.StartedAt.Before(origin)) {
			origin = s.StartedAt
		}
	}
	type span struct{ start, end, sla time.Duration }
	spans := make([]span, len(a.Steps))
	var axis, cursor time.Duration
	for i, s := range a.Steps {
		start := cursor
		if !s.StartedAt.IsZero() && !origin.IsZero() {
			start = max(s.StartedAt.Sub(origin), 0)
		}
		ran := s.Outcome != journey.Skipped
		end := start
		if ran {
			end = start + max(s.Elapsed, 0)
			cursor = end
		}
		spans[i] = span{start, end, start + max(s.SLA, 0)}
		if ran {
			axis = max(axis, end, spans[i].sla)
		}
	}
	if axis <= 0 {
		axis = time.Millisecond
	}
	pa.Scale = "0 to " + dur(axis)
	pct := func(d time.Duration) string {
		return strconv.FormatFloat(100*float64(d)/float64(axis), 'f', 2, 64)
	}
	failing := a.FailedStep()
	for i, s := range a.Steps {
		sp := spans[i]
		ps := pageStep{
			ID:    fmt.Sprintf("%s-a%d-s%d", anchor, a.Attempt, i+1),
			Index: fmt.Sprintf("%d/%d", i+1, len(a.Steps)), Name: s.Name,
			Class: classOf(s.Outcome), Label: classLabel(s.Outcome),
			Ran: s.Outcome != journey.Skipped, Failing: i == failing,
			Message: s.Message, Evidence: s.Evidence, Shots: shotsOf(s.Evidence),
		}
		if ps.Ran {
			ps.Timing = timing(s.Elapsed, s.SLA)
			ps.Bar = ("left:" + pct(sp.start) + "%;width:" + pct(sp.end-sp.start) + "%")
			ps.Budget = ("left:" + pct(sp.start) + "%;width:" + pct(sp.sla-sp.start) + "%")
			ps.Marker = ("left:" + pct(sp.sla) + "%")
		} else {
			ps.Timing = "not run (SLA " + dur(s.SLA) + ")"
		}
		if len(s.Evidence) > 0 {
			labels := make([]string, 0, len(s.Evidence))
			for _, e := range s.Evidence {
				labels = append(labels, oneLine(e.Label, 60))
			}
			what := "Evidence"
			if ps.Failing {
				what = "Evidence of the " + strings.ToLower(ps.Label)
			}
			ps.Summary = fmt.Sprintf("%s (%d): %s", what, len(s.Evidence), oneLine(strings.Join(labels, ", "), 120))
		}
		pa.Steps = append(pa.Steps, ps)
	}
	return pa
}

// redactRun returns a copy of r with every text passed through red.
func redactRun(r Run, red *secrets.Redactor) Run {
	s := red.String
	out := r
	out.Results = make([]journey.Result, len(r.Results))
	for i, res := range r.Results {
		res.Message = s(res.Message)
		steps := make([]journey.StepResult, len(res.Steps))
		for j, st := range res.Steps {
			st.Message = s(st.Message)
			ev := make([]journey.Evidence, len(st.Evidence))
			for k, e := range st.Evidence {
				ev[k] = journey.Evidence{Label: s(e.Label), Detail: s(e.Detail), Attachment: s(e.Attachment), ContentType: e.ContentType}
			}
			if st.Evidence == nil {
				ev = nil
			}
			st.Evidence = ev
			steps[j] = st
		}
		res.Steps = steps
		cleanup := make([]journey.CleanupResult, len(res.Cleanup))
		for j, c := range res.Cleanup {
			c.Error = s(c.Error)
			cleanup[j] = c
		}
		if res.Cleanup == nil {
			cleanup = nil
		}
		res.Cleanup = cleanup
		out.Results[i] = res
	}
	v := r.Verdict
	v.Summary = s(v.Summary)
	redactReasons := func(in []gate.Reason) []gate.Reason {
		if in == nil {
			return nil
		}
		rs := make([]gate.Reason, len(in))
		for i, x := range in {
			x.Message = s(x.Message)
			rs[i] = x
		}
		return rs
	}
	v.Reasons = redactReasons(v.Reasons)
	if v.Flakes != nil {
		flakes := make([]gate.Flake, len(v.Flakes))
		for i, f := range v.Flakes {
			f.Earlier = redactReasons(f.Earlier)
			flakes[i] = f
		}
		v.Flakes = flakes
	}
	if v.Overridden != nil {
		ov := *v.Overridden
		ov.Reason, ov.By = s(ov.Reason), s(ov.By)
		v.Overridden = &ov
	}
	out.Verdict = v
	return out
}
