package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// step builds a step result.
func step(name string, o journey.Outcome, elapsed, sla time.Duration, msg string) journey.StepResult {
	return journey.StepResult{Name: name, Outcome: o, Elapsed: elapsed, SLA: sla, Message: msg}
}

func passed(name string) journey.Result {
	return journey.Result{
		Journey: name, Attempt: 1, Outcome: journey.Passed, Mode: journey.ModeEnforce,
		Steps: []journey.StepResult{
			step("first", journey.Passed, 10*time.Millisecond, time.Second, ""),
			step("second", journey.Passed, 20*time.Millisecond, time.Second, ""),
		},
	}
}

func failedAt(name string, o journey.Outcome, msg string) journey.Result {
	return journey.Result{
		Journey: name, Attempt: 1, Outcome: o, Mode: journey.ModeEnforce,
		Message: "step 2/3 (incident created): " + msg,
		Steps: []journey.StepResult{
			step("alert posted", journey.Passed, 23*time.Millisecond, 2*time.Second, ""),
			step("incident created", o, 1500*time.Millisecond, 5*time.Second, msg),
			step("notification delivered", journey.Skipped, 0, 15*time.Second, ""),
		},
	}
}

func slaBreach(name string) journey.Result {
	msg := "no webhook for run r-1"
	return journey.Result{
		Journey: name, Attempt: 1, Outcome: journey.SLABreach, Mode: journey.ModeEnforce,
		Message: "step 3/3 (notification delivered): " + msg,
		Steps: []journey.StepResult{
			step("alert posted", journey.Passed, 23*time.Millisecond, 2*time.Second, ""),
			step("incident created", journey.Passed, 1200*time.Millisecond, 5*time.Second, ""),
			step("notification delivered", journey.SLABreach, 15002*time.Millisecond, 15*time.Second, msg),
		},
	}
}

func attempt(r journey.Result, n int) journey.Result {
	r.Attempt = n
	return r
}

func enforce(names ...string) []Planned {
	var out []Planned
	for _, n := range names {
		out = append(out, Planned{Name: n, Mode: journey.ModeEnforce})
	}
	return out
}

