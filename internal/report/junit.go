package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/shared/journey"
)

// junitMessageRunes bounds a message attribute; the full text is in the body.
const junitMessageRunes = 500

// JUnit XML, in the dialect Jenkins, GitLab and the GitHub test reporters
// read (the Ant junit schema plus a skipped count).
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	// junitCase's elements are in the order of Maven Surefire's
	// surefire-test-report-3.0.xsd.
	junitCase struct {
		Name          string        `xml:"name,attr"`
		Classname     string        `xml:"classname,attr"`
		Time          string        `xml:"time,attr"`
		Failure       *junitProblem `xml:"failure,omitempty"`
		RerunFailures []junitRerun  `xml:"rerunFailure"`
		FlakyFailures []junitRerun  `xml:"flakyFailure"`
		Skipped       *junitSkipped `xml:"skipped,omitempty"`
		Error         *junitProblem `xml:"error,omitempty"`
		RerunErrors   []junitRerun  `xml:"rerunError"`
		FlakyErrors   []junitRerun  `xml:"flakyError"`
		SystemOut     *junitText    `xml:"system-out,omitempty"`
	}
	// junitRerun is one earlier attempt of a journey that ran again, in
	// Surefire's rerun dialect: a flakyFailure or flakyError inside a
	// passing testcase, a rerunFailure or rerunError beside the failure.
	junitRerun struct {
		Message    string    `xml:"message,attr"`
		Type       string    `xml:"type,attr"`
		StackTrace junitText `xml:"stackTrace"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"`
	}
	junitText struct {
		Text string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// WriteJUnit writes the run as JUnit XML: one testsuite "journeygate" with
// the run id, environment and verdict as properties, and one testcase per
// journey (classname "journeygate.<tier>", time in seconds).
//
// A journey that passed only after a retry (passed-flaky) passes: its
// earlier attempts are <flakyFailure> (classes failed and sla-breach) or
// <flakyError> (error) elements inside the passing testcase, the way Maven
// Surefire reports a test that passed on a rerun, which Jenkins and other
// Surefire readers show as flaky while the build stays green; readers that
// do not know the elements ignore them. A blocking journey that did not
// pass after retries carries its earlier attempts as <rerunFailure> or
// <rerunError> beside its <failure> or <error>. The suite's property
// journeygate.flaky counts the flaky journeys when there are any.
//
// A blocking journey that failed or breached an SLA is a <failure> (type
// "failed" or "sla-breach"); one that errored, or recorded no result, is an
// <error>. Its body lists every step with outcome, elapsed time, SLA and
// evidence. An observe-mode journey that did not pass is <skipped>: JUnit
// has no "warning", and a failure would turn CI red for a journey the gate
// deliberately does not block on, while skipped stays visible without
// failing the build. Problems of the run itself (a fault, an empty plan) are
// an <error> on an extra testcase named "(run)", so a failed verdict always
// shows up as a failed CI test. Every testcase carries its step timeline in
// <system-out>. encoding/xml escapes every attribute; multi-line bodies are
// CDATA (split around any "]]>") so the file stays readable, and characters
// XML cannot carry are replaced with U+FFFD everywhere. Multi-line bodies are CDATA so the file stays readable.
func WriteJUnit(w io.Writer, r Run) error {
	suite := junitSuite{
		Name: "journeygate",
		Time: seconds(r.Elapsed),
		Properties: []junitProperty{
			{Name: "journeygate.runId", Value: r.RunID},
			{Name: "journeygate.environment", Value: r.Environment},
			{Name: "journeygate.verdict", Value: string(r.Verdict.Status)},
			{Name: "journeygate.summary", Value: r.Verdict.Summary},
		},
	}
	if r.Verdict.Flaky > 0 {
		suite.Properties = append(suite.Properties, junitProperty{Name: "journeygate.flaky", Value: fmt.Sprint(r.Verdict.Flaky)})
	}
	if !r.StartedAt.IsZero() {
		// The Ant schema's timestamp has no zone; it is UTC.
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	if rr := runReasons(r.Verdict); len(rr) > 0 {
		var msgs []string
		for _, rs := range rr {
			msgs = append(msgs, rs.Message)
		}
		text := strings.Join(msgs, "\n")
		suite.Cases = append(suite.Cases, junitCase{
			Name: "(run)", Classname: "journeygate", Time: seconds(0),
			Error: &junitProblem{Message: oneLine(strings.Join(msgs, "; "), junitMessageRunes), Type: "run", Text: xmlSafe(text)},
		})
	}
	for _, rw := range rows(r) {
		suite.Cases = append(suite.Cases, junitTestcase(rw))
	}
	for _, c := range suite.Cases {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	doc := junitSuites{
		Name: "journeygate", Tests: suite.Tests, Failures: suite.Failures,
		Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time,
		Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitTestcase renders one journey.
func junitTestcase(rw row) junitCase {
	class := "journeygate"
	if t := rw.tier(); t != "" {
		class += "." + string(t)
	}
	c := junitCase{Name: rw.name, Classname: class, Time: seconds(rw.elapsed()), SystemOut: &junitText{Text: xmlSafe(timeline(rw))}}
	if rw.passed() {
		c.FlakyFailures, c.FlakyErrors = reruns(rw)
		return c
	}
	msg := problem(rw)
	if i := failingStep(rw.result); i >= 0 {
		s := rw.result.Steps[i]
		if s.Outcome == journey.SLABreach {
			msg = journey.BreachMessage(s.Elapsed, s.SLA) + ": " + msg
		}
		msg = fmt.Sprintf("%s: %s", stepLabel(i, len(rw.result.Steps), s.Name), msg)
	}
	msg = oneLine(msg, junitMessageRunes)
	switch {
	case !rw.blocking:
		c.Skipped = &junitSkipped{Message: fmt.Sprintf("%s mode, not blocking: %s: %s", orDash(string(rw.mode)), rw.outcome, msg)}
	case rw.outcome == journey.Failed || rw.outcome == journey.SLABreach:
		c.Failure = &junitProblem{Message: msg, Type: string(rw.outcome), Text: xmlSafe(details(rw))}
		c.RerunFailures, c.RerunErrors = reruns(rw)
	default:
		c.Error = &junitProblem{Message: msg, Type: string(orDash(string(rw.outcome))), Text: xmlSafe(details(rw))}
		c.RerunFailures, c.RerunErrors = reruns(rw)
	}
	return c
}

// reruns renders the attempts before the latest that did not pass, split
// into assertion-like ones (failed, sla-breach) and the rest (error).
func reruns(rw row) (failures, errs []junitRerun) {
	for _, a := range rw.earlier {
		msg := fmt.Sprintf("attempt %d: %s: %s", a.Attempt, attemptHeadline(a), attemptMessage(a))
		text := fmt.Sprintf("%s attempt %d: %s\nmessage: %s\n", rw.name, a.Attempt, attemptHeadline(a), attemptMessage(a)) + stepDetails(&a)
		rr := junitRerun{Message: oneLine(msg, junitMessageRunes), Type: string(a.Outcome), StackTrace: junitText{Text: xmlSafe(text)}}
		if a.Outcome == journey.Failed || a.Outcome == journey.SLABreach {
			failures = append(failures, rr)
		} else {
			errs = append(errs, rr)
		}
	}
	return failures, errs
}

// details explains a journey that did not pass: headline, message, then
// every step with outcome, elapsed time, SLA, message and evidence.
func details(rw row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s [%s]\n", rw.name, headline(rw), modeLabel(rw))
	fmt.Fprintf(&b, "message: %s\n", problem(rw))
	if rw.result == nil {
		return b.String()
	}
	if rw.result.Attempt > 1 {
		fmt.Fprintf(&b, "attempt: %d\n", rw.result.Attempt)
	}
	b.WriteString(stepDetails(rw.result))
	return b.String()
}

// stepDetails lists an attempt's steps with outcome, elapsed time, SLA,
// message and evidence.
func stepDetails(res *journey.Result) string {
	var b strings.Builder
	if len(res.Steps) > 0 {
		b.WriteString("\nsteps:\n")
	}
	n := len(res.Steps)
	for i, s := range res.Steps {
		fmt.Fprintf(&b, "  %s\n", stepLine(i, n, s))
		if s.Message != "" {
			fmt.Fprintf(&b, "      message: %s\n", indentLines(s.Message, "               "))
		}
		for _, e := range s.Evidence {
			fmt.Fprintf(&b, "      evidence %s:\n        %s\n", e.Label, indentLines(e.Detail, "        "))
		}
	}
	return b.String()
}

// timeline lists each of a journey's attempts, oldest first: its steps with
// their start offsets, then cleanup.
func timeline(rw row) string {
	if rw.result == nil {
		return fmt.Sprintf("%s: no result recorded\n", rw.name)
	}
	attempts := rw.attempts
	if len(attempts) == 0 {
		attempts = []journey.Result{*rw.result}
	}
	var b strings.Builder
	for i := range attempts {
		attemptTimeline(&b, &attempts[i])
	}
	return b.String()
}

// attemptTimeline writes one attempt's steps and cleanup.
func attemptTimeline(b *strings.Builder, res *journey.Result) {
	fmt.Fprintf(b, "journey %s attempt %d in %s, run %s, %s in %s",
		res.Journey, res.Attempt, orDash(res.Environment), orDash(res.RunID), res.Outcome, dur(res.Elapsed))
	if res.CleanupElapsed > 0 {
		fmt.Fprintf(b, ", cleanup %s", dur(res.CleanupElapsed))
	}
	b.WriteString("\n")
	n := len(res.Steps)
	for i, s := range res.Steps {
		offset := "      -"
		if !s.StartedAt.IsZero() && !res.StartedAt.IsZero() {
			offset = fmt.Sprintf("%+7.3fs", s.StartedAt.Sub(res.StartedAt).Seconds())
		}
		fmt.Fprintf(b, "%s  %s\n", offset, stepLine(i, n, s))
	}
	for _, c := range res.Cleanup {
		status := "ok"
		if c.Error != "" {
			status = "failed: " + oneLine(c.Error, junitMessageRunes)
		}
		fmt.Fprintf(b, "cleanup %s: %s in %s\n", c.Name, status, dur(c.Elapsed))
	}
}

// xmlSafe replaces what XML 1.0 cannot carry (control characters other than
// tab, newline and carriage return; invalid UTF-8; U+FFFE and U+FFFF) with
// U+FFFD. encoding/xml does this for escaped text but not for CDATA.
func xmlSafe(s string) string {
	valid := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !valid(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s { // invalid UTF-8 decodes as U+FFFD
		if !valid(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// indentLines indents every line of s after the first.
func indentLines(s, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}

// seconds renders d as JUnit time: seconds with millisecond precision.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
