package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// at returns a time offset from t0.
func at(d time.Duration) time.Time { return t0.Add(d) }

// ms is shorthand for milliseconds.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// fixture is a run with one journey of every kind: passed (after a retry),
// failed, SLA breach, error, an observe-mode failure and a planned journey
// that recorded no result. Its evidence holds characters XML must escape.
func fixture() Run {
	base := journey.Result{RunID: "run-20250314-0926", Environment: "staging", Owner: "incident-team"}
	mk := func(name string, tier journey.Tier, mode journey.Mode, attempt int, start time.Duration) journey.Result {
		r := base
		r.Journey, r.Tier, r.Mode, r.Attempt, r.StartedAt = name, tier, mode, attempt, at(start)
		return r
	}

	breach := mk("alert-to-notification", journey.TierGlobal, journey.ModeEnforce, 1, 0)
	breachMsg := "awaiting a webhook for run run-20250314-0926: waited 15s, 0 deliveries for this run (2 for other runs)"
	breach.Steps = []journey.StepResult{
		{Name: "alert posted", SLA: 2 * time.Second, StartedAt: at(0), Elapsed: ms(23), Outcome: journey.Passed,
			Evidence: []journey.Evidence{{Label: "POST /api/v2/alerts", Detail: "200 OK"}}},
		{Name: "alert visible", SLA: 5 * time.Second, StartedAt: at(ms(23)), Elapsed: ms(1180), Outcome: journey.Passed},
		{Name: "notification delivered", SLA: 15 * time.Second, StartedAt: at(ms(1203)), Elapsed: ms(15002), Outcome: journey.SLABreach,
			Message: breachMsg,
			Evidence: []journey.Evidence{
				{Label: "last observation", Detail: `sink has 0 notifications matching labels {alertname="JG<run>", team="a&b"}`},
				{Label: "GET /api/v2/alerts?filter=run=\"x\"", Detail: "200 OK\n[{\"labels\":{\"alertname\":\"JG<run>\"},\"status\":{\"state\":\"active\"}}]"},
			}},
	}
	breach.Outcome, breach.Elapsed = journey.SLABreach, ms(16230)
	breach.Message = "step 3/3 (notification delivered): " + breachMsg
	breach.Cleanup = []journey.CleanupResult{{Name: "expire alert", Elapsed: ms(12)}}
	breach.CleanupElapsed = ms(12)

	failed := mk("silence-suppresses-notification", journey.TierDomain, journey.ModeEnforce, 1, ms(5))
	var body strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&body, "line %d of the response & more <tags>\n", i)
	}
	failed.Steps = []journey.StepResult{
		{Name: "silence created", SLA: 2 * time.Second, StartedAt: at(ms(5)), Elapsed: ms(41), Outcome: journey.Passed},
		{Name: "alert posted", SLA: 2 * time.Second, StartedAt: at(ms(46)), Elapsed: ms(35), Outcome: journey.Failed,
			Message: `status 500, want 200: body "internal <error> & more"`,
			Evidence: []journey.Evidence{
				{Label: "POST /api/v2/alerts", Detail: body.String()},
				{Label: "e2", Detail: "two"}, {Label: "e3", Detail: "three"}, {Label: "e4", Detail: "four"},
				{Label: "e5", Detail: "five"}, {Label: "e6", Detail: "six"}, {Label: "control", Detail: "bell\x07 escape\x1b[0m end"},
				{Label: "cdata", Detail: "a]]>b <![CDATA[ c \xff d"},
			}},
		{Name: "no notification", SLA: 10 * time.Second, Outcome: journey.Skipped},
	}
	failed.Outcome, failed.Elapsed = journey.Failed, ms(90)
	failed.Message = "step 2/3 (alert posted): " + failed.Steps[1].Message
	failed.Cleanup = []journey.CleanupResult{{Name: "expire silence", Elapsed: ms(3), Error: "DELETE /api/v2/silence/abc: 404 Not Found"}}
	failed.CleanupElapsed = ms(3)

	flaky := mk("api-health", journey.TierGlobal, journey.ModeEnforce, 1, 0)
	flaky.Steps = []journey.StepResult{{Name: "status ready", SLA: time.Second, StartedAt: at(0), Elapsed: ms(1000), Outcome: journey.Errored, Message: "connection reset by peer"}}
	flaky.Outcome, flaky.Elapsed, flaky.Message = journey.Errored, ms(1001), "step 1/1 (status ready): connection reset by peer"
	// A failed cleanup of an earlier attempt is reported too.
	flaky.Cleanup = []journey.CleanupResult{{Name: "delete probe", Elapsed: ms(10000), Error: "the cleanup budget of 10s ran out; abandoned (it ignored its context)"}}
	flaky.CleanupElapsed = ms(10000)

	healthy := mk("api-health", journey.TierGlobal, journey.ModeEnforce, 2, ms(1500))
	healthy.Steps = []journey.StepResult{{Name: "status ready", SLA: time.Second, StartedAt: at(ms(1500)), Elapsed: ms(8), Outcome: journey.Passed}}
	healthy.Outcome, healthy.Elapsed = journey.Passed, ms(9)

	errored := mk("inhibition", journey.TierDomain, journey.ModeEnforce, 1, ms(2))
	errored.Steps = []journey.StepResult{
		{Name: "source alert posted", SLA: 2 * time.Second, StartedAt: at(ms(2)), Elapsed: ms(4), Outcome: journey.Errored,
			Message: "post alert: dial tcp 127.0.0.1:9093: connect: connection refused"},
		{Name: "target inhibited", SLA: 5 * time.Second, Outcome: journey.Skipped},
	}
	errored.Outcome, errored.Elapsed = journey.Errored, ms(6)
	errored.Message = "step 1/2 (source alert posted): " + errored.Steps[0].Message

	observed := mk("grouping", journey.TierDomain, journey.ModeObserve, 1, ms(3))
	observed.Steps = []journey.StepResult{
		{Name: "alerts posted", SLA: 2 * time.Second, StartedAt: at(ms(3)), Elapsed: ms(30), Outcome: journey.Passed},
		{Name: "one grouped notification", SLA: 20 * time.Second, StartedAt: at(ms(33)), Elapsed: ms(12000), Outcome: journey.Failed,
			Message: "got 2 notifications, want 1 grouped"},
	}
	observed.Outcome, observed.Elapsed = journey.Failed, ms(12040)
	observed.Message = "step 2/2 (one grouped notification): got 2 notifications, want 1 grouped"

	results := []journey.Result{breach, failed, flaky, healthy, errored, observed}
	planned := []gate.Planned{
		{Name: "alert-to-notification", Mode: journey.ModeEnforce},
		{Name: "api-health", Mode: journey.ModeEnforce},
		{Name: "silence-suppresses-notification", Mode: journey.ModeEnforce},
		{Name: "inhibition", Mode: journey.ModeEnforce},
		{Name: "grouping", Mode: journey.ModeObserve},
		{Name: "receiver-routing", Mode: journey.ModeEnforce},
	}
	return Run{
		RunID: "run-20250314-0926", Environment: "staging", StartedAt: t0, Elapsed: ms(17345),
		Results: results,
		Verdict: gate.Decide(gate.Input{Planned: planned, Results: results}),
	}
}

