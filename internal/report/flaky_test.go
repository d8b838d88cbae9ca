package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// retriedRun has a journey that passed on its second attempt after an
// error (flaky), and one that errored, then failed an assertion on its
// retry (blocking, after a retry).
func retriedRun() Run {
	mk := func(name string, attempt int, o journey.Outcome, msg string) journey.Result {
		r := journey.Result{
			RunID: "run-r", Journey: name, Environment: "local", Tier: journey.TierGlobal, Mode: journey.ModeEnforce,
			Attempt: attempt, StartedAt: at(time.Duration(attempt) * time.Second), Elapsed: ms(40), Outcome: o,
			Steps: []journey.StepResult{{Name: "alert accepted", SLA: 3 * time.Second, StartedAt: at(time.Duration(attempt) * time.Second), Elapsed: ms(30), Outcome: o, Message: msg}},
		}
		if o != journey.Passed {
			r.Message = "step 1/1 (alert accepted): " + msg
		}
		return r
	}
	results := []journey.Result{
		mk("alert-grouping", 1, journey.Errored, "POST /api/v2/alerts: status 503"),
		mk("alert-grouping", 2, journey.Passed, ""),
		mk("resolve-lifecycle", 1, journey.Errored, "connection refused"),
		mk("resolve-lifecycle", 2, journey.Failed, "status 400, want 200"),
	}
	planned := []gate.Planned{{Name: "alert-grouping", Mode: journey.ModeEnforce}, {Name: "resolve-lifecycle", Mode: journey.ModeEnforce}}
	return Run{RunID: "run-r", Environment: "local", StartedAt: t0, Elapsed: ms(3000), Results: results,
		Verdict: gate.Decide(gate.Input{Planned: planned, Results: results})}
}

// flakyRun is retriedRun without the failing journey: Succeeded with one flake.
func flakyRun() Run {
	r := retriedRun()
	r.Results = r.Results[:2]
	r.Verdict = gate.Decide(gate.Input{Planned: []gate.Planned{{Name: "alert-grouping", Mode: journey.ModeEnforce}}, Results: r.Results})
	return r
}

func TestJUnitFlakyIsAPassWithSurefireReruns(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, flakyRun()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, b.String())
	}
	if doc.Tests != 1 || doc.Failures != 0 || doc.Errors != 0 || doc.Skipped != 0 {
		t.Errorf("counts tests/failures/errors/skipped %d/%d/%d/%d, want 1/0/0/0: a flaky pass is no failure", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	c := doc.Suites[0].Cases[0]
	if c.Failure != nil || c.Error != nil || c.Skipped != nil || len(c.RerunFailures)+len(c.RerunErrors)+len(c.FlakyFailures) != 0 {
		t.Errorf("flaky testcase %+v must pass", c)
	}
	if len(c.FlakyErrors) != 1 || c.FlakyErrors[0].Type != "error" ||
		c.FlakyErrors[0].Message != "attempt 1: error at step 1/1 (alert accepted): POST /api/v2/alerts: status 503" ||
		!strings.Contains(c.FlakyErrors[0].StackTrace.Text, "1/1 alert accepted: error in 30ms (SLA 3s)") {
		t.Errorf("flakyError %+v", c.FlakyErrors)
	}
	if c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "attempt 1 in local, run run-r, error") || !strings.Contains(c.SystemOut.Text, "attempt 2 in local, run run-r, passed") {
		t.Errorf("system-out should show both attempts: %+v", c.SystemOut)
	}
	props := map[string]string{}
	for _, p := range doc.Suites[0].Properties {
		props[p.Name] = p.Value
	}
	if props["journeygate.flaky"] != "1" || !strings.Contains(props["journeygate.summary"], "1 flaky: alert-grouping passed on attempt 2 after error at step 1/1 (alert accepted)") {
		t.Errorf("properties %v", props)
	}
	// Surefire's schema orders flakyError after skipped and error; the raw
	// XML must follow it for strict readers.
	out := b.String()
	if i, j := strings.Index(out, "<flakyError"), strings.Index(out, "<system-out"); i < 0 || j < i {
		t.Errorf("flakyError must come before system-out:\n%s", out)
	}
}

func TestJUnitFailureAfterRetryCarriesReruns(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, retriedRun()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 2 || doc.Failures != 1 || doc.Errors != 0 {
		t.Errorf("counts tests/failures/errors %d/%d/%d, want 2/1/0", doc.Tests, doc.Failures, doc.Errors)
	}
	var c junitCase
	for _, tc := range doc.Suites[0].Cases {
		if tc.Name == "resolve-lifecycle" {
			c = tc
		}
	}
	if c.Failure == nil || c.Failure.Type != "failed" || len(c.RerunErrors) != 1 || len(c.FlakyErrors) != 0 ||
		c.RerunErrors[0].Message != "attempt 1: error at step 1/1 (alert accepted): connection refused" {
		t.Errorf("resolve-lifecycle %+v / reruns %+v", c.Failure, c.RerunErrors)
	}
	if !strings.Contains(c.Failure.Text, "attempt: 2") {
		t.Errorf("failure body should say which attempt failed:\n%s", c.Failure.Text)
	}
}

