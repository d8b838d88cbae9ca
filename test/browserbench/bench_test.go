package browserbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/costmodel"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/browserbench"
)

const (
	// startRuns is how many Chromiums BenchmarkChromiumStart starts: its
	// p99 is their slowest.
	startRuns = 20
	// pageDelay is how long the delayed page's script waits before it
	// shows #late; overheadRuns how many steps await it.
	pageDelay    = 300 * time.Millisecond
	overheadRuns = 40
	// exampleRuns is how many times the example UI journey runs for its
	// memory and duration.
	exampleRuns = 5
	// sampleEvery paces the memory sampler.
	sampleEvery = 20 * time.Millisecond
)

func needChromium(b *testing.B) string {
	b.Helper()
	exe, err := browser.Executable()
	if err != nil {
		b.Skipf("Chromium is absent (`make tools` installs it): %v", err)
	}
	return exe
}

// pages serves a blank page at / and, at /delayed, a page whose script
// adds #late pageDelay after it runs; nothing is cached.
func pages(b *testing.B) *httptest.Server {
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, body)
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<!doctype html><html><head><title>Start</title></head><body><h1 id="ready">ready</h1></body></html>`)
	})
	mux.HandleFunc("/delayed", func(w http.ResponseWriter, r *http.Request) {
		html(w, fmt.Sprintf(`<!doctype html><html><head><title>Delayed</title></head><body><div id="app">loading</div>
