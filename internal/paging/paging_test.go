package paging_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/paging"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// fakeStore is a hand-written paging.Store: one page record per key, the
// results History filters, and errors to return.
type fakeStore struct {
	pages   map[[2]string]store.PageRecord
	results []journey.Result
	// stages holds the stage of each run that has one: a run not in it
	// is a scheduled run, one in runErr is unreadable.
	stages  map[string]trigger.Stage
	runErr  map[string]bool
	getErr  error
	histErr error
	putErr  error
	puts    int
	queries []store.HistoryQuery
}

func (f *fakeStore) LastPage(_ context.Context, env, j string) (store.PageRecord, error) {
	if f.getErr != nil {
		return store.PageRecord{}, f.getErr
	}
	p, ok := f.pages[[2]string{env, j}]
	if !ok {
		return p, fmt.Errorf("page of %s/%s: %w", env, j, store.ErrNotFound)
	}
	return p, nil
}

func (f *fakeStore) PutPage(_ context.Context, p store.PageRecord) error {
	f.puts++
	if f.putErr != nil {
		return f.putErr
	}
	if f.pages == nil {
		f.pages = map[[2]string]store.PageRecord{}
	}
	f.pages[[2]string{p.Environment, p.Journey}] = p
	return nil
}

func (f *fakeStore) History(_ context.Context, q store.HistoryQuery) ([]journey.Result, error) {
	f.queries = append(f.queries, q)
	if f.histErr != nil {
		return nil, f.histErr
	}
	var out []journey.Result
	for _, r := range f.results {
		if r.Journey == q.Journey && r.Environment == q.Environment && !r.StartedAt.Before(q.Since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeStore) GetRun(_ context.Context, id string) (store.RunRecord, error) {
	if f.runErr[id] {
		return store.RunRecord{}, errors.New("throttled")
	}
	tr := trigger.Trigger{Type: trigger.Schedule}
	if st, ok := f.stages[id]; ok {
		tr = trigger.Trigger{Type: trigger.CodeDeploy, Stage: st}
	}
	return store.RunRecord{ID: id, Environment: "production", Trigger: tr}, nil
}

// record stores a result, as the runner does before deciding.
func (f *fakeStore) record(r journey.Result) journey.Result {
	f.results = append(f.results, r)
	return r
}

var t0 = time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)

func result(run string, minute int, o journey.Outcome) journey.Result {
	return journey.Result{RunID: run, Environment: "production", Journey: "checkout", Attempt: 1, Outcome: o, StartedAt: t0.Add(time.Duration(minute) * time.Minute)}
}

// newPager returns a pager over st whose clock reads *clock.
func newPager(t *testing.T, st paging.Store, clock *time.Time) *paging.Pager {
	t.Helper()
	p, err := paging.New(st, paging.WithClock(func() time.Time { return *clock }))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOnePagePerStreak(t *testing.T) {
	type step struct {
		minute int
		o      journey.Outcome
		// page is what a failure must decide (ignored for a pass).
		page bool
		why  string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a streak pages once", []step{
			{0, journey.Failed, true, paging.WhyFirst},
			{1, journey.Failed, false, paging.WhyRepeat},
			{2, journey.SLABreach, false, paging.WhyRepeat},
			{3, journey.Errored, false, paging.WhyRepeat},
		}},
		{"a pass ends the streak", []step{
			{0, journey.Failed, true, paging.WhyFirst},
			{1, journey.Failed, false, paging.WhyRepeat},
			{2, journey.Passed, false, ""},
			{3, journey.Failed, true, paging.WhyRecovered},
			{4, journey.Failed, false, paging.WhyRepeat},
		}},
		{"a reminder every interval", []step{
			{0, journey.Failed, true, paging.WhyFirst},
			{30, journey.Failed, false, paging.WhyRepeat},
			{59, journey.Failed, false, paging.WhyRepeat},
			{60, journey.Failed, true, paging.WhyReminder},
			{61, journey.Failed, false, paging.WhyRepeat},
			{120, journey.Failed, true, paging.WhyReminder},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &fakeStore{}
			var clock time.Time
			p := newPager(t, st, &clock)
			for _, s := range tc.steps {
				res := st.record(result(fmt.Sprintf("run-%d", s.minute), s.minute, s.o))
				if s.o.OK() {
					continue
				}
				clock = res.StartedAt.Add(10 * time.Second)
				d := p.Decide(t.Context(), res)
				if d.Repeat == s.page || d.Why != s.why {
					t.Errorf("minute %d: Repeat %v (%s), want Repeat %v (%s)", s.minute, d.Repeat, d.Why, !s.page, s.why)
				}
				p.Record(t.Context(), d)
			}
		})
	}
}

// TestOnlyALivePassEndsTheStreak: a deployment gate's pass at a
// pre-traffic stage checked the new version through the test targets,
// not the live ones the streak is failing on, so the next scheduled
// failure still repeats; a pass after traffic moved, or one whose run
// cannot be read, ends it.
func TestOnlyALivePassEndsTheStreak(t *testing.T) {
	tests := []struct {
		name   string
		stage  trigger.Stage
		broken bool
		why    string
	}{
		{"a pre-traffic gate pass", trigger.BeforeAllowTraffic, false, paging.WhyRepeat},
		{"an ECS test-traffic gate pass", trigger.PostTestTrafficShift, false, paging.WhyRepeat},
		{"a post-traffic gate pass", trigger.AfterAllowTraffic, false, paging.WhyRecovered},
		{"a scheduled pass", "", false, paging.WhyRecovered},
		{"a pass whose run is unreadable", trigger.BeforeAllowTraffic, true, paging.WhyRecovered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &fakeStore{stages: map[string]trigger.Stage{}, runErr: map[string]bool{}}
			var clock time.Time
			p := newPager(t, st, &clock)
			first := st.record(result("run-0", 0, journey.Failed))
			clock = first.StartedAt
			p.Record(t.Context(), p.Decide(t.Context(), first))
			if tc.stage != "" {
				st.stages["gate-1"] = tc.stage
			}
			st.runErr["gate-1"] = tc.broken
			st.record(result("gate-1", 1, journey.Passed))
			next := st.record(result("run-2", 2, journey.Failed))
			clock = next.StartedAt
			if d := p.Decide(t.Context(), next); d.Why != tc.why || d.Repeat != (tc.why == paging.WhyRepeat) {
				t.Errorf("failure after %s: Repeat %v (%s), want %s", tc.name, d.Repeat, d.Why, tc.why)
			}
		})
	}
}