// passingRun is a run where every journey passed.
func passingRun() Run {
	r := journey.Result{
		RunID: "run-ok", Journey: "api-health", Environment: "prod", Tier: journey.TierGlobal, Mode: journey.ModeEnforce,
		Attempt: 1, StartedAt: t0, Elapsed: ms(9), Outcome: journey.Passed,
		Steps: []journey.StepResult{{Name: "status ready", SLA: time.Second, StartedAt: t0, Elapsed: ms(8), Outcome: journey.Passed}},
	}
	results := []journey.Result{r}
	return Run{
		RunID: "run-ok", Environment: "prod", StartedAt: t0, Elapsed: ms(10), Results: results,
		Verdict: gate.Decide(gate.Input{Planned: []gate.Planned{{Name: "api-health", Mode: journey.ModeEnforce}}, Results: results}),
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking the change)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	writers := []struct {
		file  string
		write func(*bytes.Buffer, Run) error
	}{
		{"summary.txt", func(b *bytes.Buffer, r Run) error { return WriteSummary(b, r) }},
		{"run.json", func(b *bytes.Buffer, r Run) error { return WriteJSON(b, r) }},
		{"junit.xml", func(b *bytes.Buffer, r Run) error { return WriteJUnit(b, r) }},
	}
	runs := []struct {
		name string
		run  Run
	}{
		{"failed", fixture()},
		{"passed", passingRun()},
	}
	for _, rn := range runs {
		for _, w := range writers {
			t.Run(rn.name+"/"+w.file, func(t *testing.T) {
				var b bytes.Buffer
				if err := w.write(&b, rn.run); err != nil {
					t.Fatal(err)
				}
				golden(t, rn.name+"."+w.file, b.Bytes())
			})
		}
	}
}