<script>setTimeout(() => { const d = document.createElement('div'); d.id = 'late'; d.textContent = 'arrived'; document.getElementById('app').appendChild(d); }, %d);</script></body></html>`, pageDelay.Milliseconds()))
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv
}

func uiJourney(name string, steps ...journey.Step) journey.Journey {
	return journey.Journey{
		Name: name, Tier: journey.TierGlobal, Owner: "bench", Mode: journey.ModeEnforce,
		Targets: []string{"web"}, Browser: true, Retry: journey.Retry{MaxAttempts: 1},
		Steps: steps,
	}
}

func execute(ctx context.Context, j journey.Journey, targets map[string]string) journey.Result {
	return journey.Execute(ctx, j, journey.Options{RunID: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36), Environment: "local", Targets: targets})
}

// quantile is the q-quantile of sorted d in ms (nearest rank).
func quantile(d []time.Duration, q float64) float64 {
	return float64(d[int(q*float64(len(d)-1)+0.5)].Microseconds()) / 1000
}

func reportLatency(b *testing.B, d []time.Duration, prefix string) {
	slices.Sort(d)
	b.ReportMetric(quantile(d, 0.50), prefix+"median-ms")
	b.ReportMetric(quantile(d, 0.99), prefix+"p99-ms")
}

// BenchmarkChromiumStart: from a step's browser.Open, which starts the
// attempt's Chromium (fresh profile) and opens its tab, to the end of its
// first Navigate (a small page loaded from a local server), over
// startRuns journeys, each closing its Chromium in cleanup.
func BenchmarkChromiumStart(b *testing.B) {
	needChromium(b)
	srv := pages(b)
	var lat []time.Duration
	for b.Loop() {
		lat = lat[:0]
		for i := range startRuns {
			var took time.Duration
			res := execute(b.Context(), uiJourney("start", journey.Step{Name: "start and navigate", SLA: time.Minute, Do: func(ctx context.Context, t *journey.T) error {
				start := time.Now()
				p, err := browser.Open(ctx, t, "web")
				if err != nil {
					return err
				}
				if err := p.Navigate(ctx, "/"); err != nil {
					return err
				}
				took = time.Since(start)
				return nil
			}}), map[string]string{"web": srv.URL})
			if res.Outcome != journey.Passed {
				b.Fatalf("run %d: %s: %s", i, res.Outcome, res.Message)
			}
			lat = append(lat, took)
		}
	}
	reportLatency(b, lat, "")
}

// BenchmarkUIWaitOverhead: steps that navigate to a page whose element
// appears pageDelay after its script runs and wait for it to be visible,
// on a browser already started; the overhead is each step's time (as the
// journey records it) less pageDelay: navigation, the DevTools round
// trips and the wait's polling.
func BenchmarkUIWaitOverhead(b *testing.B) {
	needChromium(b)
	srv := pages(b)
	var over, nav []time.Duration
	for b.Loop() {
		over, nav = over[:0], nav[:0]
		navs := make([]time.Duration, overheadRuns)
		steps := []journey.Step{{Name: "start", SLA: time.Minute, Do: func(ctx context.Context, t *journey.T) error {
			p, err := browser.Open(ctx, t, "web")
			if err != nil {
				return err
			}
			return p.Navigate(ctx, "/")
		}}}
		for i := range overheadRuns {
			steps = append(steps, journey.Step{Name: fmt.Sprintf("delayed %d", i), SLA: 10 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				p, err := browser.Open(ctx, t, "web")
				if err != nil {
					return err
				}
				start := time.Now()
				if err := p.Navigate(ctx, fmt.Sprintf("/delayed?n=%d", i)); err != nil {
					return err
				}
				navs[i] = time.Since(start)
				return p.WaitVisible(ctx, "#late")
			}})
		}
		res := execute(b.Context(), uiJourney("overhead", steps...), map[string]string{"web": srv.URL})
		if res.Outcome != journey.Passed {
			b.Fatalf("%s: %s", res.Outcome, res.Message)
		}
		for _, s := range res.Steps[1:] {
			over = append(over, s.Elapsed-pageDelay)
		}
		nav = append(nav, navs...)
	}
	reportLatency(b, over, "")
	slices.Sort(nav)
	b.ReportMetric(quantile(nav, 0.5), "navigate-median-ms")
	b.ReportMetric(float64(pageDelay.Milliseconds()), "page-delay-ms")
}

// exampleRun is one run of the example UI journey.
type exampleRun struct {
	res      journey.Result
	took     time.Duration // Execute: steps and cleanups, as the runner's invocation
	steps    time.Duration // the steps' own time
	peak     browserbench.Peak
	logBytes int
}

var example struct {
	once sync.Once
	runs []exampleRun
	err  error
	skip string
}

// runExample runs journeys.SilenceThroughUI exampleRuns times against a
// real Alertmanager, sampling the memory of this process and of its
// Chromium processes while each runs; the benchmarks below share the runs.
func runExample(b *testing.B) []exampleRun {
	needChromium(b)
	example.once.Do(func() {
		ctx := context.Background()
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
		defer sink.Close()
		am, err := alertmanager.Start(ctx, alertmanager.Options{Webhooks: []string{sink.URL + "/webhook"}})
		if err != nil {
			example.err = fmt.Errorf("starting Alertmanager: %w", err)
			return
		}
		defer am.Stop()
		j := journeys.SilenceThroughUI()
		for i := range exampleRuns {
			s := browserbench.StartSampler(os.Getpid(), browserbench.IsChromium, sampleEvery)
			start := time.Now()
			res := execute(ctx, j, map[string]string{"alertmanager": am.URL})
			took := time.Since(start)
			peak := s.Stop()
			if res.Outcome != journey.Passed {
				example.err = fmt.Errorf("run %d of %s: %s: %s", i+1, j.Name, res.Outcome, res.Message)
				return
			}
			r := exampleRun{res: res, took: took, peak: peak}
			for _, st := range res.Steps {
				r.steps += st.Elapsed
			}
			var n countingWriter
			if err := (&metrics.Emitter{W: &n}).Journey(metrics.JourneyRun{Result: res, Attempts: 1}); err != nil {
				example.err = err
				return
			}
			r.logBytes = n.n + 300 // and a log line, as the contract test counts
			example.runs = append(example.runs, r)
		}
	})
	if example.err != nil {
		b.Fatal(example.err)
	}
	return example.runs
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

const mib = 1 << 20

// BenchmarkUIJourneyMemory: the peak memory of the example UI journey
// (silence-through-ui against a real Alertmanager), exampleRuns runs:
// Chromium's processes (every process below this one whose executable is
// Chromium's) summed by proportional set size (smaps_rollup Pss: shared
// pages divided among them), their RSS sum (shared pages counted in each),
// this Go process's RSS, and the peak of Chromium's PSS and Go's RSS
// together, sampled from /proc every sampleEvery while the journey runs.
func BenchmarkUIJourneyMemory(b *testing.B) {
	runs := runExample(b)
	var peak browserbench.Peak
	for b.Loop() {
		peak = browserbench.Peak{}
		for _, r := range runs {
			if r.peak.Tree.PSS > peak.Tree.PSS {
				peak.Tree = r.peak.Tree
			}
			peak.TreeRSS = max(peak.TreeRSS, r.peak.TreeRSS)
			peak.Self = max(peak.Self, r.peak.Self)
			peak.Total = max(peak.Total, r.peak.Total)
			peak.Samples += r.peak.Samples
		}
	}
	b.ReportMetric(float64(peak.Tree.PSS)/mib, "chromium-pss-MB")
	b.ReportMetric(float64(peak.TreeRSS)/mib, "chromium-rss-sum-MB")
	b.ReportMetric(float64(peak.Tree.Procs), "chromium-processes")
	b.ReportMetric(float64(peak.Self)/mib, "go-rss-MB")
	b.ReportMetric(float64(peak.Total)/mib, "total-MB")
	b.Logf("peaks over %d runs of the example UI journey, %d samples (every %s)", len(runs), peak.Samples, sampleEvery)
}

// BenchmarkUIJourneyCost prices a run of the example UI journey with
// package costmodel: the browser runner's memory (from the staging
// template when it has a browser runner, else
// costmodel.DefaultBrowserRunnerMB) at the x86_64 price for the measured
// duration (the median of exampleRuns runs, steps and cleanup), and what
// an API journey's run costs besides (request, the Map item's transitions,
// the result written to the table and its indexes, the runner's reads,
// logs; the run's hook, plan and gate for a run of its own), with one S3
// put of a screenshot when it fails. Beside it, a CloudWatch Synthetics
// canary run ($0.0012) and a Checkly browser check run ($0.005).
func BenchmarkUIJourneyCost(b *testing.B) {
	runs := runExample(b)
	mem, source := templateMemory(b)
	m := costmodel.Defaults(mem, store.DeliveryPollBackoff)
	took := make([]time.Duration, 0, len(runs))
	steps := make([]time.Duration, 0, len(runs))
	for _, r := range runs {
		took = append(took, r.took)
		steps = append(steps, r.steps)
	}
	slices.Sort(took)
	slices.Sort(steps)
	median := runs[0]
	for _, r := range runs {
		if r.took == took[len(took)/2] {
			median = r
		}
	}
	res := median.res
	ui := costmodel.JourneyRun{
		Name: res.Journey, Duration: median.took, Attempts: 1, Browser: true,
		Transitions: costmodel.ItemTransitions, ResultBytes: jsonSize(b, res) + costmodel.KeyBytes,
		LogBytes: median.logBytes,
		// It awaits no deliveries: it polls Alertmanager, never the sink table.
	}
	failed := ui
	failed.Screenshots = 1
	// A scheduled run of this journey alone: Start, Plan, RunJourneys and
	// Decide, and its item's transitions.
	runStates := []string{flow.StateStart, flow.StatePlan, flow.StateRunJourneys, flow.StateDecide}
	planned := []gate.Planned{{Name: res.Journey, Mode: res.Mode}}
	verdict := gate.Decide(gate.Input{Planned: planned, Results: []journey.Result{res}})
	rec := store.RunRecord{ID: res.RunID, Environment: res.Environment, Trigger: trigger.Trigger{Type: trigger.Schedule},
		StartedAt: res.StartedAt, FinishedAt: res.StartedAt.Add(median.took), Planned: planned, Verdict: &verdict}
	var n countingWriter
	if err := (&metrics.Emitter{W: &n}).Gate(metrics.GateRun{RunID: rec.ID, Environment: rec.Environment, Trigger: string(trigger.Schedule), Status: verdict.Status}); err != nil {
		b.Fatal(err)
	}
	run := func(j costmodel.JourneyRun) costmodel.Run {
		return costmodel.Run{Trigger: costmodel.Schedule, Journeys: []costmodel.JourneyRun{j},
			Transitions: len(runStates) + costmodel.ItemTransitions, Elapsed: median.took,
			RunItemBytes: jsonSize(b, rec) + costmodel.KeyBytes, LogBytes: n.n + 1536}
	}
	var passed, failedRun costmodel.Estimate
	for b.Loop() {
		passed = m.Standard(run(ui))
		failedRun = m.Standard(run(failed))
	}
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "journey-median-ms")
	b.ReportMetric(float64(steps[len(steps)/2].Microseconds())/1000, "steps-median-ms")
	b.ReportMetric(passed.MarginalPerJourneyRun(), "usd-per-ui-journey-run")
	b.ReportMetric(failedRun.MarginalPerJourneyRun(), "usd-per-failed-ui-journey-run")
	b.ReportMetric(passed.Total(), "usd-per-scheduled-ui-run")
	b.ReportMetric(costmodel.SyntheticsCanaryRun, "usd-per-canary-run")
	b.ReportMetric(costmodel.ChecklyBrowserCheckRun, "usd-per-checkly-browser-check-run")
	j, o := passed.JourneyRuns, passed.Overhead
	b.Logf("%s: $%.8f added to a run (Lambda %.8f, Step Functions %.8f, DynamoDB %.8f, logs %.8f, other %.8f); failed $%.8f (a screenshot put); alone in a scheduled run $%.8f (the run's hook, plan, gate: $%.8f)",
		ui.Name, j.Total(), j.Lambda, j.StepFunctions, j.DynamoDB, j.Logs, j.Other, failedRun.MarginalPerJourneyRun(), passed.Total(), o.Total())
	b.Logf("runner %s (median of %d runs: %v), result %d B, %d transitions per item; memory (MB): %+v, browser runner %s",
		median.took.Round(time.Millisecond), len(runs), roundAll(took), ui.ResultBytes, ui.Transitions, mem, source)
}

func roundAll(d []time.Duration) []time.Duration {
	out := make([]time.Duration, len(d))
	for i, x := range d {
		out[i] = x.Round(time.Millisecond)
	}
	return out
}

func jsonSize(b *testing.B, v any) int {
	b.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return len(data)
}

// templateMemory reads the functions' memory sizes from the synthesized
// staging template, the browser runner's from a function whose name holds
// "browser" when the template has one, and says where that came from.
func templateMemory(b *testing.B) (costmodel.Memory, string) {
	s, err := infratest.Synthesize(b.TempDir(), "staging", nil)
	if err != nil {
		b.Fatal(err)
	}
	mb := map[string]int{}
	for id, name := range s.Gate.FunctionLogicalIDs() {
		switch v := s.Template.Resources[id].Properties["MemorySize"].(type) {
		case float64:
			mb[name] = int(v)
		case string:
			mb[name], _ = strconv.Atoi(v)
		}
	}
	m := costmodel.Memory{Hook: mb["hook"], Runner: mb["runner"], Gate: mb["gate"], Sink: mb["sink"], BrowserRunner: costmodel.DefaultBrowserRunnerMB}
	if m.Hook == 0 || m.Runner == 0 || m.Gate == 0 || m.Sink == 0 {
		b.Fatalf("a function without MemorySize in the template: %v", mb)
	}
	source := fmt.Sprintf("assumed (costmodel.DefaultBrowserRunnerMB): the template has no browser runner (functions %v)", mb)
	for name, v := range mb {
		if strings.Contains(strings.ToLower(name), "browser") && v > 0 {
			m.BrowserRunner, source = v, "from the template ("+name+")"
		}
	}
	return m, source
}