func TestSummaryShowsClassesAndEarlierAttempts(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSummary(&b, retriedRun()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{
		"alert-grouping     global  enforce  passed-flaky  40ms      -\n",
		"resolve-lifecycle  global  enforce  failed        40ms      1/1 alert accepted\n",
		"\nalert-grouping: passed-flaky, passed on attempt 2 [enforce, not blocking]\n  attempt 1: error at step 1/1 (alert accepted) in 30ms (SLA 3s): POST /api/v2/alerts: status 503\n",
		"\nresolve-lifecycle: failed at step 1/1 (alert accepted) [enforce, blocking] (attempt 2)\n  message: status 400, want 200\n  attempt 1: error at step 1/1 (alert accepted) in 30ms (SLA 3s): connection refused\n",
		"VERDICT: Failed — resolve-lifecycle step 1/1 (alert accepted): failed on attempt 2: status 400, want 200\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	b.Reset()
	if err := WriteSummary(&b, flakyRun()); err != nil {
		t.Fatal(err)
	}
	if want := "VERDICT: Succeeded — 1/1 journey passed (1 flaky: alert-grouping passed on attempt 2 after error at step 1/1 (alert accepted))\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("summary should end with %q:\n%s", want, b.String())
	}
}

func TestJSONListsEachJourneysClass(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, retriedRun()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Results  []journey.Result `json:"results"`
		Journeys []JourneyClass   `json:"journeys"`
		Verdict  gate.Verdict     `json:"verdict"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []JourneyClass{
		{Journey: "alert-grouping", Mode: journey.ModeEnforce, Class: journey.PassedFlaky, Attempts: 2},
		{Journey: "resolve-lifecycle", Mode: journey.ModeEnforce, Class: journey.Failed, Attempts: 2, Blocking: true},
	}
	if len(got.Journeys) != len(want) || got.Journeys[0] != want[0] || got.Journeys[1] != want[1] {
		t.Errorf("journeys %+v, want %+v", got.Journeys, want)
	}
	if len(got.Results) != 4 || got.Verdict.Flaky != 1 {
		t.Errorf("JSON keeps %d results (want every attempt, 4) and %d flaky (want 1)", len(got.Results), got.Verdict.Flaky)
	}
}

// attemptEvents returns the events of one attempt of a one-step journey.
func attemptEvents(name string, attempt int, o journey.Outcome) []journey.Event {
	sr := journey.StepResult{Name: "step a", SLA: 2 * time.Second, Elapsed: ms(23), Outcome: o}
	if o != journey.Passed {
		sr.Message = "connection refused"
	}
	res := journey.Result{Journey: name, Attempt: attempt, Outcome: o, Elapsed: ms(30), Steps: []journey.StepResult{sr}}
	return []journey.Event{
		{Kind: journey.JourneyStarted, Journey: name, Attempt: attempt, StepCount: 1},
		{Kind: journey.StepStarted, Journey: name, Attempt: attempt, StepCount: 1, StepName: "step a"},
		{Kind: journey.StepFinished, Journey: name, Attempt: attempt, StepCount: 1, StepName: "step a", Step: &sr},
		{Kind: journey.JourneyFinished, Journey: name, Attempt: attempt, StepCount: 1, Result: &res},
	}
}

func TestProgressShowsRetries(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false)
	for _, e := range append(attemptEvents("j", 1, journey.Errored), attemptEvents("j", 2, journey.Passed)...) {
		p.Observe(e)
	}
	want := strings.Join([]string{
		"start j (1 step)",
		"  ERR  j 1/1 step a: error (23ms, SLA 2s): connection refused",
		"done  j error in 30ms",
		"retry j: attempt 2 after error (1 step)",
		"  ok   j 1/1 step a (23ms, SLA 2s)",
		"done  j passed-flaky in 30ms (attempt 2)",
	}, "\n") + "\n"
	if b.String() != want {
		t.Errorf("plain progress\n%s\nwant\n%s", b.String(), want)
	}

	var live syncBuffer
	lp := NewProgress(&live, true, WithWidth(200))
	evs := append(attemptEvents("j", 1, journey.Errored), attemptEvents("j", 2, journey.Passed)...)
	for _, e := range evs[:6] { // attempt 2 is running its step
		lp.Observe(e)
	}
	if mid := live.String(); !strings.Contains(mid, "1/1 step a (") || !strings.Contains(mid, ", attempt 2 after error") {
		t.Errorf("live line should show the retry running:\n%q", mid)
	}
	for _, e := range evs[6:] {
		lp.Observe(e)
	}
	lp.Stop()
	out := live.String()
	if last := out[strings.LastIndex(out, "\r\x1b[2K"):]; !strings.HasPrefix(last, "\r\x1b[2Kok   j  passed-flaky in 30ms (attempt 2)") {
		t.Errorf("final live line %q", last)
	}
}