func TestFailingSinceKeepsTheStreakStart(t *testing.T) {
	st := &fakeStore{}
	var clock time.Time
	p := newPager(t, st, &clock)
	var got []time.Time
	for _, m := range []int{0, 1, 60, 61} {
		res := st.record(result("run", m, journey.Failed))
		clock = res.StartedAt.Add(time.Second)
		d := p.Decide(t.Context(), res)
		got = append(got, d.FailingSince)
		p.Record(t.Context(), d)
	}
	for i, g := range got {
		if !g.Equal(t0) {
			t.Errorf("failure %d: FailingSince %s, want the streak's start %s", i, g, t0)
		}
	}
}

// TestUnpublishedPageIsNoPage checks that a page whose event was not
// published (Record not called) does not make the next failure a repeat.
func TestUnpublishedPageIsNoPage(t *testing.T) {
	st := &fakeStore{}
	var clock time.Time
	p := newPager(t, st, &clock)
	res := st.record(result("run-0", 0, journey.Failed))
	clock = res.StartedAt
	if d := p.Decide(t.Context(), res); d.Repeat {
		t.Fatalf("first failure: repeat (%s)", d.Why)
	}
	res = st.record(result("run-1", 1, journey.Failed))
	clock = res.StartedAt
	if d := p.Decide(t.Context(), res); d.Repeat {
		t.Fatalf("failure after an unpublished page: repeat (%s), want a page", d.Why)
	}
}

func TestDoubtPages(t *testing.T) {
	boom := errors.New("throttled")
	for name, breakIt := range map[string]func(*fakeStore){
		"page record unreadable": func(f *fakeStore) { f.getErr = boom },
		"history unreadable":     func(f *fakeStore) { f.histErr = boom },
	} {
		t.Run(name, func(t *testing.T) {
			st := &fakeStore{}
			var clock time.Time
			p := newPager(t, st, &clock)
			res := st.record(result("run-0", 0, journey.Failed))
			clock = res.StartedAt
			d := p.Decide(t.Context(), res)
			p.Record(t.Context(), d)
			breakIt(st)
			res = st.record(result("run-1", 1, journey.Failed))
			clock = res.StartedAt
			if d := p.Decide(t.Context(), res); d.Repeat || d.Why != paging.WhyStore {
				t.Errorf("Decide with the store failing: Repeat %v (%s), want a page (%s)", d.Repeat, d.Why, paging.WhyStore)
			}
		})
	}
	t.Run("record not written", func(t *testing.T) {
		st := &fakeStore{putErr: boom}
		var clock time.Time
		p := newPager(t, st, &clock)
		for m := range 2 {
			res := st.record(result(fmt.Sprint("run-", m), m, journey.Failed))
			clock = res.StartedAt
			d := p.Decide(t.Context(), res)
			if d.Repeat {
				t.Errorf("minute %d: repeat although no page record was written", m)
			}
			p.Record(t.Context(), d)
		}
		if st.puts != 2 {
			t.Errorf("%d PutPage calls, want 2 (one per page)", st.puts)
		}
	})
}

// TestHistoryReadsFromTheLastFailure pins what Decide asks the store: one
// History of the journey in the environment since the newest failure the
// record saw, so a long streak reads only what came since the last run.
func TestHistoryReadsFromTheLastFailure(t *testing.T) {
	st := &fakeStore{}
	var clock time.Time
	p := newPager(t, st, &clock)
	for m := range 3 {
		res := st.record(result(fmt.Sprint("run-", m), m, journey.Failed))
		clock = res.StartedAt
		p.Record(t.Context(), p.Decide(t.Context(), res))
	}
	want := []store.HistoryQuery{
		{Journey: "checkout", Environment: "production", Since: t0},
		{Journey: "checkout", Environment: "production", Since: t0.Add(time.Minute)},
	}
	if len(st.queries) != len(want) {
		t.Fatalf("History queries %+v, want %+v", st.queries, want)
	}
	for i := range want {
		if st.queries[i] != want[i] {
			t.Errorf("History query %d: %+v, want %+v", i, st.queries[i], want[i])
		}
	}
}

func TestOtherJourneysAndEnvironmentsAreTheirOwnStreaks(t *testing.T) {
	st := &fakeStore{}
	var clock time.Time
	p := newPager(t, st, &clock)
	a := st.record(result("run-0", 0, journey.Failed))
	clock = a.StartedAt
	p.Record(t.Context(), p.Decide(t.Context(), a))
	b := a
	b.Journey = "login"
	c := a
	c.Environment = "staging"
	for _, r := range []journey.Result{b, c} {
		if d := p.Decide(t.Context(), st.record(r)); d.Repeat {
			t.Errorf("%s in %s: repeat of checkout in production's streak", r.Journey, r.Environment)
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := paging.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := paging.New(&fakeStore{}, paging.WithReminder(0)); err == nil {
		t.Error("New with a zero reminder succeeded")
	}
}
