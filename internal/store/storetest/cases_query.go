package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

func testResultsSorted(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	mustCreateRun(t, s, newRun("run-10", "staging", at(time.Hour)))
	mustCreateRun(t, s, newRun("run-2", "staging", at(2*time.Hour)))
	// Inserted out of order; attempt 10 must sort after 2, "b-x" before "bx".
	in := []journey.Result{
		newResult("run-1", "staging", "login", 1, at(1*time.Second)),
		newResult("run-1", "staging", "checkout", 10, at(2*time.Second)),
		newResult("run-1", "staging", "checkout", 2, at(3*time.Second)),
		newResult("run-1", "staging", "bx", 1, at(4*time.Second)),
		newResult("run-1", "staging", "b-x", 1, at(5*time.Second)),
		newResult("run-1", "staging", "checkout", 1, at(6*time.Second)),
		newResult("run-10", "staging", "aaa", 1, at(time.Hour)),
	}
	for _, r := range in {
		mustPutResult(t, s, r)
	}
	got, err := s.Results(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("Results(run-1): %v", err)
	}
	checkResults(t, "Results(run-1)", got, []journey.Result{in[4], in[3], in[5], in[2], in[1], in[0]})

	got, err = s.Results(t.Context(), "run-2")
	if err != nil || len(got) != 0 {
		t.Errorf("Results(run-2) = %v, %v; want none", labels(got), err)
	}
	if _, err := s.Results(t.Context(), "run-3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Results(unknown) error = %v, want ErrNotFound", err)
	}
}

// historyFixture stores three runs in two environments whose names share a
// prefix, and journeys whose names share a prefix; one result is in a zone
// far from UTC. It returns the results keyed by label.
func historyFixture(t *testing.T, s store.Store) map[string]journey.Result {
	mustCreateRun(t, s, newRun("r1", "staging", base))
	mustCreateRun(t, s, newRun("r2", "staging-eu", at(time.Hour)))
	mustCreateRun(t, s, newRun("r3", "staging", at(2*time.Hour)))
	in := []journey.Result{
		newResult("r1", "staging", "checkout", 1, at(1*time.Minute)),
		newResult("r1", "staging", "login", 1, at(2*time.Minute)),
		newResult("r1", "staging", "checkout-v2", 1, at(3*time.Minute)),
		newResult("r1", "staging", "checkout", 2, at(5*time.Minute)),
		newResult("r2", "staging-eu", "checkout", 1, at(time.Hour+time.Minute)),
		newResult("r2", "staging-eu", "login", 1, at(time.Hour+2*time.Minute).In(pst)),
		newResult("r3", "staging", "checkout", 1, at(2*time.Hour+time.Minute)),
		newResult("r3", "staging", "login", 1, at(2*time.Hour+2*time.Minute)),
		newResult("r3", "staging", "checkout-v2", 1, at(2*time.Hour+3*time.Minute)),
	}
	byLabel := map[string]journey.Result{}
	for _, i := range []int{8, 0, 5, 3, 1, 6, 2, 4, 7} { // not in time order
		mustPutResult(t, s, in[i])
		byLabel[label(in[i])] = in[i]
	}
	return byLabel
}

