package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/costmodel"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/sfnlocal"
)

// invocationTimes records how long each runner invocation took, by
// journey ("" for the plan), through world's wrapRunner.
type invocationTimes struct {
	mu   sync.Mutex
	took map[string]time.Duration
}

func (it *invocationTimes) wrap(next sfnlocal.Handler) sfnlocal.Handler {
	return func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
		var req struct {
			Journey string `json:"journey"`
		}
		_ = json.Unmarshal(p, &req)
		start := time.Now()
		out, err := next(ctx, p)
		it.mu.Lock()
		it.took[req.Journey] += time.Since(start)
		it.mu.Unlock()
		return out, err
	}
}

// measuredRuns holds what TestTransitionsPerRun measured, for
// BenchmarkCostModel in the same test binary (tests run before benchmarks).
var measuredRuns struct {
	sync.Mutex
	runs map[costmodel.Trigger]costmodel.Run
}

// TestTransitionsPerRun executes the deployed definition the way a
// deployment and the global schedule start it, with the example journeys,
// and pins the state transitions Standard workflows bill: Start, Plan, the
// Map state and Decide per run, and per journey its item's one Task,
// RunJourney, invoking the function the plan gave it, the runner or the
// browser runner (costmodel.ItemTransitions; the runner's retries happen
// inside its Task, without transitions). A definition that adds a state
// adds cost to every run and fails here. It also keeps what the
// executions did for BenchmarkCostModel.
func TestTransitionsPerRun(t *testing.T) {
	t.Parallel()
	times := &invocationTimes{took: map[string]time.Duration{}}
	w := newWorld(t, options{wrapRunner: times.wrap, wrapBrowserRunner: times.wrap})
	// How many journeys each trigger plans, from the examples the world's
	// runner registers (never a count of the catalogue's).
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	count := func(s journey.Selector) int {
		js, err := reg.Select(s)
		if err != nil {
			t.Fatal(err)
		}
		return len(js)
	}
	deployed := count(journey.Selector{Services: []string{"alertmanager"}, Environment: "local"})
	global := count(journey.Selector{Tier: journey.TierGlobal})
	tests := []struct {
		name     string
		trigger  costmodel.Trigger
		start    func(t *testing.T) string // returns the run ID, or "" to take it from the output
		journeys int
		want     int
	}{
		{"deployment", costmodel.Deployment, func(t *testing.T) string {
			addDeployment(w, "hook-transitions")
			resp, err := w.invokeHook(codeDeployEvent(t, "hook-transitions"))
			if err != nil {
				t.Fatal(err)
			}
			return resp.RunID
		}, deployed, 4 + costmodel.ItemTransitions*deployed},
		{"global schedule", costmodel.Schedule, func(t *testing.T) string {
			resp, err := w.invokeHook(scheduledEvent(t, w, journey.TierGlobal, "2026-01-15T10:10:00Z"))
			if err != nil {
				t.Fatal(err)
			}
			return resp.RunID
		}, global, 4 + costmodel.ItemTransitions*global},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			times.mu.Lock()
			clear(times.took)
			times.mu.Unlock()
			began, cpu0 := time.Now(), processCPU(t)
			runID := tc.start(t)
			res := w.waitExecutions(1)[0]
			elapsed, cpu := time.Since(began), processCPU(t)-cpu0
			out := gateOutput(t, res)
			if out.Status != "Succeeded" {
				t.Fatalf("verdict %s: %s", out.Status, out.Summary)
			}
			if runID == "" {
				runID = out.RunID
			}
			results, err := w.store.Results(context.Background(), runID)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, r := range results {
				names[r.Journey] = true
			}
			if len(names) != tc.journeys {
				t.Fatalf("%d journeys ran, want %d", len(names), tc.journeys)
			}
			if res.Transitions != tc.want {
				t.Errorf("%d state transitions for %d journeys, want %d (4 per run and 1 per journey: its RunJourney Task): %+v", res.Transitions, tc.journeys, tc.want, res.States)
			}
			run := measure(t, w.store, runID, results, times, tc.trigger)
			run.Transitions, run.Elapsed = res.Transitions, elapsed
			// The CPU this process used while the run went (the runners,
			// the hook, the gate, the sink, the stand-ins' Go side; not
			// dynalite, Alertmanager or Chromium), shared over the
			// journeys: an upper bound of each runner invocation's.
			browser := map[string]bool{}
			for _, name := range w.journeysRun(infra.FunctionBrowserRunner) {
				browser[name] = true
			}
			for i := range run.Journeys {
				run.Journeys[i].CPU = cpu / time.Duration(len(run.Journeys))
				run.Journeys[i].Browser = browser[run.Journeys[i].Name]
			}
			measuredRuns.Lock()
			if measuredRuns.runs == nil {
				measuredRuns.runs = map[costmodel.Trigger]costmodel.Run{}
			}
			measuredRuns.runs[tc.trigger] = run
			measuredRuns.Unlock()
		})
	}
}

