package handler_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/metrics/metricstest"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

var metricsClock = time.Date(2026, 11, 21, 0, 55, 6, 0, time.UTC)

// metricsRegistry has a journey for each class: passed, sla-breach (with
// a skipped step), error, and an observe-mode failure.
func metricsRegistry(t *testing.T) *journey.Registry {
	t.Helper()
	mk := func(name string, tier journey.Tier, mode journey.Mode, steps ...journey.Step) journey.Journey {
		return journey.Journey{
			Name: name, Description: name, Tier: tier, Owner: "team", Covers: []string{"payments"},
			Mode: mode, Targets: []string{"api"}, Steps: steps,
		}
	}
	login := func(name string) journey.Step {
		return journey.Step{Name: name, SLA: 2 * time.Second, Do: get("/login")}
	}
	reg, err := journey.NewRegistry(
		mk("checkout", journey.TierGlobal, journey.ModeEnforce, login("login answers"), login("cart answers")),
		mk("slow", journey.TierDomain, journey.ModeEnforce,
			login("login answers"),
			journey.Step{Name: "confirmation arrives", SLA: 50 * time.Millisecond, Do: func(ctx context.Context, _ *journey.T) error {
				<-ctx.Done() // never arrives: the SLA passes
				return ctx.Err()
			}},
			login("receipt answers"),
		),
		mk("broken", journey.TierGlobal, journey.ModeEnforce,
			journey.Step{Name: "dependency answers", SLA: time.Second, Do: func(context.Context, *journey.T) error {
				return journey.Infra(errors.New("connection refused"))
			}},
		),
		mk("observed", journey.TierGlobal, journey.ModeObserve,
			journey.Step{Name: "search answers", SLA: time.Second, Do: get("/search")},
		),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRunEmitsJourneyMetrics(t *testing.T) {
	var out bytes.Buffer
	f := newFixtureWith(t, metricsRegistry(t), runner.WithMetrics(&metrics.Emitter{W: &out, Now: func() time.Time { return metricsClock }}))
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-metrics", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("planning wrote metrics: %s", out.Bytes())
	}
	tests := []struct {
		journey   string
		tier      string
		outcome   journey.Outcome
		success   float64
		breaches  float64
		errors    float64
		wantSteps []string // executed steps, each with a StepDuration record
	}{
		{"checkout", "global", journey.Passed, 1, 0, 0, []string{"login answers", "cart answers"}},
		{"slow", "domain", journey.SLABreach, 0, 1, 0, []string{"login answers", "confirmation arrives"}},
		{"broken", "global", journey.Errored, 0, 0, 1, []string{"dependency answers"}},
		{"observed", "global", journey.Failed, 0, 0, 0, []string{"search answers"}},
	}
	for _, tt := range tests {
		t.Run(tt.journey, func(t *testing.T) {
			out.Reset()
			var sum flow.JourneySummary
			if err := f.invoke(t, runPayload("r-metrics", tt.journey, deploy), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s (%s)", sum.Outcome, tt.outcome, sum.Message)
			}
			res := recorded(t, f, "r-metrics", tt.journey)
			recs := metricstest.Parse(t, out.Bytes())
			if len(recs) != 1+len(tt.wantSteps) {
				t.Fatalf("%d records, want one journey record and %d step records:\n%s", len(recs), len(tt.wantSteps), out.Bytes())
			}
			for _, r := range recs {
				if r.Namespace != metrics.Namespace || r.Timestamp != metricsClock.UnixMilli() {
					t.Errorf("namespace %q timestamp %d", r.Namespace, r.Timestamp)
				}
				if r.Dim(metrics.DimJourney) != tt.journey || r.Dim(metrics.DimEnvironment) != "staging" || r.Dim(metrics.DimTier) != tt.tier || r.Dim("RunId") != "r-metrics" {
					t.Errorf("dimensions %v, want journey %s, environment staging, tier %s", r.Fields, tt.journey, tt.tier)
				}
			}
			j := recs[0]
			if want := [][]string{{"Journey", "Environment", "Tier", "Trigger"}, {"Environment", "Tier", "Trigger"}}; !slices.EqualFunc(j.Dimensions, want, slices.Equal) {
				t.Errorf("journey dimension sets %v, want %v", j.Dimensions, want)
			}
			// The run's trigger as the Map item carries it: alarms watch
			// scheduled runs only, so a gate run must say it is one.
			if got := j.Dim(metrics.DimTrigger); got != string(deploy.Type) {
				t.Errorf("Trigger dimension %q, want %s", got, deploy.Type)
			}
			want := map[string]float64{
				metrics.JourneySuccess:  tt.success,
				metrics.JourneyDuration: float64(res.Elapsed) / float64(time.Millisecond),
				metrics.SLABreaches:     tt.breaches,
				metrics.FlakyPasses:     0,
				metrics.JourneyErrors:   tt.errors,
			}
			for name, v := range want {
				if got, ok := j.Values[name]; !ok || got != v {
					t.Errorf("%s = %v (present %v), want %v", name, got, ok, v)
				}
			}
			if len(j.Values) != len(want) {
				t.Errorf("journey record metrics %v, want exactly %v", j.Values, want)
			}
			var steps []string
			for i, s := range recs[1:] {
				steps = append(steps, s.Dim(metrics.DimStep))
				if s.Units[metrics.StepDuration] != "Milliseconds" || len(s.Values) != 1 {
					t.Errorf("step record %d: metrics %v", i+1, s.Units)
				}
				if want := float64(res.Steps[i].Elapsed) / float64(time.Millisecond); s.Values[metrics.StepDuration] != want {
					t.Errorf("step %s: StepDuration %v, want the recorded %v", s.Dim(metrics.DimStep), s.Values[metrics.StepDuration], want)
				}
			}
			if !slices.Equal(steps, tt.wantSteps) {
				t.Errorf("StepDuration records for %q, want %q", steps, tt.wantSteps)
			}
		})
	}
}

// recorded returns the stored result of name in run that counts: its
// latest attempt.
func recorded(t *testing.T, f *fixture, run, name string) journey.Result {
	t.Helper()
	results, err := f.store.Results(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	var latest *journey.Result
	for i, r := range results {
		if r.Journey == name && (latest == nil || r.Attempt > latest.Attempt) {
			latest = &results[i]
		}
	}
	if latest == nil {
		t.Fatalf("no result of %s recorded", name)
	}
	return *latest
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

func TestMetricsWriteErrorChangesNothing(t *testing.T) {
	var logs bytes.Buffer
	f := newFixtureWith(t, metricsRegistry(t),
		runner.WithMetrics(&metrics.Emitter{W: failingWriter{}}),
		runner.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-mfail", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		journey string
		want    journey.Outcome
	}{{"checkout", journey.Passed}, {"slow", journey.SLABreach}} {
		var sum flow.JourneySummary
		if err := f.invoke(t, runPayload("r-mfail", tt.journey, deploy), &sum); err != nil {
			t.Fatalf("%s: a metrics write error failed the run: %v", tt.journey, err)
		}
		if sum.Journey != tt.journey || sum.Outcome != tt.want || sum.Attempt != 1 {
			t.Errorf("summary %+v, want %s attempt 1", sum, tt.want)
		}
		if res := recorded(t, f, "r-mfail", tt.journey); res.Outcome != tt.want {
			t.Errorf("recorded %s, want %s", res.Outcome, tt.want)
		}
	}
	if !strings.Contains(logs.String(), "journey metrics not written") || !strings.Contains(logs.String(), "stdout closed") {
		t.Errorf("the write error is not logged:\n%s", logs.String())
	}
}

// TestNoMetricsWithoutARecordedResult: metrics follow the recorded result;
// a run whose result cannot be recorded writes none.
func TestNoMetricsWithoutARecordedResult(t *testing.T) {
	f := newFixtureWith(t, metricsRegistry(t))
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-nostore", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	h, err := runner.New(metricsRegistry(t), stagingEnvs(t, f), brokenStore{f.store}, runner.WithMetrics(&metrics.Emitter{W: &out}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(runPayload("r-nostore", "checkout", deploy))); err == nil {
		t.Fatal("want a StoreError")
	}
	if out.Len() != 0 {
		t.Errorf("metrics of an unrecorded result: %s", out.Bytes())
	}
}

// stagingEnvs is an environments configuration of staging against f's target.
func stagingEnvs(t *testing.T, f *fixture) *envconfig.Config {
	t.Helper()
	envs, err := envconfig.Parse("e.yaml", []byte("environments:\n  staging:\n    targets:\n      api: "+f.target.URL+"\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return envs
}
