package costmodel

import (
	"math"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

var testPoll = poll.Backoff{First: 10 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2}

func TestPollsWithin(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want int
	}{
		{0, 1},                      // found by the first read
		{10 * time.Millisecond, 2},  // reads at 0 and 10 ms
		{35 * time.Millisecond, 4},  // 0, 10, 30, 70 ms
		{time.Second, 14},           // 0, 10, 30, 70, 150, then every 100 ms to 1050
		{150 * time.Millisecond, 5}, // 0, 10, 30, 70, 150 ms
	}
	for _, tt := range tests {
		if got := PollsWithin(tt.wait, testPoll); got != tt.want {
			t.Errorf("PollsWithin(%s) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.10g, want %.10g", what, got, want)
	}
}

// TestArithmetic works one scheduled run of one journey out by hand.
func TestArithmetic(t *testing.T) {
	m := Defaults(Memory{Hook: 256, Runner: 512, Gate: 256, Sink: 256}, testPoll)
	j := JourneyRun{Name: "j", Duration: 2 * time.Second, Attempts: 1, ResultBytes: 3000, Deliveries: 1, DeliveryBytes: 800, LogBytes: 650}
	r := Run{Trigger: Schedule, Journeys: []JourneyRun{j}, Transitions: 5, Elapsed: 2350 * time.Millisecond, RunItemBytes: 1500, LogBytes: 2000}
	e := m.Standard(r)

	// The journey: the runner (0.5 GB for 2 s) and the sink (0.25 GB for
	// 20 ms), one request each; one transition; its result (3 KB in the
	// table, a keys-only entry of 1 unit in each of 4 indexes) and its
	// delivery (1 KB); the runner's 2 reads and 1 sink poll; 650 bytes of
	// logs and 2 × 350 of platform log.
	lambda := 2*0.20/1e6 + 0.5*2*0.0000133334 + 0.25*0.020*0.0000133334
	dynamo := (3+4+1)*0.625/1e6 + (2+1)*0.125/1e6
	logs := (650 + 2*350) / 1e9 * 0.50
	near(t, "journey Lambda", e.JourneyRuns.Lambda, lambda)
	near(t, "journey DynamoDB", e.JourneyRuns.DynamoDB, dynamo)
	near(t, "journey logs", e.JourneyRuns.Logs, logs)
	near(t, "journey Step Functions", e.JourneyRuns.StepFunctions, 0.025/1000)
	near(t, "journey total", e.MarginalPerJourneyRun(), lambda+dynamo+logs+0.025/1000)

	// The run: the hook the schedule invokes (0.25 GB, 100 ms), plan
	// (0.5 GB, 100 ms) and gate (0.25 GB, 300 ms); the run item (2 KB)
	// put with its 2 index entries, then its verdict set (no key changes:
	// no index write); the gate's read of run and
	// result (4.5 KB: 2 units); the schedule, the event, the trace; logs:
	// 2000 + 3 × 350 + 5 transitions × 1024; 4 of the 5 transitions.
	oLambda := 3*0.20/1e6 + 0.25*0.1*0.0000133334 + 0.5*0.1*0.0000133334 + 0.25*0.3*0.0000133334
	oDynamo := (2+2+2)*0.625/1e6 + 2*0.125/1e6
	oOther := 1.0/1e6 + 1.0/1e6 + 5.0/1e6
	oLogs := float64(2000+3*350+5*1024) / 1e9 * 0.50
	near(t, "overhead Lambda", e.Overhead.Lambda, oLambda)
	near(t, "overhead DynamoDB", e.Overhead.DynamoDB, oDynamo)
	near(t, "overhead other", e.Overhead.Other, oOther)
	near(t, "overhead logs", e.Overhead.Logs, oLogs)
	near(t, "overhead Step Functions", e.Overhead.StepFunctions, 4*0.025/1000)
	total := lambda + dynamo + logs + 0.025/1000 + oLambda + oDynamo + oOther + oLogs + 4*0.025/1000
	near(t, "total", e.Total(), total)
	near(t, "per journey run", e.PerJourneyRun(), total)

	// Express: no transitions; one request and 2.4 s (2.35 s rounded up
	// to 100 ms) of one 64 MB chunk.
	x := m.Express(r)
	near(t, "Express journey Step Functions", x.JourneyRuns.StepFunctions, 0)
	near(t, "Express overhead Step Functions", x.Overhead.StepFunctions, 1.0/1e6+2.4*0.0625*0.00001667)
	near(t, "Express total", x.Total(), total-5*0.025/1000+1.0/1e6+2.4*0.0625*0.00001667)
}

// A deployment adds the policy reads and the report mark, and has no
// schedule; both start at the hook.
func TestDeploymentOverhead(t *testing.T) {
	m := Defaults(Memory{Hook: 256, Runner: 512, Gate: 256, Sink: 256}, testPoll)
	// 5 items of 4 KB: 2 index Queries of their keys (1 unit), then 5
	// GetItems of 1 unit each, eventually consistent: 2.5.
	m.FreezeItemBytes = []int{4000, 4000, 4000, 4000, 4000}
	r := Run{Trigger: Deployment, Transitions: 4, RunItemBytes: 1000}
	sched := m.Standard(Run{Trigger: Schedule, Transitions: 4, RunItemBytes: 1000})
	dep := m.Standard(r)
	near(t, "same hook", dep.Overhead.Lambda-sched.Overhead.Lambda, 0)
	// The run item (1 KB) marked reported: a write to the table (no key
	// changes: no index).
	near(t, "policy reads and report mark", dep.Overhead.DynamoDB-sched.Overhead.DynamoDB, (1+1+2.5)*0.125/1e6+1*0.625/1e6)
	near(t, "no schedule", sched.Overhead.Other-dep.Overhead.Other, 1.0/1e6)
	near(t, "same platform logs", dep.Overhead.Logs-sched.Overhead.Logs, 0)
}

// TestBrowserJourney pins what a UI journey run counts: the browser
// runner's memory at the x86_64 price for its duration, the same request,
// result write, runner reads and logs as an API journey, the Map item's
// one transition (RunJourney, as for an API journey), and an S3 put of
// a screenshot only when a step did not pass.
func TestBrowserJourney(t *testing.T) {
	m := Defaults(Memory{Hook: 256, Runner: 512, Gate: 256, Sink: 256, BrowserRunner: 2048}, testPoll)
	ui := JourneyRun{Name: "ui", Duration: 4 * time.Second, Attempts: 1, ResultBytes: 5000, LogBytes: 800, Browser: true, Transitions: ItemTransitions}
	e := m.Standard(Run{Trigger: Schedule, Journeys: []JourneyRun{ui}, Transitions: 4 + ItemTransitions, RunItemBytes: 1000})

	// 2 GB for 4 s at the x86_64 price and one request; the result (5 KB)
	// written to the table and a keys-only entry to each of 4 indexes;
	// the runner's 2 reads and 1 poll;
	// 800 bytes of logs and 350 of platform log; 1 transition; no put.
	lambda := 0.20/1e6 + 2*4*0.0000166667
	dynamo := (5+4)*0.625/1e6 + 3*0.125/1e6
	logs := (800 + 350) / 1e9 * 0.50
	near(t, "UI journey Lambda", e.JourneyRuns.Lambda, lambda)
	near(t, "UI journey DynamoDB", e.JourneyRuns.DynamoDB, dynamo)
	near(t, "UI journey logs", e.JourneyRuns.Logs, logs)
	near(t, "UI journey Step Functions", e.JourneyRuns.StepFunctions, 0.025/1000)
	near(t, "UI journey other", e.JourneyRuns.Other, 0)
	near(t, "UI journey total", e.MarginalPerJourneyRun(), lambda+dynamo+logs+0.025/1000)
	// The run keeps its 4 transitions: the item's is the journey's.
	near(t, "run Step Functions", e.Overhead.StepFunctions, 4*0.025/1000)

	// A failing attempt puts one screenshot: $0.005 per 1,000 PUTs.
	failed := ui
	failed.Screenshots = 1
	f := m.Standard(Run{Trigger: Schedule, Journeys: []JourneyRun{failed}, Transitions: 4 + ItemTransitions, RunItemBytes: 1000})
	near(t, "screenshot put", f.JourneyRuns.Other, 0.005/1000)
	near(t, "failed UI journey total", f.MarginalPerJourneyRun(), e.MarginalPerJourneyRun()+0.005/1000)

	// The same journey on the API runner: 512 MB at the arm64 price.
	api := ui
	api.Browser = false
	a := m.Standard(Run{Trigger: Schedule, Journeys: []JourneyRun{api}, Transitions: 4 + ItemTransitions, RunItemBytes: 1000})
	near(t, "API runner Lambda", a.JourneyRuns.Lambda, 0.20/1e6+0.5*4*0.0000133334)

	// An item without routing (Transitions 0) bills its Task alone, as
	// before issue 17; the run's other transitions are the run's.
	plain := api
	plain.Transitions = 0
	p := m.Standard(Run{Trigger: Schedule, Journeys: []JourneyRun{plain}, Transitions: 5, RunItemBytes: 1000})
	near(t, "Task alone", p.JourneyRuns.StepFunctions, 0.025/1000)
	near(t, "run transitions", p.Overhead.StepFunctions, 4*0.025/1000)
}

// TestRunnerDuration pins the CPU stretch below one vCPU: 100 ms of CPU
// at 1769/4 MB takes 4 times as long, 300 ms more; none at or above
// FullCPUMB, nor without a measured CPU time.
func TestRunnerDuration(t *testing.T) {
	j := JourneyRun{Duration: 2 * time.Second, CPU: 100 * time.Millisecond}
	tests := []struct {
		mb   int
		want time.Duration
	}{
		{FullCPUMB / 4, 2*time.Second + 300*time.Millisecond + 226*time.Microsecond}, // 1769/442 is a little over 4
		{FullCPUMB, 2 * time.Second},
		{2048, 2 * time.Second},
	}
	for _, tt := range tests {
		if got := RunnerDuration(j, tt.mb).Round(time.Microsecond); got != tt.want {
			t.Errorf("RunnerDuration(%d MB) = %s, want %s", tt.mb, got, tt.want)
		}
	}
	j.CPU = 0
	if got := RunnerDuration(j, 128); got != j.Duration {
		t.Errorf("RunnerDuration without CPU = %s, want the measured %s", got, j.Duration)
	}
	// The stretch is billed: 256 MB for 2 s and 100 ms × (1769/256 − 1).
	m := Defaults(Memory{Hook: 256, Runner: 256, Gate: 256, Sink: 256}, testPoll)
	j.CPU = 100 * time.Millisecond
	e := m.Standard(Run{Trigger: Schedule, Journeys: []JourneyRun{j}, Transitions: 5, RunItemBytes: 1000})
	ms := math.Ceil(2000 + 100*(1769.0/256-1))
	near(t, "stretched runner", e.JourneyRuns.Lambda, 0.20/1e6+0.25*ms/1000*0.0000133334)
}