func TestSummary(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSummary(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	wants := []string{
		"JOURNEY ", "TIER ", "MODE ", "OUTCOME ", "DURATION ", "STEP\n",
		"3/3 notification delivered\n",
		"alert-to-notification: sla-breach at step 3/3 (notification delivered) [enforce, blocking]\n",
		"  elapsed: 15.002s (SLA 15s)\n",
		"grouping: failed at step 2/2 (one grouped notification) [observe, not blocking]\n",
		"receiver-routing: error [enforce, blocking]\n  message: no result recorded\n",
		"      … 8 more lines\n",
		"    … 3 more evidence items (see --json or --junit)\n",
		`cleanup "expire silence" failed`,
		// A failed cleanup shows in every attempt, a passing one's too.
		"\napi-health attempt 1: cleanup \"delete probe\" failed (not affecting the outcome): the cleanup budget of 10s ran out; abandoned (it ignored its context)\n",
		"\nVERDICT: Failed — alert-to-notification step 3/3 (notification delivered): sla-breach, took 15.002s, SLA 15s: awaiting a webhook for run run-20250314-0926: waited 15s, 0 deliveries for this run (2 for other runs) (+3 more); 2 cleanups failed: silence-suppresses-notification attempt 1 (expire silence), api-health attempt 1 (delete probe)\n",
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	// api-health passed on its retry: passed-flaky, its earlier attempt
	// named as such, never as a failure.
	for _, w := range []string{
		"api-health                       global  enforce  passed-flaky  9ms       -\n",
		"\napi-health: passed-flaky, passed on attempt 2 [enforce, not blocking]\n  attempt 1: error at step 1/1 (status ready) in 1s (SLA 1s): connection reset by peer\n",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "api-health: error") || strings.Count(out, "connection reset by peer") != 1 {
		t.Errorf("summary shows the superseded attempt of api-health as a failure:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "VERDICT:") != 1 {
		t.Errorf("summary should end with exactly one verdict line:\n%s", out)
	}

	b.Reset()
	if err := WriteSummary(&b, passingRun()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\nVERDICT: Succeeded — 1/1 journey passed\n") {
		t.Errorf("passing summary verdict line wrong:\n%s", b.String())
	}
}

func TestJUnitParsesBack(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("junit output is not well-formed XML: %v\n%s", err, b.String())
	}
	// 6 planned: api-health passed (retry), two failures (sla-breach,
	// failed), two errors (error, no result), one observe skipped.
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 2 || doc.Skipped != 1 {
		t.Errorf("testsuites counts tests/failures/errors/skipped = %d/%d/%d/%d, want 6/2/2/1",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("got %d suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "journeygate" || s.Tests != 6 || s.Failures != 2 || s.Errors != 2 || s.Skipped != 1 || len(s.Cases) != 6 {
		t.Errorf("suite %q counts %d/%d/%d/%d with %d cases, want journeygate 6/2/2/1 with 6",
			s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases))
	}
	if s.Timestamp != "2025-03-14T09:26:53" || s.Time != "17.345" {
		t.Errorf("suite timestamp/time = %q/%q", s.Timestamp, s.Time)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["journeygate.runId"] != "run-20250314-0926" || props["journeygate.environment"] != "staging" || props["journeygate.verdict"] != "Failed" {
		t.Errorf("properties = %v", props)
	}
	cases := map[string]junitCase{}
	for _, c := range s.Cases {
		cases[c.Name] = c
	}

	c := cases["alert-to-notification"]
	if c.Failure == nil || c.Failure.Type != "sla-breach" || c.Classname != "journeygate.global" || c.Time != "16.230" {
		t.Fatalf("alert-to-notification = %+v", c)
	}
	if !strings.HasPrefix(c.Failure.Message, "step 3/3 (notification delivered): took 15.002s") {
		t.Errorf("failure message should name the step: %q", c.Failure.Message)
	}
	// Escaped on the way out, the evidence must come back byte for byte.
	for _, w := range []string{
		`{alertname="JG<run>", team="a&b"}`,
		"evidence GET /api/v2/alerts?filter=run=\"x\":",
		"3/3 notification delivered: sla-breach in 15.002s (SLA 15s)",
		"1/3 alert posted: passed in 23ms (SLA 2s)",
	} {
		if !strings.Contains(c.Failure.Text, w) {
			t.Errorf("failure body lacks %q:\n%s", w, c.Failure.Text)
		}
	}
	if c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, " +1.203s  3/3 notification delivered") {
		t.Errorf("system-out lacks the step timeline: %+v", c.SystemOut)
	}

	c = cases["silence-suppresses-notification"]
	if c.Failure == nil || c.Failure.Type != "failed" ||
		c.Failure.Message != `step 2/3 (alert posted): status 500, want 200: body "internal <error> & more"` {
		t.Errorf("silence failure = %+v", c.Failure)
	}
	if c.Failure != nil && !strings.Contains(c.Failure.Text, "bell\uFFFD escape\uFFFD[0m end") {
		t.Errorf("control characters should be replaced, not dropped or emitted raw:\n%s", c.Failure.Text)
	}
	if c.Failure != nil && !strings.Contains(c.Failure.Text, "a]]>b <![CDATA[ c \uFFFD d") {
		t.Errorf("CDATA terminators must survive and invalid UTF-8 be replaced:\n%s", c.Failure.Text)
	}
	if c = cases["inhibition"]; c.Error == nil || c.Error.Type != "error" || !strings.HasPrefix(c.Error.Message, "step 1/2 (source alert posted): ") {
		t.Errorf("inhibition = %+v", c.Error)
	}
	if c = cases["receiver-routing"]; c.Error == nil || c.Error.Message != "no result recorded" || c.Classname != "journeygate" {
		t.Errorf("receiver-routing = %+v / %+v", c, c.Error)
	}
	if c = cases["grouping"]; c.Skipped == nil || c.Failure != nil ||
		c.Skipped.Message != "observe mode, not blocking: failed: step 2/2 (one grouped notification): got 2 notifications, want 1 grouped" {
		t.Errorf("grouping = %+v / %+v", c, c.Skipped)
	}
	if c = cases["api-health"]; c.Failure != nil || c.Error != nil || c.Skipped != nil || c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "attempt 2") {
		t.Errorf("api-health should pass on its latest attempt: %+v", c)
	}
}

func TestJUnitRunProblems(t *testing.T) {
	r := passingRun()
	r.Verdict = gate.Decide(gate.Input{Fault: "States.Runtime: map state failed <&>", Results: r.Results})
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// The fault and the empty plan make one "(run)" error; api-health was
	// not planned, so the gate did not judge it, and it still passed.
	if doc.Tests != 2 || doc.Errors != 1 || doc.Failures != 0 {
		t.Fatalf("counts tests/errors/failures = %d/%d/%d, want 2/1/0\n%s", doc.Tests, doc.Errors, doc.Failures, b.String())
	}
	c := doc.Suites[0].Cases[0]
	if c.Name != "(run)" || c.Error == nil || c.Error.Type != "run" ||
		c.Error.Message != "run fault: States.Runtime: map state failed <&>; "+"no journeys were planned: a gate that checks nothing cannot pass" {
		t.Errorf("run case = %+v / %+v", c, c.Error)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := fixture()
	var b bytes.Buffer
	if err := WriteJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"elapsed": 17345000000`) {
		t.Errorf("run elapsed should be nanoseconds:\n%.400s", b.String())
	}
	if !strings.Contains(b.String(), `JG<run>`) {
		t.Error("JSON should not HTML-escape evidence")
	}
	var out Run
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.RunID != in.RunID || len(out.Results) != len(in.Results) || out.Verdict.Summary != in.Verdict.Summary ||
		out.Results[0].Steps[2].Elapsed != ms(15002) || !out.StartedAt.Equal(in.StartedAt) {
		t.Errorf("round trip lost data: %+v", out)
	}
}

func TestSummaryIsTerminalSafe(t *testing.T) {
	r := fixture()
	r.Results[0].Steps[2].Message = "boom\x1b[2J\x1b]0;owned\x07 done"
	r.Results[0].Steps[2].Evidence[0].Detail = "evil\x1b[31m red \xff\r\nnext line"
	r.Verdict = gate.Decide(gate.Input{Planned: []gate.Planned{{Name: "alert-to-notification", Mode: journey.ModeEnforce}}, Results: r.Results})
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\r") || !utf8.ValidString(out) {
		t.Errorf("summary passes control characters or invalid UTF-8 to the terminal:\n%q", out)
	}
	for _, w := range []string{`boom\x1b[2J\x1b]0;owned\x07 done`, "      evil\\x1b[31m red \\xff\n      next line\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
}

// A breach by under half a millisecond reads as over its SLA in the
// summary's elapsed line, to the millisecond as the verdict line does
// (gate's TestExplainBreachJustOverItsSLA).
func TestSummaryBreachJustOverItsSLA(t *testing.T) {
	r := fixture()
	for i, res := range r.Results {
		if res.Journey == "alert-to-notification" {
			s := &r.Results[i].Steps[len(res.Steps)-1]
			s.SLA, s.Elapsed = 10*time.Second, 10*time.Second+411*time.Microsecond
		}
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	if want := "  elapsed: 10.001s (SLA 10s)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}