func testHistory(t *testing.T, s store.Store) {
	byLabel := historyFixture(t, s)
	all := []string{"r3/checkout-v2#1", "r3/login#1", "r3/checkout#1", "r2/login#1", "r2/checkout#1",
		"r1/checkout#2", "r1/checkout-v2#1", "r1/login#1", "r1/checkout#1"}
	tests := []struct {
		name string
		q    store.HistoryQuery
		want []string
	}{
		{"all", store.HistoryQuery{}, all},
		{"journey", store.HistoryQuery{Journey: "checkout"}, []string{"r3/checkout#1", "r2/checkout#1", "r1/checkout#2", "r1/checkout#1"}},
		{"environment", store.HistoryQuery{Environment: "staging"}, []string{"r3/checkout-v2#1", "r3/login#1", "r3/checkout#1", "r1/checkout#2", "r1/checkout-v2#1", "r1/login#1", "r1/checkout#1"}},
		{"journey and environment", store.HistoryQuery{Journey: "login", Environment: "staging-eu"}, []string{"r2/login#1"}},
		{"since is inclusive", store.HistoryQuery{Since: at(time.Hour + time.Minute).In(pst)}, all[:5]},
		{"since excludes earlier", store.HistoryQuery{Since: at(time.Hour + time.Minute + 1)}, all[:4]},
		{"limit", store.HistoryQuery{Limit: 2}, all[:2]},
		{"limit above count", store.HistoryQuery{Limit: 100}, all},
		{"all filters", store.HistoryQuery{Journey: "checkout", Environment: "staging", Since: at(2 * time.Minute), Limit: 2}, []string{"r3/checkout#1", "r1/checkout#2"}},
		{"journey name prefix matches nothing", store.HistoryQuery{Journey: "check"}, nil},
		{"environment name prefix matches nothing", store.HistoryQuery{Environment: "stag"}, nil},
		{"unknown journey", store.HistoryQuery{Journey: "signup"}, nil},
		{"since after everything", store.HistoryQuery{Since: at(3 * time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.History(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("History(%+v): %v", tt.q, err)
			}
			var want []journey.Result
			for _, l := range tt.want {
				want = append(want, byLabel[l])
			}
			checkResults(t, "History", got, want)
		})
	}
}

func testRecentRuns(t *testing.T, s store.Store) {
	runs := map[string]store.RunRecord{
		"r1": newRun("r1", "staging", base),
		"r2": newRun("r2", "staging-eu", at(time.Hour)),
		"r3": newRun("r3", "staging", at(2*time.Hour)),
		"r4": newRun("r4", "staging", at(3*time.Hour).In(pst)),
	}
	for _, id := range []string{"r3", "r1", "r4", "r2"} {
		mustCreateRun(t, s, runs[id])
	}
	for i, id := range []string{"r1", "r3"} {
		v, finished := newVerdict("verdict "+id), runs[id].StartedAt.Add(time.Duration(i+1)*time.Minute)
		if err := s.PutVerdict(t.Context(), id, v, finished); err != nil {
			t.Fatalf("PutVerdict(%s): %v", id, err)
		}
		r := runs[id]
		r.Verdict, r.FinishedAt = &v, finished
		runs[id] = r
	}
	tests := []struct {
		name string
		q    store.RunQuery
		want []string
	}{
		{"all", store.RunQuery{}, []string{"r4", "r3", "r2", "r1"}},
		{"environment", store.RunQuery{Environment: "staging"}, []string{"r4", "r3", "r1"}},
		{"other environment", store.RunQuery{Environment: "staging-eu"}, []string{"r2"}},
		{"environment prefix matches nothing", store.RunQuery{Environment: "stag"}, nil},
		{"since is inclusive", store.RunQuery{Since: at(time.Hour)}, []string{"r4", "r3", "r2"}},
		{"limit", store.RunQuery{Limit: 2}, []string{"r4", "r3"}},
		{"all filters", store.RunQuery{Environment: "staging", Since: at(time.Minute), Limit: 1}, []string{"r4"}},
		{"since after everything", store.RunQuery{Since: at(4 * time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.RecentRuns(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("RecentRuns(%+v): %v", tt.q, err)
			}
			if ids := runIDs(got); !slices.Equal(ids, tt.want) && len(ids)+len(tt.want) > 0 {
				t.Fatalf("RecentRuns(%+v) = %v, want %v", tt.q, ids, tt.want)
			}
			for _, r := range got {
				checkRun(t, "RecentRuns "+r.ID, r, runs[r.ID])
			}
		})
	}
}

func testRunIDsWithPrefix(t *testing.T, s store.Store) {
	for i, id := range []string{"run-10", "run-1", "RUN-1", "run-1#x", "run-2", "other"} {
		mustCreateRun(t, s, newRun(id, "staging", at(time.Duration(i)*time.Minute)))
	}
	tests := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"run-1", 0, []string{"run-1", "run-1#x", "run-10"}},
		{"run-1#", 0, []string{"run-1#x"}},
		{"run-", 2, []string{"run-1", "run-1#x"}},
		{"run-2", 0, []string{"run-2"}},
		{"RUN", 0, []string{"RUN-1"}},
		{"run-3", 0, nil},
		{"other-and-more", 0, nil},
	}
	for _, tt := range tests {
		got, err := store.RunIDsWithPrefix(t.Context(), s, tt.prefix, tt.limit)
		if err != nil {
			t.Fatalf("RunIDsWithPrefix(%q, %d): %v", tt.prefix, tt.limit, err)
		}
		if !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
			t.Errorf("RunIDsWithPrefix(%q, %d) = %q, want %q", tt.prefix, tt.limit, got, tt.want)
		}
	}
	for _, bad := range []string{"", "run\x00"} {
		if _, err := store.RunIDsWithPrefix(t.Context(), s, bad, 0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("RunIDsWithPrefix(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
