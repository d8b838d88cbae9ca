package metrics_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/metrics/metricstest"
	"github.com/journeygate/journeygate/shared/journey"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var at = time.Date(2026, 11, 21, 0, 55, 6, 123_456_789, time.UTC)

var (
	journeySets = [][]string{{"Journey", "Environment", "Tier", "Trigger"}, {"Environment", "Tier", "Trigger"}}
	stepSets    = [][]string{{"Journey", "Environment", "Tier", "Step"}}
	gateSets    = [][]string{{"Environment", "Trigger"}, {"Environment"}}
)

func step(name string, ms int, o journey.Outcome) journey.StepResult {
	return journey.StepResult{Name: name, SLA: 3 * time.Second, Elapsed: time.Duration(ms)*time.Millisecond + 250*time.Microsecond, Outcome: o}
}

// result is a three-step journey whose steps end as given.
func result(mode journey.Mode, outcomes ...journey.Outcome) journey.Result {
	r := journey.Result{
		RunID: "20261121T005506Z-b4eb46", Journey: "alert-to-notification", Environment: "staging",
		Tier: journey.TierGlobal, Mode: mode, Attempt: 1, StartedAt: at, Elapsed: 1523 * time.Millisecond, Outcome: journey.Passed,
	}
	for i, o := range outcomes {
		r.Steps = append(r.Steps, step([]string{"alert accepted", "alert listed", "notification delivered"}[i], 100*(i+1), o))
		if o != journey.Passed && o != journey.Skipped && r.Outcome == journey.Passed {
			r.Outcome = o
		}
	}
	return r
}

