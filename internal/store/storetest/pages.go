package storetest

import (
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
)

// RunPages checks that the stores returned by open behave as
// store.PageStore requires; open must return a fresh, empty store, which
// RunPages closes.
func RunPages(t *testing.T, open func(t *testing.T) store.PageStore) {
	t.Helper()
	runCases(t, open, []testCase[store.PageStore]{
		{"NoRecord", testPageNone},
		{"RoundTripAndReplace", testPageReplace},
		{"NamesWithSeparators", testPageSeparators},
		{"Validation", testPageValidation},
		{"NotInHistory", testPageNotListed},
	})
}

func newPage(env, journeyName, runID string, failed time.Time) store.PageRecord {
	return store.PageRecord{Environment: env, Journey: journeyName, RunID: runID, FailedAt: failed, PagedAt: failed.Add(1500 * time.Millisecond), LastFailedAt: failed.Add(time.Minute)}
}

func checkPage(t *testing.T, s store.PageStore, env, journeyName string, want store.PageRecord) {
	t.Helper()
	got, err := s.LastPage(leaseCtx(t), env, journeyName)
	if err != nil {
		t.Fatalf("LastPage(%s, %s): %v", env, journeyName, err)
	}
	if got.Environment != want.Environment || got.Journey != want.Journey || got.RunID != want.RunID ||
		!got.FailedAt.Equal(want.FailedAt) || !got.PagedAt.Equal(want.PagedAt) || !got.LastFailedAt.Equal(want.LastFailedAt) {
		t.Errorf("LastPage(%s, %s):\ngot:  %s\nwant: %s", env, journeyName, dump(got), dump(want))
	}
}

func testPageNone(t *testing.T, s store.PageStore) {
	_, err := s.LastPage(leaseCtx(t), "staging", "checkout")
	wantErr(t, "LastPage of an empty store", err, store.ErrNotFound)
}

func testPageReplace(t *testing.T, s store.PageStore) {
	ctx := leaseCtx(t)
	// A zone far from UTC and full nanoseconds: times are instants.
	first := newPage("staging", "checkout", "run-1", at(0).In(pst))
	if err := s.PutPage(ctx, first); err != nil {
		t.Fatalf("PutPage: %v", err)
	}
	checkPage(t, s, "staging", "checkout", first)
	second := newPage("staging", "checkout", "run-9", at(time.Hour))
	second.LastFailedAt = time.Time{} // optional
	if err := s.PutPage(ctx, second); err != nil {
		t.Fatalf("PutPage replacing: %v", err)
	}
	checkPage(t, s, "staging", "checkout", second)
	// Another journey, another environment: no record.
	for _, k := range [][2]string{{"staging", "login"}, {"production", "checkout"}} {
		_, err := s.LastPage(ctx, k[0], k[1])
		wantErr(t, "LastPage("+k[0]+", "+k[1]+")", err, store.ErrNotFound)
	}
}

func testPageSeparators(t *testing.T, s store.PageStore) {
	ctx := leaseCtx(t)
	a := newPage("a#b", "c", "run-a", at(0))
	b := newPage("a", "b#c", "run-b", at(time.Minute))
	c := newPage("a/b", "c", "run-c", at(2*time.Minute))
	for _, p := range []store.PageRecord{a, b, c} {
		if err := s.PutPage(ctx, p); err != nil {
			t.Fatalf("PutPage(%s, %s): %v", p.Environment, p.Journey, err)
		}
	}
	checkPage(t, s, "a#b", "c", a)
	checkPage(t, s, "a", "b#c", b)
	checkPage(t, s, "a/b", "c", c)
}

func testPageValidation(t *testing.T, s store.PageStore) {
	ctx := leaseCtx(t)
	ok := newPage("staging", "checkout", "run-1", at(0))
	for name, p := range map[string]store.PageRecord{
		"no environment": func() store.PageRecord { p := ok; p.Environment = ""; return p }(),
		"no journey":     func() store.PageRecord { p := ok; p.Journey = ""; return p }(),
		"no run":         func() store.PageRecord { p := ok; p.RunID = ""; return p }(),
		"no FailedAt":    func() store.PageRecord { p := ok; p.FailedAt = time.Time{}; return p }(),
		"no PagedAt":     func() store.PageRecord { p := ok; p.PagedAt = time.Time{}; return p }(),
		"NUL in journey": func() store.PageRecord { p := ok; p.Journey = "a\x00b"; return p }(),
	} {
		wantErr(t, "PutPage with "+name, s.PutPage(ctx, p), store.ErrInvalid)
	}
	_, err := s.LastPage(ctx, "", "checkout")
	wantErr(t, "LastPage without an environment", err, store.ErrInvalid)
	_, err = s.LastPage(ctx, "staging", "")
	wantErr(t, "LastPage without a journey", err, store.ErrInvalid)
}

// testPageNotListed checks that a page record is no run and no result:
// History and RecentRuns, unfiltered and filtered, never list it.
func testPageNotListed(t *testing.T, s store.PageStore) {
	st, ok := s.(store.Store)
	if !ok {
		t.Skip("not a store.Store")
	}
	ctx := leaseCtx(t)
	mustCreateRun(t, st, newRun("run-1", "staging", at(0)))
	mustPutResult(t, st, newResult("run-1", "staging", "checkout", 1, at(0)))
	if err := s.PutPage(ctx, newPage("staging", "checkout", "run-1", at(0))); err != nil {
		t.Fatalf("PutPage: %v", err)
	}
	for _, q := range []store.HistoryQuery{{}, {Environment: "staging"}, {Journey: "checkout"}, {Environment: "staging", Journey: "checkout"}} {
		got, err := st.History(ctx, q)
		if err != nil {
			t.Fatalf("History(%+v): %v", q, err)
		}
		if len(got) != 1 || got[0].RunID != "run-1" {
			t.Errorf("History(%+v) = %s, want only run-1's result", q, dump(labels(got)))
		}
	}
	for _, q := range []store.RunQuery{{}, {Environment: "staging"}} {
		got, err := st.RecentRuns(ctx, q)
		if err != nil {
			t.Fatalf("RecentRuns(%+v): %v", q, err)
		}
		if len(got) != 1 || got[0].ID != "run-1" {
			t.Errorf("RecentRuns(%+v) = %v, want only run-1", q, runIDs(got))
		}
	}
}
