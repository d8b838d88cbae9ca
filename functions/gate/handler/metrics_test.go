package handler_test

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/metrics/metricstest"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

var metricsClock = time.Date(2026, 11, 21, 0, 55, 6, 0, time.UTC)

// withMetrics makes f's gates write metrics to the returned buffer.
func withMetrics(f *fixture) *bytes.Buffer {
	var out bytes.Buffer
	f.opts = append(f.opts, gatefn.WithMetrics(&metrics.Emitter{W: &out, Now: func() time.Time { return metricsClock }}))
	return &out
}

// checkGateRecord checks out holds exactly one gate record with these values.
func checkGateRecord(t *testing.T, out []byte, env, trigger, status string, failed float64) {
	t.Helper()
	recs := metricstest.Parse(t, out)
	if len(recs) != 1 {
		t.Fatalf("%d records, want exactly one gate record:\n%s", len(recs), out)
	}
	r := recs[0]
	if r.Namespace != metrics.Namespace || r.Timestamp != metricsClock.UnixMilli() {
		t.Errorf("namespace %q timestamp %d", r.Namespace, r.Timestamp)
	}
	if want := [][]string{{"Environment", "Trigger"}, {"Environment"}}; !slices.EqualFunc(r.Dimensions, want, slices.Equal) {
		t.Errorf("dimension sets %v, want %v", r.Dimensions, want)
	}
	if r.Dim(metrics.DimEnvironment) != env || r.Dim(metrics.DimTrigger) != trigger || r.Dim("Status") != status {
		t.Errorf("environment %q trigger %q status %q, want %s %s %s", r.Dim(metrics.DimEnvironment), r.Dim(metrics.DimTrigger), r.Dim("Status"), env, trigger, status)
	}
	want := map[string]float64{metrics.GateVerdicts: 1, metrics.GateFailed: failed, metrics.GateOverridden: 0, metrics.GateRevisions: 0}
	if len(r.Values) != len(want) {
		t.Errorf("metrics %v, want %v", r.Values, want)
	}
	for name, v := range want {
		if got, ok := r.Values[name]; !ok || got != v || r.Units[name] != "Count" {
			t.Errorf("%s = %v %s (present %v), want %v Count", name, got, r.Units[name], ok, v)
		}
	}
}

func TestGateEmitsOneRecordPerDecidedRun(t *testing.T) {
	tests := []struct {
		name       string
		trigger    *trigger.Trigger // nil: the event's CodeDeploy trigger
		results    func(run string) []journey.Result
		wantStatus string
		wantFailed float64
	}{
		{"succeeded", nil, func(run string) []journey.Result {
			return []journey.Result{passed(run, "alert-to-notification"), passed(run, "resolve-lifecycle")}
		}, "Succeeded", 0},
		{"failed", nil, func(run string) []journey.Result {
			return []journey.Result{passed(run, "alert-to-notification"), failedAtStep2(run, "resolve-lifecycle")}
		}, "Failed", 1},
		{"failed by a missing result", nil, func(run string) []journey.Result {
			return []journey.Result{passed(run, "alert-to-notification")}
		}, "Failed", 1},
		{"scheduled run", &trigger.Trigger{Type: trigger.Schedule, Source: "hourly"}, func(run string) []journey.Result {
			return []journey.Result{passed(run, "alert-to-notification"), passed(run, "resolve-lifecycle")}
		}, "Succeeded", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			out := withMetrics(f)
			req := decodeEvent(t, "gate-decide.json")
			if tt.trigger != nil {
				req.Input.Trigger = *tt.trigger
			}
			f.record(t, req, tt.results(req.Input.RunID)...)
			resp, err := f.invoke(t, nil, encode(t, req))
			if err != nil || resp.Status != tt.wantStatus {
				t.Fatalf("response %+v, err %v, want %s", resp, err, tt.wantStatus)
			}
			checkGateRecord(t, out.Bytes(), "staging", string(req.Input.Trigger.Type), tt.wantStatus, tt.wantFailed)
			// A retried gate reports the recorded verdict again but does
			// not count it again.
			again, err := f.invoke(t, nil, encode(t, req))
			if err != nil || !again.AlreadyDecided {
				t.Fatalf("retried gate %+v, err %v, want already decided", again, err)
			}
			checkGateRecord(t, out.Bytes(), "staging", string(req.Input.Trigger.Type), tt.wantStatus, tt.wantFailed)
		})
	}
}