func TestJourneyRecord(t *testing.T) {
	p, sk := journey.Passed, journey.Skipped
	tests := []struct {
		name     string
		run      metrics.JourneyRun
		want     map[string]float64
		wantStep []string // steps with a StepDuration record
	}{
		{"passed", metrics.JourneyRun{Result: result(journey.ModeEnforce, p, p, p), Attempts: 1},
			map[string]float64{"JourneySuccess": 1, "JourneyDuration": 1523, "SLABreaches": 0, "FlakyPasses": 0, "JourneyErrors": 0},
			[]string{"alert accepted", "alert listed", "notification delivered"}},
		{"sla-breach skips the rest", metrics.JourneyRun{Result: result(journey.ModeEnforce, p, journey.SLABreach, sk), Attempts: 1},
			map[string]float64{"JourneySuccess": 0, "JourneyDuration": 1523, "SLABreaches": 1, "FlakyPasses": 0, "JourneyErrors": 0},
			[]string{"alert accepted", "alert listed"}},
		{"failed", metrics.JourneyRun{Result: result(journey.ModeEnforce, journey.Failed, sk, sk), Attempts: 1},
			map[string]float64{"JourneySuccess": 0, "SLABreaches": 0, "FlakyPasses": 0, "JourneyErrors": 0},
			[]string{"alert accepted"}},
		{"error", metrics.JourneyRun{Result: result(journey.ModeEnforce, p, p, journey.Errored), Attempts: 1},
			map[string]float64{"JourneySuccess": 0, "SLABreaches": 0, "FlakyPasses": 0, "JourneyErrors": 1},
			[]string{"alert accepted", "alert listed", "notification delivered"}},
		{"observe-mode failure is no success", metrics.JourneyRun{Result: result(journey.ModeObserve, p, journey.Failed, sk), Attempts: 1},
			map[string]float64{"JourneySuccess": 0, "JourneyErrors": 0},
			[]string{"alert accepted", "alert listed"}},
		{"pass after a retry is flaky", metrics.JourneyRun{Result: result(journey.ModeEnforce, p, p, p), Attempts: 2},
			map[string]float64{"JourneySuccess": 1, "FlakyPasses": 1},
			[]string{"alert accepted", "alert listed", "notification delivered"}},
		{"failure after a retry is not flaky", metrics.JourneyRun{Result: result(journey.ModeEnforce, p, journey.SLABreach, sk), Attempts: 3},
			map[string]float64{"JourneySuccess": 0, "FlakyPasses": 0, "SLABreaches": 1},
			[]string{"alert accepted", "alert listed"}},
		{"attempts unset counts as one", metrics.JourneyRun{Result: result(journey.ModeEnforce, p)},
			map[string]float64{"JourneySuccess": 1, "FlakyPasses": 0},
			[]string{"alert accepted"}},
	}
	units := map[string]string{"JourneySuccess": "None", "JourneyDuration": "Milliseconds", "SLABreaches": "Count", "FlakyPasses": "Count", "JourneyErrors": "Count"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.run.Attempts != 0 {
				tt.run.Trigger = "schedule"
			}
			out, err := metrics.JourneyRecord(at, tt.run)
			if err != nil {
				t.Fatal(err)
			}
			recs := metricstest.Parse(t, out)
			if len(recs) != 1+len(tt.wantStep) {
				t.Fatalf("%d records, want 1 journey record and %d step records:\n%s", len(recs), len(tt.wantStep), out)
			}
			res := tt.run.Result
			for _, r := range recs {
				if r.Timestamp != at.UnixMilli() || r.Namespace != "journeygate" {
					t.Errorf("timestamp %d namespace %q, want %d and journeygate", r.Timestamp, r.Namespace, at.UnixMilli())
				}
				if r.Dim("Journey") != res.Journey || r.Dim("Environment") != "staging" || r.Dim("Tier") != "global" || r.Dim("RunId") != res.RunID {
					t.Errorf("dimensions %v", r.Fields)
				}
			}
			j := recs[0]
			// Attempts unset also leaves the trigger unset: Unknown.
			wantTrigger := "schedule"
			if tt.run.Trigger == "" {
				wantTrigger = metrics.Unknown
			}
			if j.Dim("Trigger") != wantTrigger {
				t.Errorf("Trigger dimension %q, want %q", j.Dim("Trigger"), wantTrigger)
			}
			if !reflect.DeepEqual(j.Dimensions, journeySets) {
				t.Errorf("journey dimension sets %v, want %v", j.Dimensions, journeySets)
			}
			if !reflect.DeepEqual(j.Units, units) {
				t.Errorf("journey metrics %v, want %v", j.Units, units)
			}
			for name, want := range tt.want {
				if got := j.Values[name]; got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if j.Dim("Outcome") != string(res.Outcome) || j.Dim("Mode") != string(res.Mode) {
				t.Errorf("log fields Outcome %q Mode %q, want %s %s", j.Dim("Outcome"), j.Dim("Mode"), res.Outcome, res.Mode)
			}
			var steps []string
			for i, s := range recs[1:] {
				steps = append(steps, s.Dim("Step"))
				if !reflect.DeepEqual(s.Dimensions, stepSets) || !reflect.DeepEqual(s.Units, map[string]string{"StepDuration": "Milliseconds"}) {
					t.Errorf("step record %d: sets %v metrics %v", i, s.Dimensions, s.Units)
				}
				if want := float64(100*(i+1)) + 0.25; s.Values["StepDuration"] != want {
					t.Errorf("step %s: StepDuration %v, want %v", s.Dim("Step"), s.Values["StepDuration"], want)
				}
				if s.Dim("Outcome") != string(res.Steps[i].Outcome) {
					t.Errorf("step %s: Outcome %q, want %s", s.Dim("Step"), s.Dim("Outcome"), res.Steps[i].Outcome)
				}
			}
			if !slices.Equal(steps, tt.wantStep) {
				t.Errorf("StepDuration for %q, want %q (skipped steps have none)", steps, tt.wantStep)
			}
		})
	}
}

