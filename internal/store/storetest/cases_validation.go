package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

func testValidation(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	good := newResult("run-1", "staging", "checkout", 1, at(time.Second))
	withRun := func(f func(*store.RunRecord)) func(ctx context.Context) error {
		r := newRun("run-2", "staging", base)
		f(&r)
		return func(ctx context.Context) error { return s.CreateRun(ctx, r) }
	}
	withResult := func(f func(*journey.Result)) func(ctx context.Context) error {
		r := good
		f(&r)
		return func(ctx context.Context) error { return s.PutResult(ctx, r) }
	}
	tests := []struct {
		name  string
		call  func(ctx context.Context) error
		field string
	}{
		{"run without ID", withRun(func(r *store.RunRecord) { r.ID = "" }), "RunRecord.ID"},
		{"run ID with NUL", withRun(func(r *store.RunRecord) { r.ID = "run\x002" }), "RunRecord.ID"},
		{"run ID too long", withRun(func(r *store.RunRecord) { r.ID = strings.Repeat("r", store.MaxNameLen+1) }), "RunRecord.ID"},
		{"run without environment", withRun(func(r *store.RunRecord) { r.Environment = "" }), "RunRecord.Environment"},
		{"run without start", withRun(func(r *store.RunRecord) { r.StartedAt = time.Time{} }), "RunRecord.StartedAt"},
		{"result without run ID", withResult(func(r *journey.Result) { r.RunID = "" }), "Result.RunID"},
		{"result without journey", withResult(func(r *journey.Result) { r.Journey = "" }), "Result.Journey"},
		{"journey with NUL", withResult(func(r *journey.Result) { r.Journey = "check\x00out" }), "Result.Journey"},
		{"journey not UTF-8", withResult(func(r *journey.Result) { r.Journey = "check\xffout" }), "Result.Journey"},
		{"run ID not UTF-8", withRun(func(r *store.RunRecord) { r.ID = "run-\xc3" }), "RunRecord.ID"},
		{"environment not UTF-8", withRun(func(r *store.RunRecord) { r.Environment = "\xfe" }), "RunRecord.Environment"},
		{"attempt 0", withResult(func(r *journey.Result) { r.Attempt = 0 }), "Result.Attempt"},
		{"attempt -1", withResult(func(r *journey.Result) { r.Attempt = -1 }), "Result.Attempt"},
		{"attempt too high", withResult(func(r *journey.Result) { r.Attempt = store.MaxAttempt + 1 }), "Result.Attempt"},
		{"result without environment", withResult(func(r *journey.Result) { r.Environment = "" }), "Result.Environment"},
		{"result without start", withResult(func(r *journey.Result) { r.StartedAt = time.Time{} }), "Result.StartedAt"},
		{"verdict without run ID", func(ctx context.Context) error { return s.PutVerdict(ctx, "", newVerdict("x"), base) }, "runID"},
		{"verdict without status", func(ctx context.Context) error {
			v := newVerdict("x")
			v.Status = ""
			return s.PutVerdict(ctx, "run-1", v, base)
		}, "Verdict.Status"},
		{"verdict without finish", func(ctx context.Context) error { return s.PutVerdict(ctx, "run-1", newVerdict("x"), time.Time{}) }, "finishedAt"},
		{"get run without ID", func(ctx context.Context) error { _, err := s.GetRun(ctx, ""); return err }, "runID"},
		{"results without run ID", func(ctx context.Context) error { _, err := s.Results(ctx, ""); return err }, "runID"},
		{"history journey not UTF-8", func(ctx context.Context) error {
			_, err := s.History(ctx, store.HistoryQuery{Journey: "\xff"})
			return err
		}, "HistoryQuery.Journey"},
		{"history negative limit", func(ctx context.Context) error {
			_, err := s.History(ctx, store.HistoryQuery{Limit: -1})
			return err
		}, "HistoryQuery.Limit"},
		{"recent runs negative limit", func(ctx context.Context) error {
			_, err := s.RecentRuns(ctx, store.RunQuery{Limit: -1})
			return err
		}, "RunQuery.Limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t.Context())
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the field %s", err, tt.field)
			}
		})
	}
	// Nothing invalid was written, and the valid run is untouched.
	runs, err := s.RecentRuns(t.Context(), store.RunQuery{})
	if err != nil || len(runs) != 1 || runs[0].Verdict != nil {
		t.Errorf("after invalid writes RecentRuns = %v, %v; want only run-1 without verdict", runIDs(runs), err)
	}
	if got, err := s.Results(t.Context(), "run-1"); err != nil || len(got) != 0 {
		t.Errorf("after invalid writes Results = %v, %v; want none", labels(got), err)
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"CreateRun":  func() error { return s.CreateRun(ctx, newRun("run-2", "staging", base)) },
		"PutResult":  func() error { return s.PutResult(ctx, newResult("run-1", "staging", "checkout", 1, base)) },
		"PutVerdict": func() error { return s.PutVerdict(ctx, "run-1", gate.Verdict{Status: gate.Succeeded}, base) },
		"GetRun":     func() error { _, err := s.GetRun(ctx, "run-1"); return err },
		"Results":    func() error { _, err := s.Results(ctx, "run-1"); return err },
		"History":    func() error { _, err := s.History(ctx, store.HistoryQuery{}); return err },
		"RecentRuns": func() error { _, err := s.RecentRuns(ctx, store.RunQuery{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with cancelled context: error = %v, want context.Canceled", name, err)
		}
	}
	if _, err := s.GetRun(t.Context(), "run-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun(run-2) error = %v, want ErrNotFound: a cancelled CreateRun must not write", err)
	}
}