// TestGatePanicCountsAsFailed: the Failed verdict a panic reports is
// counted, once.
func TestGatePanicCountsAsFailed(t *testing.T) {
	f := newFixture(t)
	out := withMetrics(f)
	req := decodeEvent(t, "gate-decide.json")
	f.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	_, err := f.invoke(t, brokenStore{Store: f.store, panics: true}, encode(t, req))
	if err == nil || errorType(err) != "PanicError" {
		t.Fatalf("err = %v, want PanicError", err)
	}
	checkGateRecord(t, out.Bytes(), "staging", "codedeploy", "Failed", 1)
}

func TestInvalidRequestCountsNothing(t *testing.T) {
	f := newFixture(t)
	out := withMetrics(f)
	req := decodeEvent(t, "gate-decide.json")
	req.Input.Trigger.Type = "cron"
	if _, err := f.invoke(t, nil, encode(t, req)); err == nil {
		t.Fatal("want InvalidRequestError")
	}
	if out.Len() != 0 {
		t.Errorf("metrics for a request without a verdict: %s", out.Bytes())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

// TestMetricsWriteErrorKeepsTheVerdict: a broken metrics writer changes
// neither the response nor the report.
func TestMetricsWriteErrorKeepsTheVerdict(t *testing.T) {
	tests := []struct {
		name    string
		results func(run string) []journey.Result
		want    string
	}{
		{"succeeded", func(run string) []journey.Result {
			return []journey.Result{passed(run, "alert-to-notification"), passed(run, "resolve-lifecycle")}
		}, "Succeeded"},
		{"failed", func(run string) []journey.Result {
			return []journey.Result{passed(run, "alert-to-notification"), failedAtStep2(run, "resolve-lifecycle")}
		}, "Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The same run through a gate without metrics, for comparison.
			plain := newFixture(t)
			req := decodeEvent(t, "gate-decide.json")
			plain.record(t, req, tt.results(req.Input.RunID)...)
			want, err := plain.invoke(t, nil, encode(t, req))
			if err != nil {
				t.Fatal(err)
			}

			f := newFixture(t)
			var logs bytes.Buffer
			f.opts = append(f.opts, gatefn.WithMetrics(&metrics.Emitter{W: failingWriter{}}), gatefn.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			f.record(t, req, tt.results(req.Input.RunID)...)
			got, err := f.invoke(t, nil, encode(t, req))
			if err != nil {
				t.Fatalf("a metrics write error failed the gate: %v", err)
			}
			if got != want || got.Status != tt.want {
				t.Errorf("response %+v, want %+v", got, want)
			}
			if !slices.Equal(f.cd.accepted, []string{"d-7GW8E5HQ2:" + tt.want}) || len(f.events.details) != 1 {
				t.Errorf("CodeDeploy accepted %v, events %d; want one %s report and one event", f.cd.accepted, len(f.events.details), tt.want)
			}
			if rec, err := f.store.GetRun(t.Context(), req.Input.RunID); err != nil || rec.Verdict == nil || string(rec.Verdict.Status) != tt.want {
				t.Errorf("recorded verdict %+v (%v), want %s", rec.Verdict, err, tt.want)
			}
			if !strings.Contains(logs.String(), "gate metrics not written") || !strings.Contains(logs.String(), "stdout closed") {
				t.Errorf("the write error is not logged:\n%s", logs.String())
			}
		})
	}
}