func TestGateRecord(t *testing.T) {
	tests := []struct {
		name       string
		run        metrics.GateRun
		wantFailed float64
		wantOver   float64
		wantEnv    string
		// wantRevision: a re-decision counts as a revision, not a run.
		wantRevision float64
	}{
		{"succeeded", metrics.GateRun{RunID: "r-1", Environment: "prod", Trigger: "codedeploy", Status: gate.Succeeded}, 0, 0, "prod", 0},
		{"failed", metrics.GateRun{RunID: "r-2", Environment: "prod", Trigger: "codedeploy", Status: gate.Failed}, 1, 0, "prod", 0},
		{"no status fails closed", metrics.GateRun{RunID: "r-3", Environment: "prod", Trigger: "codedeploy"}, 1, 0, "prod", 0},
		{"overridden", metrics.GateRun{RunID: "r-4", Environment: "prod", Trigger: "codedeploy", Status: gate.Succeeded, Overridden: true}, 0, 1, "prod", 0},
		{"no environment", metrics.GateRun{RunID: "r-5", Trigger: "codedeploy", Status: gate.Failed}, 1, 0, metrics.Unknown, 0},
		{"re-decided", metrics.GateRun{RunID: "r-6", Environment: "prod", Trigger: "codedeploy", Status: gate.Succeeded, Overridden: true, Revision: true}, 0, 1, "prod", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := metrics.GateRecord(at, tt.run)
			if err != nil {
				t.Fatal(err)
			}
			recs := metricstest.Parse(t, out)
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			r := recs[0]
			if r.Timestamp != at.UnixMilli() || r.Namespace != "journeygate" || !reflect.DeepEqual(r.Dimensions, gateSets) {
				t.Errorf("timestamp %d namespace %q sets %v", r.Timestamp, r.Namespace, r.Dimensions)
			}
			if want := map[string]string{"GateVerdicts": "Count", "GateFailed": "Count", "GateOverridden": "Count", "GateRevisions": "Count"}; !reflect.DeepEqual(r.Units, want) {
				t.Errorf("metrics %v, want %v", r.Units, want)
			}
			if want := map[string]float64{"GateVerdicts": 1 - tt.wantRevision, "GateFailed": tt.wantFailed, "GateOverridden": tt.wantOver, "GateRevisions": tt.wantRevision}; !reflect.DeepEqual(r.Values, want) {
				t.Errorf("values %v, want %v", r.Values, want)
			}
			if r.Dim("Environment") != tt.wantEnv || r.Dim("Trigger") != "codedeploy" || r.Dim("RunId") != tt.run.RunID || r.Dim("Status") != string(tt.run.Status) {
				t.Errorf("fields %v", r.Fields)
			}
		})
	}
}