func TestDecide(t *testing.T) {
	observe := func(n string) Planned { return Planned{Name: n, Mode: journey.ModeObserve} }
	type want struct {
		status   Status
		summary  string // exact
		reasons  []Reason
		passed   int
		blocking int
		observed int
	}
	tests := []struct {
		name string
		in   Input
		want want
	}{
		{
			name: "all enforce passed",
			in: Input{
				Planned: enforce("a", "b", "c", "d"),
				Results: []journey.Result{passed("a"), passed("b"), passed("c"), passed("d")},
			},
			want: want{status: Succeeded, summary: "Succeeded: 4/4 journeys passed", passed: 4},
		},
		{
			name: "single journey passed uses singular",
			in:   Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}},
			want: want{status: Succeeded, summary: "Succeeded: 1/1 journey passed", passed: 1},
		},
		{
			name: "empty plan fails",
			in:   Input{Results: []journey.Result{passed("a")}},
			want: want{
				status:  Failed,
				summary: "Failed: no journeys were planned: a gate that checks nothing cannot pass",
				reasons: []Reason{{Outcome: journey.Errored, Blocking: true, Message: msgEmptyPlan}},
			},
		},
		{
			name: "fault forces failed even when everything passed",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{passed("a")},
				Fault:   "States.TaskFailed: runner lambda timed out",
			},
			want: want{
				status:  Failed,
				summary: "Failed: run fault: States.TaskFailed: runner lambda timed out",
				reasons: []Reason{{Outcome: journey.Errored, Blocking: true, Message: "run fault: States.TaskFailed: runner lambda timed out"}},
				passed:  1,
			},
		},
		{
			name: "fault and empty plan both reported, fault first",
			in:   Input{Fault: "store unreadable"},
			want: want{
				status:  Failed,
				summary: "Failed: run fault: store unreadable (+1 more)",
				reasons: []Reason{
					{Outcome: journey.Errored, Blocking: true, Message: "run fault: store unreadable"},
					{Outcome: journey.Errored, Blocking: true, Message: msgEmptyPlan},
				},
			},
		},
		{
			name: "enforced failure blocks and names the step",
			in: Input{
				Planned: enforce("a", "b"),
				Results: []journey.Result{passed("a"), failedAt("b", journey.Failed, "status 500 want 201")},
			},
			want: want{
				status:  Failed,
				summary: "Failed: b step 2/3 (incident created): failed: status 500 want 201",
				reasons: []Reason{{
					Journey: "b", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true,
					Step: "incident created", StepIndex: 2, StepCount: 3,
					SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "status 500 want 201",
				}},
				passed: 1, blocking: 1,
			},
		},
		{
			name: "enforced sla breach blocks with timing in the summary",
			in: Input{
				Planned: enforce("alert-to-notification"),
				Results: []journey.Result{slaBreach("alert-to-notification")},
			},
			want: want{
				status:  Failed,
				summary: "Failed: alert-to-notification step 3/3 (notification delivered): sla-breach, took 15.002s, SLA 15s: no webhook for run r-1",
				reasons: []Reason{{
					Journey: "alert-to-notification", Mode: journey.ModeEnforce, Outcome: journey.SLABreach, Blocking: true,
					Step: "notification delivered", StepIndex: 3, StepCount: 3,
					SLA: 15 * time.Second, Elapsed: 15002 * time.Millisecond,
					Message: "no webhook for run r-1",
				}},
				blocking: 1,
			},
		},
		{
			name: "enforced error blocks",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{failedAt("a", journey.Errored, "dial tcp: connection refused")},
			},
			want: want{
				status:  Failed,
				summary: "Failed: a step 2/3 (incident created): error: dial tcp: connection refused",
				reasons: []Reason{{
					Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Errored, Blocking: true,
					Step: "incident created", StepIndex: 2, StepCount: 3,
					SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "dial tcp: connection refused",
				}},
				blocking: 1,
			},
		},
		{
			name: "missing enforced result blocks",
			in:   Input{Planned: enforce("a", "b"), Results: []journey.Result{passed("a")}},
			want: want{
				status:  Failed,
				summary: "Failed: b: error: no result recorded",
				reasons: []Reason{{Journey: "b", Mode: journey.ModeEnforce, Outcome: journey.Errored, Blocking: true, Message: msgNoResult}},
				passed:  1, blocking: 1,
			},
		},
		{
			name: "missing observe result does not block",
			in:   Input{Planned: []Planned{{Name: "a", Mode: journey.ModeEnforce}, observe("b")}, Results: []journey.Result{passed("a")}},
			want: want{
				status:  Succeeded,
				summary: "Succeeded: 1/2 journeys passed; 1 observe-mode journey failed (not blocking)",
				reasons: []Reason{{Journey: "b", Mode: journey.ModeObserve, Outcome: journey.Errored, Message: msgNoResult}},
				passed:  1, observed: 1,
			},
		},
		{
			name: "observe failures never block",
			in: Input{
				Planned: []Planned{{Name: "a", Mode: journey.ModeEnforce}, observe("b"), observe("c")},
				Results: []journey.Result{passed("a"), failedAt("b", journey.Failed, "boom"), slaBreach("c")},
			},
			want: want{
				status:  Succeeded,
				summary: "Succeeded: 1/3 journeys passed; 2 observe-mode journeys failed (not blocking)",
				reasons: []Reason{
					{
						Journey: "b", Mode: journey.ModeObserve, Outcome: journey.Failed,
						Step: "incident created", StepIndex: 2, StepCount: 3,
						SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "boom",
					},
					{
						Journey: "c", Mode: journey.ModeObserve, Outcome: journey.SLABreach,
						Step: "notification delivered", StepIndex: 3, StepCount: 3,
						SLA: 15 * time.Second, Elapsed: 15002 * time.Millisecond,
						Message: "no webhook for run r-1",
					},
				},
				passed: 1, observed: 2,
			},
		},
		{
			name: "planned mode governs, not the result's mode",
			in: Input{
				Planned: []Planned{observe("a")},
				Results: []journey.Result{failedAt("a", journey.Failed, "boom")}, // result says enforce
			},
			want: want{
				status:  Succeeded,
				summary: "Succeeded: 0/1 journey passed; 1 observe-mode journey failed (not blocking)",
				reasons: []Reason{{
					Journey: "a", Mode: journey.ModeObserve, Outcome: journey.Failed,
					Step: "incident created", StepIndex: 2, StepCount: 3,
					SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "boom",
				}},
				observed: 1,
			},
		},
		{
			name: "blocking reasons come first, then planned order",
			in: Input{
				Planned: []Planned{observe("o1"), {Name: "e1", Mode: journey.ModeEnforce}, observe("o2"), {Name: "e2", Mode: journey.ModeEnforce}},
				Results: []journey.Result{failedAt("o1", journey.Failed, "x"), failedAt("e1", journey.Failed, "y")},
			},
			want: want{
				status:  Failed,
				summary: "Failed: e1 step 2/3 (incident created): failed: y (+1 more)",
				reasons: []Reason{
					{Journey: "e1", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "y"},
					{Journey: "e2", Mode: journey.ModeEnforce, Outcome: journey.Errored, Blocking: true, Message: msgNoResult},
					{Journey: "o1", Mode: journey.ModeObserve, Outcome: journey.Failed, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "x"},
					{Journey: "o2", Mode: journey.ModeObserve, Outcome: journey.Errored, Message: msgNoResult},
				},
				blocking: 2, observed: 2,
			},
		},
		{
			name: "latest attempt wins: retry passed",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{attempt(passed("a"), 2), attempt(failedAt("a", journey.Errored, "flake"), 1)},
			},
			want: want{status: Succeeded, summary: "Succeeded: 1/1 journey passed (1 flaky: a passed on attempt 2 after error at step 2/3 (incident created))", passed: 1},
		},
		{
			name: "latest attempt wins: retry failed after an earlier pass",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{attempt(passed("a"), 1), attempt(failedAt("a", journey.Failed, "second try"), 2)},
			},
			want: want{
				status:   Failed,
				summary:  "Failed: a step 2/3 (incident created): failed on attempt 2: second try",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "second try", Attempt: 2}},
				blocking: 1,
			},
		},
		{
			name: "unplanned results are ignored",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{passed("a"), failedAt("stray", journey.Failed, "not planned")},
			},
			want: want{status: Succeeded, summary: "Succeeded: 1/1 journey passed", passed: 1},
		},
		{
			name: "unplanned passing result does not satisfy a missing one",
			in:   Input{Planned: enforce("a"), Results: []journey.Result{passed("other")}},
			want: want{
				status:   Failed,
				summary:  "Failed: a: error: no result recorded",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Errored, Blocking: true, Message: msgNoResult}},
				blocking: 1,
			},
		},
		{
			name: "empty planned mode is enforced",
			in:   Input{Planned: []Planned{{Name: "a"}}, Results: []journey.Result{failedAt("a", journey.Failed, "boom")}},
			want: want{
				status:   Failed,
				summary:  "Failed: a step 2/3 (incident created): failed: boom",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "boom"}},
				blocking: 1,
			},
		},
		{
			name: "duplicate plan entries count once, enforce wins",
			in: Input{
				Planned: []Planned{observe("a"), {Name: "a", Mode: journey.ModeEnforce}},
				Results: []journey.Result{failedAt("a", journey.Failed, "boom")},
			},
			want: want{
				status:   Failed,
				summary:  "Failed: a step 2/3 (incident created): failed: boom",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "boom"}},
				blocking: 1,
			},
		},
		{
			name: "passed outcome with a failed step is not a pass",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{func() journey.Result {
					r := failedAt("a", journey.Failed, "boom")
					r.Outcome, r.Message = journey.Passed, ""
					return r
				}()},
			},
			want: want{
				status:   Failed,
				summary:  "Failed: a step 2/3 (incident created): failed: boom",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "boom"}},
				blocking: 1,
			},
		},
		{
			name: "unknown outcome counts as error",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{{Journey: "a", Attempt: 1, Outcome: "exploded"}},
			},
			want: want{
				status:   Failed,
				summary:  `Failed: a: error: unrecognised outcome "exploded"`,
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Errored, Blocking: true, Message: `unrecognised outcome "exploded"`}},
				blocking: 1,
			},
		},
		{
			name: "error before any step uses the result message",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{{Journey: "a", Attempt: 1, Outcome: journey.Errored, Message: "runner panicked: nil map"}},
			},
			want: want{
				status:   Failed,
				summary:  "Failed: a: error: runner panicked: nil map",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Errored, Blocking: true, Message: "runner panicked: nil map"}},
				blocking: 1,
			},
		},
		{
			name: "step without message falls back to the result message",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{func() journey.Result {
					r := failedAt("a", journey.Failed, "")
					r.Message = "step 2/3 (incident created): from result"
					return r
				}()},
			},
			want: want{
				status:   Failed,
				summary:  "Failed: a step 2/3 (incident created): failed: step 2/3 (incident created): from result",
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "step 2/3 (incident created): from result"}},
				blocking: 1,
			},
		},
		{
			name: "multi-line message keeps the summary on one line",
			in: Input{
				Planned: enforce("a"),
				Results: []journey.Result{failedAt("a", journey.Failed, "status 500\nbody:\n  {\"error\": \"db\"}")},
			},
			want: want{
				status:   Failed,
				summary:  `Failed: a step 2/3 (incident created): failed: status 500 body: {"error": "db"}`,
				reasons:  []Reason{{Journey: "a", Mode: journey.ModeEnforce, Outcome: journey.Failed, Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3, SLA: 5 * time.Second, Elapsed: 1500 * time.Millisecond, Message: "status 500\nbody:\n  {\"error\": \"db\"}"}},
				blocking: 1,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.in)
			if got.Status != tt.want.status {
				t.Errorf("Status = %s, want %s", got.Status, tt.want.status)
			}
			if got.Summary != tt.want.summary {
				t.Errorf("Summary =\n  %q\nwant\n  %q", got.Summary, tt.want.summary)
			}
			if len(got.Reasons) != len(tt.want.reasons) {
				t.Fatalf("got %d reasons, want %d: %+v", len(got.Reasons), len(tt.want.reasons), got.Reasons)
			}
			for i := range got.Reasons {
				if got.Reasons[i] != tt.want.reasons[i] {
					t.Errorf("Reasons[%d] =\n  %+v\nwant\n  %+v", i, got.Reasons[i], tt.want.reasons[i])
				}
			}
			if got.Passed != tt.want.passed || got.Blocking != tt.want.blocking || got.Observed != tt.want.observed {
				t.Errorf("counts passed/blocking/observed = %d/%d/%d, want %d/%d/%d",
					got.Passed, got.Blocking, got.Observed, tt.want.passed, tt.want.blocking, tt.want.observed)
			}
			if strings.Contains(got.Summary, "\n") {
				t.Errorf("Summary spans lines: %q", got.Summary)
			}
		})
	}
}