// measure turns a finished run as stored into the cost model's Run. Item
// sizes are JSON sizes plus costmodel.KeyBytes; a journey's log bytes are
// the EMF records the runner writes for it plus 300 bytes of log line per
// attempt; the run's are the gate's EMF record plus 1.5 KB of log lines.
func measure(t *testing.T, st *dynamo.Store, runID string, results []journey.Result, times *invocationTimes, trigger costmodel.Trigger) costmodel.Run {
	t.Helper()
	ctx := context.Background()
	rec, err := st.GetRun(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	deliveries, _, err := st.Deliveries(ctx, runID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var counted countingWriter
	emf := &metrics.Emitter{W: &counted}
	run := costmodel.Run{Trigger: trigger, RunItemBytes: jsonSize(t, rec) + costmodel.KeyBytes}
	byJourney := map[string][]journey.Result{}
	var order []string
	for _, r := range results {
		if byJourney[r.Journey] == nil {
			order = append(order, r.Journey)
		}
		byJourney[r.Journey] = append(byJourney[r.Journey], r)
	}
	times.mu.Lock()
	defer times.mu.Unlock()
	for _, name := range order {
		rs := byJourney[name]
		j := costmodel.JourneyRun{Name: name, Duration: times.took[name], Attempts: len(rs)}
		size := 0
		for _, r := range rs {
			size += jsonSize(t, r) + costmodel.KeyBytes
			for _, s := range r.Steps {
				j.Waiting += s.Elapsed // an upper bound: every wait charged as sink polling
			}
		}
		j.ResultBytes = size / len(rs)
		for _, d := range deliveries {
			if bytes.Contains(d.Body, []byte(`"jg_journey":"`+name+`"`)) {
				j.Deliveries++
				j.DeliveryBytes += jsonSize(t, d) + costmodel.KeyBytes
			}
		}
		if j.Deliveries > 0 {
			j.DeliveryBytes /= j.Deliveries
		}
		counted.n = 0
		if err := emf.Journey(metrics.JourneyRun{Result: rs[len(rs)-1], Attempts: len(rs)}); err != nil {
			t.Fatal(err)
		}
		j.LogBytes = counted.n + 300*len(rs)
		run.Journeys = append(run.Journeys, j)
	}
	counted.n = 0
	if err := emf.Gate(metrics.GateRun{RunID: runID, Environment: rec.Environment, Trigger: string(rec.Trigger.Type), Status: rec.Verdict.Status}); err != nil {
		t.Fatal(err)
	}
	run.LogBytes = counted.n + 1536
	t.Logf("run %s: %d journeys, %d deliveries, run item %d bytes, runner invocations %v", runID, len(run.Journeys), len(deliveries), run.RunItemBytes, times.took)
	return run
}

// processCPU is the user and system CPU time this process has used.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func jsonSize(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// BenchmarkCostModel prices the runs TestTransitionsPerRun executed
// (run both: go test -run '^TestTransitionsPerRun$' -bench CostModel) with
// package costmodel: the functions' memory sizes from the synthesized
// staging template, the measured transitions, runner durations, results
// and deliveries, and public us-east-1 prices. It reports US dollars per
// journey run (all-in, and what one more journey adds), per deployment
// gate and per scheduled global run, the same run as an Express workflow,
// and a month of the global schedule, beside a CloudWatch Synthetics
// canary run ($0.0012). Target (issue 7): at most $0.00004 per journey run.
func BenchmarkCostModel(b *testing.B) {
	measuredRuns.Lock()
	deploy, okD := measuredRuns.runs[costmodel.Deployment]
	sched, okS := measuredRuns.runs[costmodel.Schedule]
	measuredRuns.Unlock()
	if !okD || !okS {
		b.Skip("no measured runs: run with -run '^TestTransitionsPerRun$' so the test executes them first")
	}
	mem := templateMemory(b)
	m := costmodel.Defaults(mem, store.DeliveryPollBackoff)
	// The freeze reads the environment's scheduled global runs in its
	// window and their results: one run per tick of the default global
	// schedule (30 of them at every minute).
	every := infra.DefaultSchedules[journey.TierGlobal]
	for range int(gate.DefaultFreezeWindow / every) {
		m.FreezeItemBytes = append(m.FreezeItemBytes, sched.RunItemBytes)
		for _, j := range sched.Journeys {
			for range j.Attempts {
				m.FreezeItemBytes = append(m.FreezeItemBytes, j.ResultBytes)
			}
		}
	}
	var gate, scheduled, express costmodel.Estimate
	for b.Loop() {
		gate = m.Standard(deploy)
		scheduled = m.Standard(sched)
		express = m.Express(sched)
	}
	// A 30-day month of the default global schedule, per environment,
	// beside a canary run as often (issue 19: about $52 at every minute).
	month := float64(30*24*time.Hour) / float64(every)
	b.ReportMetric(gate.PerJourneyRun(), "usd-per-journey-run")
	b.ReportMetric(gate.MarginalPerJourneyRun(), "usd-per-added-journey-run")
	b.ReportMetric(gate.Total(), "usd-per-deployment-gate")
	b.ReportMetric(scheduled.Total(), "usd-per-scheduled-run")
	b.ReportMetric(scheduled.PerJourneyRun(), "usd-per-scheduled-journey-run")
	b.ReportMetric(express.Total(), "usd-per-scheduled-run-express")
	b.ReportMetric(scheduled.Total()*month, "usd-per-month-global-schedule")
	b.ReportMetric(express.Total()*month, "usd-per-month-global-schedule-express")
	b.ReportMetric(costmodel.SyntheticsCanaryRun, "usd-per-canary-run")
	b.ReportMetric(costmodel.SyntheticsCanaryRun*month, "usd-per-month-canary-same-schedule")
	b.ReportMetric(costmodel.SyntheticsCanaryRun/gate.PerJourneyRun(), "canary-runs-per-journey-run-cost")
	// The same deployment gate without its UI journeys (the browser
	// runner: 2 GB on x86_64), which bench-ui prices on their own.
	api := deploy
	api.Journeys = nil
	for _, j := range deploy.Journeys {
		if j.Browser {
			api.Transitions -= max(1, j.Transitions)
			continue
		}
		api.Journeys = append(api.Journeys, j)
	}
	apiGate := m.Standard(api)
	b.ReportMetric(apiGate.PerJourneyRun(), "usd-per-api-journey-run")
	// The inbox's cloud path (issue 18) for the mail Alertmanager sends
	// (the fixture captured from v0.28.1): SES, S3, the sink, the store.
	mail, err := os.ReadFile("../../shared/journey/testdata/mail/alertmanager-v0.28.1.eml")
	if err != nil {
		b.Fatal(err)
	}
	inbox := m.Inbox(costmodel.ReceivedMail{Bytes: len(mail), Recipients: 1})
	b.ReportMetric(inbox.Total()*1000, "usd-per-1000-inbox-mails")
	// Its latency after SES has the message, from the model: the sink's
	// invocation, then a waiting journey's next store read (the reader
	// polls at most DeliveryPollBackoff.Max apart: half that on average).
	// SES's own receipt and its S3 and Lambda actions publish no latency.
	afterSES := m.SinkDuration + store.DeliveryPollBackoff.Max/2
	b.ReportMetric(float64(afterSES.Microseconds())/1000, "inbox-cloud-ms-after-ses-expected")
	b.Logf("inbox: a %d-byte mail costs $%.8f (Lambda %.8f, DynamoDB %.8f, logs %.8f, SES and S3 %.8f); after SES has it, %s expected to the journey (sink %s + half the reader's %s poll), plus SES's receipt, unpublished",
		len(mail), inbox.Total(), inbox.Lambda, inbox.DynamoDB, inbox.Logs, inbox.Other, afterSES, m.SinkDuration, store.DeliveryPollBackoff.Max)
	// The runner's CPU against its wall time: what the memory choice
	// rests on (costmodel.RunnerDuration).
	var cpu, wall time.Duration
	for _, j := range api.Journeys {
		cpu += j.CPU
		wall += j.Duration
	}
	if n := len(api.Journeys); n > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "runner-cpu-ms-per-journey")
		b.ReportMetric(float64(wall.Microseconds())/1000/float64(n), "runner-wall-ms-per-journey")
	}
	for _, e := range []struct {
		name string
		e    costmodel.Estimate
	}{{"deployment gate", gate}, {"scheduled run", scheduled}, {"scheduled run, Express", express}} {
		o, j := e.e.Overhead, e.e.JourneyRuns
		b.Logf("%s, %d journeys: total $%.8f = journeys $%.8f (Lambda %.8f, Step Functions %.8f, DynamoDB %.8f, logs %.8f) + run $%.8f (Lambda %.8f, Step Functions %.8f, DynamoDB %.8f, logs %.8f, other %.8f)",
			e.name, e.e.Journeys, e.e.Total(), j.Total(), j.Lambda, j.StepFunctions, j.DynamoDB, j.Logs,
			o.Total(), o.Lambda, o.StepFunctions, o.DynamoDB, o.Logs, o.Other)
	}
	for i, j := range deploy.Journeys {
		c := gate.PerJourney[i]
		runner, mb := "runner", mem.Runner
		if j.Browser {
			runner, mb = "browser runner", mem.BrowserRunner
		}
		b.Logf("  %s: $%.8f (%s %s, CPU at most %s, billed %s at %d MB; %d attempts, result %d B, %d deliveries, waited %s)", j.Name, c.Total(), runner, j.Duration.Round(time.Millisecond),
			j.CPU.Round(time.Millisecond), costmodel.RunnerDuration(j, mb).Round(time.Millisecond), mb, j.Attempts, j.ResultBytes, j.Deliveries, j.Waiting.Round(time.Millisecond))
	}
	b.Logf("API journeys alone (%d of them): $%.8f per journey run", apiGate.Journeys, apiGate.PerJourneyRun())
	b.Logf("memory (MB) from the template: %+v; transitions: deployment %d, schedule %d", mem, deploy.Transitions, sched.Transitions)
}

// templateMemory reads the functions' memory sizes from the synthesized
// staging template.
func templateMemory(b *testing.B) costmodel.Memory {
	dir := b.TempDir()
	s, err := infratest.Synthesize(dir, "staging", nil)
	if err != nil {
		b.Fatal(err)
	}
	ids := map[string]string{} // function name -> logical ID
	for id, name := range s.Gate.FunctionLogicalIDs() {
		ids[name] = id
	}
	mb := func(fn string) int {
		v := s.Template.Resources[ids[fn]].Properties["MemorySize"]
		switch n := v.(type) {
		case float64:
			return int(n)
		case string:
			i, _ := strconv.Atoi(n)
			return i
		}
		b.Fatalf("function %s (%s) has no MemorySize in the template: %v", fn, ids[fn], v)
		return 0
	}
	m := costmodel.Memory{Hook: mb(infra.FunctionHook), Runner: mb(infra.FunctionRunner), Gate: mb(infra.FunctionGate), Sink: mb(infra.FunctionSink)}
	if _, ok := ids[infra.FunctionBrowserRunner]; ok {
		m.BrowserRunner = mb(infra.FunctionBrowserRunner)
	}
	return m
}