// TestDimensionValuesAreMadeValid: CloudWatch takes printable ASCII up to
// 1024 characters, never empty; an odd step name must not lose the record.
func TestDimensionValuesAreMadeValid(t *testing.T) {
	r := result(journey.ModeEnforce, journey.Passed, journey.Passed, journey.Passed)
	r.Environment = ""
	r.Steps[0].Name = "café\tréponse → \"ok\""
	r.Steps[1].Name = strings.Repeat("x", 2000)
	r.Steps[2].Name = "   "
	out, err := metrics.JourneyRecord(at, metrics.JourneyRun{Result: r, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	recs := metricstest.Parse(t, out) // fails on any invalid dimension value
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	want := []string{`caf__r_ponse _ "ok"`, strings.Repeat("x", 1024), metrics.Unknown}
	for i, s := range recs[1:] {
		if s.Dim("Step") != want[i] {
			t.Errorf("step %d reported as %q, want %q", i+1, s.Dim("Step"), want[i])
		}
		if s.Dim("Environment") != metrics.Unknown {
			t.Errorf("empty environment reported as %q, want %q", s.Dim("Environment"), metrics.Unknown)
		}
	}
}

func TestOversizedRecordIsLeftOut(t *testing.T) {
	r := result(journey.ModeEnforce, journey.Passed)
	r.RunID = strings.Repeat("r", 300<<10)
	out, err := metrics.JourneyRecord(at, metrics.JourneyRun{Result: r, Attempts: 1})
	if err == nil || !strings.Contains(err.Error(), "event limit") {
		t.Errorf("err = %v, want the size limit named", err)
	}
	if len(out) != 0 {
		t.Errorf("wrote %d bytes of oversized records", len(out))
	}
}

func TestGolden(t *testing.T) {
	j, err := metrics.JourneyRecord(at, metrics.JourneyRun{Result: result(journey.ModeEnforce, journey.Passed, journey.SLABreach, journey.Skipped), Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := metrics.GateRecord(at, metrics.GateRun{RunID: "20261121T005506Z-b4eb46", Environment: "staging", Trigger: "codedeploy", Status: gate.Failed})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"journey.golden": j, "gate.golden": g} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs (run with -update if intended):\ngot:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

// lineWriter fails the test unless every Write is exactly one line. It
// has no lock of its own: the race detector catches unserialized writes.
type lineWriter struct {
	t     *testing.T
	buf   bytes.Buffer
	calls int
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.calls++
	if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
		w.t.Errorf("a Write of more or less than one line: %q", p)
	}
	return w.buf.Write(p)
}

func TestEmitterConcurrentWritesAreWholeLines(t *testing.T) {
	w := &lineWriter{t: t}
	em := &metrics.Emitter{W: w, Now: func() time.Time { return at }}
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				err = em.Journey(metrics.JourneyRun{Result: result(journey.ModeEnforce, journey.Passed, journey.Passed, journey.Passed), Attempts: 1})
			} else {
				err = em.Gate(metrics.GateRun{RunID: "r", Environment: "prod", Trigger: "schedule", Status: gate.Succeeded})
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recs := metricstest.Parse(t, w.buf.Bytes())
	if want := n/2*4 + n/2; len(recs) != want || w.calls != want {
		t.Errorf("%d records in %d writes, want %d", len(recs), w.calls, want)
	}
	if got := len(metricstest.WithMetric(recs, metrics.GateVerdicts)); got != n/2 {
		t.Errorf("%d gate records, want %d", got, n/2)
	}
	for _, r := range recs {
		if r.Timestamp != at.UnixMilli() {
			t.Errorf("timestamp %d, want Now's %d", r.Timestamp, at.UnixMilli())
		}
	}
}

type failingWriter struct{ calls int }

func (f *failingWriter) Write([]byte) (int, error) {
	f.calls++
	return 0, errors.New("stdout closed")
}

func TestEmitterReturnsWriteErrors(t *testing.T) {
	fw := &failingWriter{}
	em := &metrics.Emitter{W: fw}
	err := em.Journey(metrics.JourneyRun{Result: result(journey.ModeEnforce, journey.Passed, journey.Passed), Attempts: 1})
	if err == nil || !strings.Contains(err.Error(), "stdout closed") || !strings.Contains(err.Error(), "alert-to-notification") {
		t.Errorf("err = %v, want the write error naming the journey", err)
	}
	if fw.calls != 1 {
		t.Errorf("%d writes after a failed write, want to stop at the first", fw.calls)
	}
	if err := em.Gate(metrics.GateRun{RunID: "r-9", Environment: "prod", Trigger: "manual", Status: gate.Failed}); err == nil || !strings.Contains(err.Error(), "r-9") {
		t.Errorf("gate err = %v, want the write error naming the run", err)
	}
}

func TestDisabledEmitterWritesNothing(t *testing.T) {
	var nilEmitter *metrics.Emitter
	for name, em := range map[string]*metrics.Emitter{"nil": nilEmitter, "no writer": {}} {
		if err := em.Journey(metrics.JourneyRun{Result: result(journey.ModeEnforce, journey.Passed)}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := em.Gate(metrics.GateRun{Status: gate.Failed}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEmitterDefaultsToTheClock(t *testing.T) {
	var buf bytes.Buffer
	em := &metrics.Emitter{W: &buf}
	before := time.Now().UnixMilli()
	if err := em.Gate(metrics.GateRun{RunID: "r", Environment: "prod", Trigger: "manual", Status: gate.Succeeded}); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	recs := metricstest.Parse(t, buf.Bytes())
	if len(recs) != 1 || recs[0].Timestamp < before || recs[0].Timestamp > after {
		t.Errorf("records %+v, want one stamped between %d and %d", recs, before, after)
	}
}

func BenchmarkJourneyRecord(b *testing.B) {
	run := metrics.JourneyRun{Result: result(journey.ModeEnforce, journey.Passed, journey.Passed, journey.Passed), Attempts: 1}
	b.Run("JourneyRecord", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := metrics.JourneyRecord(at, run); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Emitter", func(b *testing.B) {
		em := &metrics.Emitter{W: io.Discard, Now: func() time.Time { return at }}
		b.ReportAllocs()
		for b.Loop() {
			if err := em.Journey(run); err != nil {
				b.Fatal(err)
			}
		}
	})
}
