package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

func testCreateAndGetRun(t *testing.T, s store.Store) {
	want := newRun("run-1", "staging", base.In(pst))
	mustCreateRun(t, s, want)
	got, err := s.GetRun(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	checkRun(t, "GetRun", got, want)
	if !got.FinishedAt.IsZero() || got.Verdict != nil {
		t.Errorf("new run: FinishedAt = %v, Verdict = %v; want zero and nil", got.FinishedAt, got.Verdict)
	}
}

func testGetUnknownRun(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	for _, id := range []string{"run-2", "run-", "run-1 "} {
		if _, err := s.GetRun(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRun(%q) error = %v, want ErrNotFound", id, err)
		}
	}
}

func testDuplicateRun(t *testing.T, s store.Store) {
	first := newRun("run-1", "staging", base)
	mustCreateRun(t, s, first)
	second := newRun("run-1", "production", at(time.Hour))
	if err := s.CreateRun(t.Context(), second); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateRun error = %v, want ErrExists", err)
	}
	got, err := s.GetRun(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	checkRun(t, "after duplicate", got, first)
	runs, err := s.RecentRuns(t.Context(), store.RunQuery{Environment: "production"})
	if err != nil || len(runs) != 0 {
		t.Errorf("RecentRuns(production) = %v, %v; want none: the losing write must leave no trace", runIDs(runs), err)
	}
}

func testResultRoundTrip(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	full := newResult("run-1", "staging", "checkout", 1, at(time.Second).In(pst))
	minimal := newResult("run-1", "staging", "login", 1, at(2*time.Second))
	minimal.Steps, minimal.Cleanup, minimal.Message, minimal.Owner = nil, nil, "", ""
	mustPutResult(t, s, full)
	mustPutResult(t, s, minimal)

	got, err := s.Results(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	checkResults(t, "Results", got, []journey.Result{full, minimal})
	hist, err := s.History(t.Context(), store.HistoryQuery{Journey: "checkout"})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	checkResults(t, "History", hist, []journey.Result{full})
}

func testDuplicateResult(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	first := newResult("run-1", "staging", "checkout", 1, at(time.Second))
	mustPutResult(t, s, first)
	dup := first
	dup.Message, dup.StartedAt = "overwritten", at(time.Hour)
	if err := s.PutResult(t.Context(), dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate PutResult error = %v, want ErrExists", err)
	}
	retry := newResult("run-1", "staging", "checkout", 2, at(time.Minute))
	mustPutResult(t, s, retry)
	got, err := s.Results(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	checkResults(t, "Results", got, []journey.Result{first, retry})
	hist, err := s.History(t.Context(), store.HistoryQuery{})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	checkResults(t, "History (the losing write must add no index entry)", hist, []journey.Result{retry, first})
}

func testResultForUnknownRun(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	r := newResult("run-2", "staging", "checkout", 1, at(time.Second))
	if err := s.PutResult(t.Context(), r); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PutResult for unknown run error = %v, want ErrNotFound", err)
	}
	hist, err := s.History(t.Context(), store.HistoryQuery{})
	if err != nil || len(hist) != 0 {
		t.Errorf("History = %v, %v; want none", labels(hist), err)
	}
}

func testResultEnvironmentMismatch(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	r := newResult("run-1", "production", "checkout", 1, at(time.Second))
	err := s.PutResult(t.Context(), r)
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("PutResult with another environment error = %v, want ErrInvalid", err)
	}
	got, err := s.Results(t.Context(), "run-1")
	if err != nil || len(got) != 0 {
		t.Errorf("Results = %v, %v; want none", labels(got), err)
	}
}

func testVerdictOnce(t *testing.T, s store.Store) {
	run := newRun("run-1", "staging", base)
	mustCreateRun(t, s, run)
	v, finished := newVerdict("checkout failed at step 2/3"), at(time.Minute).In(pst)
	if err := s.PutVerdict(t.Context(), "run-1", v, finished); err != nil {
		t.Fatalf("PutVerdict: %v", err)
	}
	second := newVerdict("second")
	second.Status = "Succeeded"
	if err := s.PutVerdict(t.Context(), "run-1", second, at(time.Hour)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second PutVerdict error = %v, want ErrExists", err)
	}
	got, err := s.GetRun(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	want := run
	want.Verdict, want.FinishedAt = &v, finished
	checkRun(t, "GetRun after verdict", got, want)
}

func testVerdictForUnknownRun(t *testing.T, s store.Store) {
	err := s.PutVerdict(t.Context(), "run-1", newVerdict("x"), at(time.Minute))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PutVerdict for unknown run error = %v, want ErrNotFound", err)
	}
	if _, err := s.GetRun(t.Context(), "run-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun after failed PutVerdict error = %v, want ErrNotFound (no run created)", err)
	}
}