func TestDecideIsPureAndDeterministic(t *testing.T) {
	in := Input{
		Planned: []Planned{{Name: "a", Mode: journey.ModeEnforce}, {Name: "b", Mode: journey.ModeObserve}},
		Results: []journey.Result{failedAt("a", journey.Failed, "x"), slaBreach("b")},
	}
	before := len(in.Results)
	first := Decide(in)
	for range 10 {
		again := Decide(in)
		if again.Summary != first.Summary || len(again.Reasons) != len(first.Reasons) {
			t.Fatalf("verdict changed between calls: %+v vs %+v", again, first)
		}
	}
	if len(in.Results) != before || in.Results[0].Journey != "a" {
		t.Fatal("Decide modified its input")
	}
}

func TestSummaryBounded(t *testing.T) {
	// The middle is cut: the start (what failed where) and the end (a
	// wrapped error's cause) both survive.
	long := "connection refused: " + strings.Repeat("x", 5000) + ": the end"
	v := Decide(Input{Planned: enforce("a"), Results: []journey.Result{failedAt("a", journey.Failed, long)}})
	if n := len([]rune(v.Summary)); n > maxSummary {
		t.Fatalf("summary has %d runes, want at most %d", n, maxSummary)
	}
	if !strings.Contains(v.Summary, ": connection refused: xxx") || !strings.Contains(v.Summary, "x … x") || !strings.HasSuffix(v.Summary, "x: the end") {
		t.Fatalf("truncated summary should keep its start and end around a cut: %q", v.Summary)
	}
	v = Decide(Input{Planned: enforce("a", "b"), Results: []journey.Result{failedAt("a", journey.Failed, long)}})
	if n := len([]rune(v.Summary)); n > maxSummary {
		t.Fatalf("summary has %d runes, want at most %d", n, maxSummary)
	}
	if !strings.HasSuffix(v.Summary, "x: the end (+1 more)") || !strings.Contains(v.Summary, "connection refused") {
		t.Fatalf("truncation must keep the cause and the count of other blockers: %q", v.Summary)
	}
}

