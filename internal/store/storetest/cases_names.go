package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// testNamesWithSeparators uses names containing the characters key schemes
// join with ('#', '/', ':'), and non-ASCII text: no pair of names may be
// confused with another pair, and Results still sorts bytewise.
func testNamesWithSeparators(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("r#1", "a#b", base))
	mustCreateRun(t, s, newRun("r", "a", at(time.Hour)))
	mustCreateRun(t, s, newRun("r#1#000001", "a", at(2*time.Hour)))
	in := []journey.Result{
		newResult("r#1", "a#b", "c", 1, at(time.Minute)),
		newResult("r", "a", "b#c", 1, at(time.Hour+time.Minute)),
		newResult("r", "a", "b", 1, at(time.Hour+2*time.Minute)),
		newResult("r", "a", "b!x", 1, at(time.Hour+3*time.Minute)),
		newResult("r", "a", "b#000001", 2, at(time.Hour+4*time.Minute)),
		newResult("r", "a", "zoë/ünïcode:1", 1, at(time.Hour+5*time.Minute)),
		newResult("r#1#000001", "a", "c", 1, at(2*time.Hour+time.Minute)),
	}
	for _, r := range in {
		mustPutResult(t, s, r)
	}
	got, err := s.Results(t.Context(), "r")
	if err != nil {
		t.Fatalf("Results(r): %v", err)
	}
	checkResults(t, "Results(r) sorts bytewise", got, []journey.Result{in[2], in[3], in[4], in[1], in[5]})
	got, err = s.Results(t.Context(), "r#1")
	if err != nil {
		t.Fatalf("Results(r#1): %v", err)
	}
	checkResults(t, "Results(r#1) keeps to its run", got, in[:1])

	tests := []struct {
		name string
		q    store.HistoryQuery
		want []journey.Result
	}{
		{"env a#b, journey c", store.HistoryQuery{Environment: "a#b", Journey: "c"}, in[:1]},
		{"env a, journey b#c", store.HistoryQuery{Environment: "a", Journey: "b#c"}, in[1:2]},
		{"env a, journey c", store.HistoryQuery{Environment: "a", Journey: "c"}, in[6:7]},
		{"env a#b", store.HistoryQuery{Environment: "a#b"}, in[:1]},
		{"journey c", store.HistoryQuery{Journey: "c"}, []journey.Result{in[6], in[0]}},
		{"journey with unicode", store.HistoryQuery{Journey: "zoë/ünïcode:1"}, in[5:6]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.History(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("History(%+v): %v", tt.q, err)
			}
			checkResults(t, "History", got, tt.want)
		})
	}
	runs, err := s.RecentRuns(t.Context(), store.RunQuery{Environment: "a"})
	if err != nil {
		t.Fatalf("RecentRuns(a): %v", err)
	}
	if ids := runIDs(runs); len(ids) != 2 || ids[0] != "r#1#000001" || ids[1] != "r" {
		t.Errorf("RecentRuns(a) = %v, want [r#1#000001 r]", ids)
	}
}

// testLoadRun checks store.LoadRun, which uses RunReader when the store has it.
func testLoadRun(t *testing.T, s store.Store) {
	run := newRun("run-1", "staging", base)
	mustCreateRun(t, s, run)
	mustCreateRun(t, s, newRun("run-2", "staging", base))
	rs := []journey.Result{
		newResult("run-1", "staging", "login", 1, at(time.Second)),
		newResult("run-1", "staging", "checkout", 1, at(2*time.Second)),
		newResult("run-2", "staging", "checkout", 1, at(3*time.Second)),
	}
	for _, r := range rs {
		mustPutResult(t, s, r)
	}
	v := newVerdict("checkout failed")
	if err := s.PutVerdict(t.Context(), "run-1", v, at(time.Minute)); err != nil {
		t.Fatalf("PutVerdict: %v", err)
	}
	run.Verdict, run.FinishedAt = &v, at(time.Minute)
	gotRun, got, err := store.LoadRun(t.Context(), s, "run-1")
	if err != nil {
		t.Fatalf("LoadRun: %v", err)
	}
	checkRun(t, "LoadRun run", gotRun, run)
	checkResults(t, "LoadRun results", got, []journey.Result{rs[1], rs[0]})
	if _, _, err := store.LoadRun(t.Context(), s, "run-3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LoadRun(unknown) error = %v, want ErrNotFound", err)
	}
	if _, _, err := store.LoadRun(t.Context(), s, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("LoadRun(\"\") error = %v, want ErrInvalid", err)
	}
}