func TestLatestAttempts(t *testing.T) {
	got := LatestAttempts([]journey.Result{
		attempt(passed("a"), 1),
		attempt(passed("b"), 3),
		attempt(failedAt("a", journey.Failed, "x"), 3),
		attempt(failedAt("b", journey.Failed, "older"), 2),
		attempt(failedAt("a", journey.Errored, "tie, later wins"), 3),
	})
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2", len(got))
	}
	if got[0].Journey != "a" || got[0].Outcome != journey.Errored {
		t.Errorf("a: got %s attempt %d, want the later attempt 3 (error)", got[0].Outcome, got[0].Attempt)
	}
	if got[1].Journey != "b" || got[1].Attempt != 3 || got[1].Outcome != journey.Passed {
		t.Errorf("b: got %s attempt %d, want attempt 3 passed", got[1].Outcome, got[1].Attempt)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		name  string
		in    Input
		wants []string
		nots  []string
	}{
		{
			name: "failed names journey, mode, blocking, step, outcome, timing and message",
			in: Input{
				Planned: []Planned{{Name: "alert-to-notification", Mode: journey.ModeEnforce}, {Name: "silence", Mode: journey.ModeObserve}},
				Results: []journey.Result{slaBreach("alert-to-notification"), failedAt("silence", journey.Failed, "line one\nline two")},
			},
			wants: []string{
				"Failed: alert-to-notification step 3/3 (notification delivered): sla-breach, took 15.002s, SLA 15s: no webhook for run r-1\n",
				"status Failed: 0 passed, 1 blocking, 1 observe-mode not passed\n",
				"alert-to-notification [enforce, BLOCKING]\n",
				"  step:    3/3 (notification delivered)\n",
				"  outcome: sla-breach\n",
				"  elapsed: 15.002s (SLA 15s)\n",
				"  message: no webhook for run r-1\n",
				"silence [observe, not blocking]\n",
				"  step:    2/3 (incident created)\n",
				"  elapsed: 1.5s (SLA 5s)\n",
				"  message: line one\n           line two\n",
			},
		},
		{
			name: "missing result has no step line",
			in:   Input{Planned: enforce("a")},
			wants: []string{
				"Failed: a: error: no result recorded\n",
				"a [enforce, BLOCKING]\n  outcome: error\n  message: no result recorded\n",
			},
			nots: []string{"step:", "elapsed:"},
		},
		{
			name:  "fault is reported as the run",
			in:    Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}, Fault: "orchestration crashed"},
			wants: []string{"Failed: run fault: orchestration crashed\n", "(run) [BLOCKING]\n", "  message: run fault: orchestration crashed\n"},
		},
		{
			name:  "succeeded has only the status lines",
			in:    Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}},
			wants: []string{"Succeeded: 1/1 journey passed\nstatus Succeeded: 1 passed, 0 blocking, 0 observe-mode not passed\n"},
			nots:  []string{"[", "message:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.in).Explain()
			for _, w := range tt.wants {
				if !strings.Contains(got, w) {
					t.Errorf("Explain() lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.nots {
				if strings.Contains(got, n) {
					t.Errorf("Explain() should not contain %q:\n%s", n, got)
				}
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{1500 * time.Nanosecond, "2µs"},
		{23*time.Millisecond + 400*time.Microsecond, "23ms"},
		{15002 * time.Millisecond, "15.002s"},
		{90 * time.Second, "1m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDuration(tt.in); got != tt.want {
				t.Errorf("FormatDuration(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// A breach by under half a millisecond reads as over its SLA in the
// verdict and in the elapsed line alike, both to the millisecond, never
// "elapsed: 10s (SLA 10s)".
func TestExplainBreachJustOverItsSLA(t *testing.T) {
	r := slaBreach("a")
	r.Steps[2].SLA = 10 * time.Second
	r.Steps[2].Elapsed = 10*time.Second + 411*time.Microsecond
	out := Decide(Input{Planned: enforce("a"), Results: []journey.Result{r}}).Explain()
	for _, want := range []string{"sla-breach, took 10.001s, SLA 10s", "  elapsed: 10.001s (SLA 10s)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
}
