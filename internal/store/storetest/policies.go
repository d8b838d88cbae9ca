package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// PolicyStore is what the gate's policies need of a store: runs, audited
// overrides and verdict revisions.
type PolicyStore interface {
	store.Store
	store.OverrideStore
	store.VerdictReviser
	store.ReportMarker
}

// RunPolicies checks that the stores returned by open behave as
// store.OverrideStore and store.VerdictReviser require, and that
// store.ScheduledResults and store.GatePolicy read what the gate's
// policies need; open must return a fresh, empty store, which RunPolicies
// closes.
func RunPolicies(t *testing.T, open func(t *testing.T) PolicyStore) {
	t.Helper()
	cases := []testCase[PolicyStore]{
		{"OverrideRoundTrip", testOverrideRoundTrip},
		{"OverrideDuplicate", testOverrideDuplicate},
		{"OverrideValidation", testOverrideValidation},
		{"OverrideDeploymentsWithSeparators", testOverrideSeparators},
		{"ConcurrentOverrides", testConcurrentOverrides},
		{"OverridesLeaveRunsAlone", testOverridesLeaveRunsAlone},
		{"ReviseVerdict", testReviseVerdict},
		{"ReviseVerdictErrors", testReviseVerdictErrors},
		{"ConcurrentRevisions", testConcurrentRevisions},
		{"MarkReported", testMarkReported},
		{"ScheduledResults", testScheduledResults},
		{"GatePolicy", testGatePolicy},
	}
	runCases(t, open, cases)
}

func newOverride(deployment, by string, recorded time.Time, ttl time.Duration) gate.Override {
	return gate.Override{
		Deployment: deployment, By: by, Reason: "INC-42: \"überfällig\" known test-data issue\nsecond line",
		At: recorded, ExpiresAt: recorded.Add(ttl),
	}
}

func normOverride(o gate.Override) gate.Override {
	o.At, o.ExpiresAt = utc(o.At), utc(o.ExpiresAt)
	return o
}

func checkOverrides(t *testing.T, what string, got, want []gate.Override) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d overrides, want %d:\n%s", what, len(got), len(want), dump(got))
	}
	for i := range want {
		if g, w := normOverride(got[i]), normOverride(want[i]); g != w {
			t.Errorf("%s[%d]:\ngot:  %s\nwant: %s", what, i, dump(g), dump(w))
		}
	}
}

func mustPutOverride(t *testing.T, s PolicyStore, o gate.Override) {
	t.Helper()
	if err := s.PutOverride(t.Context(), o); err != nil {
		t.Fatalf("PutOverride(%s by %s): %v", o.Deployment, o.By, err)
	}
}

func testOverrideRoundTrip(t *testing.T, s PolicyStore) {
	later := newOverride("d-1", "bob", at(time.Minute), time.Hour)
	first := newOverride("d-1", "alice", at(0).In(pst), 24*time.Hour)
	other := newOverride("d-2", "carol", at(30*time.Second), time.Minute)
	mustPutOverride(t, s, later)
	mustPutOverride(t, s, first)
	mustPutOverride(t, s, other)

	got, err := s.Overrides(t.Context(), "d-1")
	if err != nil {
		t.Fatalf("Overrides(d-1): %v", err)
	}
	checkOverrides(t, "Overrides(d-1), oldest first", got, []gate.Override{first, later})
	got, err = s.Overrides(t.Context(), "d-2")
	if err != nil {
		t.Fatalf("Overrides(d-2): %v", err)
	}
	checkOverrides(t, "Overrides(d-2)", got, []gate.Override{other})
	got, err = s.Overrides(t.Context(), "d-unknown")
	if err != nil || len(got) != 0 {
		t.Errorf("Overrides(unknown) = %v, %v; want none and no error", got, err)
	}
	// An expired override is still returned: applying it is the gate's call.
	expired := newOverride("d-3", "dave", at(-48*time.Hour), time.Hour)
	mustPutOverride(t, s, expired)
	got, err = s.Overrides(t.Context(), "d-3")
	if err != nil {
		t.Fatal(err)
	}
	checkOverrides(t, "Overrides(d-3)", got, []gate.Override{expired})
}

func testOverrideDuplicate(t *testing.T, s PolicyStore) {
	o := newOverride("d-1", "alice", at(0), time.Hour)
	mustPutOverride(t, s, o)
	dup := o
	dup.By, dup.Reason = "mallory", "overwrite the audit trail"
	if err := s.PutOverride(t.Context(), dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second PutOverride with the same deployment and time: %v, want ErrExists", err)
	}
	got, err := s.Overrides(t.Context(), "d-1")
	if err != nil {
		t.Fatal(err)
	}
	checkOverrides(t, "after the duplicate", got, []gate.Override{o})
}

func testOverrideValidation(t *testing.T, s PolicyStore) {
	ok := newOverride("d-1", "alice", at(0), time.Hour)
	tests := []struct {
		name   string
		mutate func(*gate.Override)
	}{
		{"no reason", func(o *gate.Override) { o.Reason = "" }},
		{"blank reason", func(o *gate.Override) { o.Reason = " \t\n" }},
		{"reason too long", func(o *gate.Override) { o.Reason = strings.Repeat("x", gate.MaxOverrideReason+1) }},
		{"no author", func(o *gate.Override) { o.By = "" }},
		{"no deployment", func(o *gate.Override) { o.Deployment = "" }},
		{"deployment with NUL", func(o *gate.Override) { o.Deployment = "d\x001" }},
		{"deployment too long", func(o *gate.Override) { o.Deployment = strings.Repeat("d", store.MaxNameLen+1) }},
		{"zero time", func(o *gate.Override) { o.At = time.Time{} }},
		{"expires before recorded", func(o *gate.Override) { o.ExpiresAt = o.At.Add(-time.Second) }},
		{"lasts over the maximum", func(o *gate.Override) { o.ExpiresAt = o.At.Add(gate.MaxOverrideTTL + time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mutate(&o)
			if err := s.PutOverride(t.Context(), o); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("PutOverride: %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := s.Overrides(t.Context(), ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Overrides(\"\"): %v, want ErrInvalid", err)
	}
	got, err := s.Overrides(t.Context(), "d-1")
	if err != nil || len(got) != 0 {
		t.Errorf("after invalid writes: %v, %v; want nothing stored", got, err)
	}
}

func testOverrideSeparators(t *testing.T, s PolicyStore) {
	names := []string{"d", "d#1", "d/1", "d#", "#d", "d\u00e9"}
	for i, n := range names {
		mustPutOverride(t, s, newOverride(n, fmt.Sprintf("by-%d", i), at(time.Duration(i)*time.Second), time.Hour))
	}
	for i, n := range names {
		got, err := s.Overrides(t.Context(), n)
		if err != nil {
			t.Fatalf("Overrides(%q): %v", n, err)
		}
		if len(got) != 1 || got[0].Deployment != n || got[0].By != fmt.Sprintf("by-%d", i) {
			t.Errorf("Overrides(%q) = %s; want exactly its own", n, dump(got))
		}
	}
}

func testConcurrentOverrides(t *testing.T, s PolicyStore) {
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			errs <- s.PutOverride(t.Context(), newOverride("d-1", fmt.Sprintf("p%d", i), at(time.Duration(i)*time.Millisecond), time.Hour))
		})
		wg.Go(func() { // the same key from a second writer: exactly one wins
			errs <- s.PutOverride(t.Context(), newOverride("d-1", fmt.Sprintf("q%d", i), at(time.Duration(i)*time.Millisecond), time.Hour))
		})
	}
	wg.Wait()
	close(errs)
	won, lost := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, store.ErrExists):
			lost++
		default:
			t.Errorf("PutOverride: %v", err)
		}
	}
	got, err := s.Overrides(t.Context(), "d-1")
	if err != nil {
		t.Fatal(err)
	}
	if won != n || lost != n || len(got) != n {
		t.Fatalf("won %d lost %d stored %d; want %d each", won, lost, len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if !got[i-1].At.Before(got[i].At) {
			t.Errorf("not oldest first: %s", dump(got))
		}
	}
}

func testOverridesLeaveRunsAlone(t *testing.T, s PolicyStore) {
	run := newRun("d-1", "staging", base) // a run whose ID equals a deployment's
	mustCreateRun(t, s, run)
	mustPutResult(t, s, newResult("d-1", "staging", "checkout", 1, at(time.Second)))
	mustPutOverride(t, s, newOverride("d-1", "alice", at(0), time.Hour))
	rec, results, err := store.LoadRun(t.Context(), s, "d-1")
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, "LoadRun", rec, run)
	if len(results) != 1 {
		t.Errorf("LoadRun results: %d, want 1", len(results))
	}
	runs, err := s.RecentRuns(t.Context(), store.RunQuery{})
	if err != nil || len(runs) != 1 {
		t.Errorf("RecentRuns = %v, %v; want the one run", runIDs(runs), err)
	}
	hist, err := s.History(t.Context(), store.HistoryQuery{})
	if err != nil || len(hist) != 1 {
		t.Errorf("History = %d results, %v; want 1", len(hist), err)
	}
}

func normRevision(r store.Revision) store.Revision {
	r.ReplacedAt = utc(r.ReplacedAt)
	r.Verdict = *normVerdictDeep(&r.Verdict)
	return r
}

// normVerdictDeep is normVerdict with the override's times as instants.
func normVerdictDeep(v *gate.Verdict) *gate.Verdict {
	c := normVerdict(v)
	if c != nil && c.Overridden != nil {
		o := normOverride(*c.Overridden)
		c.Overridden = &o
	}
	return c
}

func testReviseVerdict(t *testing.T, s PolicyStore) {
	ctx := t.Context()
	run := newRun("run-1", "staging", base)
	mustCreateRun(t, s, run)
	failed := newVerdict("Failed: checkout step 2/3 (incident created): sla-breach")
	finished := at(time.Minute)
	if err := s.PutVerdict(ctx, "run-1", failed, finished); err != nil {
		t.Fatal(err)
	}
	o := newOverride("d-run-1", "alice", at(2*time.Minute), time.Hour)
	overridden := failed
	overridden.Status, overridden.Overridden = gate.Succeeded, &o
	overridden.Summary = "Succeeded: overridden by alice"
	redecided := at(3 * time.Minute).In(pst)
	if err := s.ReviseVerdict(ctx, "run-1", 0, overridden, redecided, "bob", "overridden by alice: INC-42"); err != nil {
		t.Fatalf("ReviseVerdict: %v", err)
	}
	got, err := s.GetRun(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Trigger != run.Trigger {
		t.Errorf("Trigger = %+v, want %+v kept", got.Trigger, run.Trigger)
	}
	if g, w := normVerdictDeep(got.Verdict), normVerdictDeep(&overridden); !reflect.DeepEqual(g, w) {
		t.Errorf("current verdict:\ngot:  %s\nwant: %s", dump(g), dump(w))
	}
	if !utc(got.FinishedAt).Equal(utc(finished)) {
		t.Errorf("FinishedAt = %v, want the run's finish %v kept", got.FinishedAt, finished)
	}
	want := []store.Revision{{Verdict: failed, ReplacedAt: redecided, By: "bob", Why: "overridden by alice: INC-42"}}
	checkRevisions(t, "after one revision", got.Revisions, want)

	// PutVerdict stays once-only.
	if err := s.PutVerdict(ctx, "run-1", failed, finished); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutVerdict after a revision: %v, want ErrExists", err)
	}
	// A re-decision from a stale read loses.
	if err := s.ReviseVerdict(ctx, "run-1", 0, failed, at(4*time.Minute), "carol", "stale"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("ReviseVerdict with a stale count: %v, want ErrConflict", err)
	}
	// One from a fresh read wins, and the trail grows.
	if err := s.ReviseVerdict(ctx, "run-1", 1, failed, at(5*time.Minute), "carol", "override withdrawn"); err != nil {
		t.Fatalf("second ReviseVerdict: %v", err)
	}
	got, err = s.GetRun(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, store.Revision{Verdict: overridden, ReplacedAt: at(5 * time.Minute), By: "carol", Why: "override withdrawn"})
	checkRevisions(t, "after two revisions", got.Revisions, want)
	if got.Verdict == nil || got.Verdict.Status != gate.Failed {
		t.Errorf("current verdict %v, want the Failed one", got.Verdict)
	}
	// RecentRuns and LoadRun see the same record.
	runs, err := s.RecentRuns(ctx, store.RunQuery{Environment: "staging"})
	if err != nil || len(runs) != 1 {
		t.Fatalf("RecentRuns: %v, %v", runIDs(runs), err)
	}
	checkRevisions(t, "RecentRuns", runs[0].Revisions, want)
	rec, _, err := store.LoadRun(ctx, s, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	checkRevisions(t, "LoadRun", rec.Revisions, want)
}

func checkRevisions(t *testing.T, what string, got, want []store.Revision) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d revisions, want %d:\n%s", what, len(got), len(want), dump(got))
	}
	for i := range want {
		if g, w := normRevision(got[i]), normRevision(want[i]); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: revision %d\ngot:  %s\nwant: %s", what, i, dump(g), dump(w))
		}
	}
}

func testReviseVerdictErrors(t *testing.T, s PolicyStore) {
	ctx := t.Context()
	v := newVerdict("Failed")
	if err := s.ReviseVerdict(ctx, "no-such-run", 0, v, at(0), "bob", "why"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: %v, want ErrNotFound", err)
	}
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	if err := s.ReviseVerdict(ctx, "run-1", 0, v, at(0), "bob", "why"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("run without a verdict: %v, want ErrNotFound", err)
	}
	if err := s.PutVerdict(ctx, "run-1", v, at(time.Second)); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name  string
		seen  int
		v     gate.Verdict
		when  time.Time
		by    string
		why   string
		runID string
	}{
		{"no author", 0, v, at(0), "", "why", "run-1"},
		{"no why", 0, v, at(0), "bob", " ", "run-1"},
		{"bad status", 0, gate.Verdict{Status: "Maybe"}, at(0), "bob", "why", "run-1"},
		{"zero time", 0, v, time.Time{}, "bob", "why", "run-1"},
		{"negative seen", -1, v, at(0), "bob", "why", "run-1"},
		{"too many revisions", store.MaxRevisions, v, at(0), "bob", "why", "run-1"},
		{"empty run ID", 0, v, at(0), "bob", "why", ""},
	}
	for _, b := range bad {
		if err := s.ReviseVerdict(ctx, b.runID, b.seen, b.v, b.when, b.by, b.why); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", b.name, err)
		}
	}
	for i := range store.MaxRevisions {
		if err := s.ReviseVerdict(ctx, "run-1", i, v, at(time.Duration(i)*time.Second), "bob", "again"); err != nil {
			t.Fatalf("revision %d: %v", i+1, err)
		}
	}
	if err := s.ReviseVerdict(ctx, "run-1", store.MaxRevisions, v, at(time.Hour), "bob", "one too many"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("revision past the limit: %v, want ErrInvalid", err)
	}
	got, err := s.GetRun(ctx, "run-1")
	if err != nil || len(got.Revisions) != store.MaxRevisions {
		t.Errorf("revisions %d, %v; want %d", len(got.Revisions), err, store.MaxRevisions)
	}
}

func testConcurrentRevisions(t *testing.T, s PolicyStore) {
	ctx := t.Context()
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	if err := s.PutVerdict(ctx, "run-1", newVerdict("Failed"), at(time.Second)); err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v := newVerdict("Succeeded")
			v.Status = gate.Succeeded
			errs <- s.ReviseVerdict(ctx, "run-1", 0, v, at(time.Duration(i)*time.Second), fmt.Sprintf("p%d", i), "race")
		})
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("ReviseVerdict: %v, want nil or ErrConflict", err)
		}
	}
	got, err := s.GetRun(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(got.Revisions) != 1 || got.Revisions[0].Verdict.Status != gate.Failed {
		t.Fatalf("won %d, revisions %s; want exactly one winner replacing the Failed verdict", won, dump(got.Revisions))
	}
}

// recordRun stores a run with a trigger and results for its journeys.
func recordRun(t *testing.T, s PolicyStore, id, env string, by trigger.Type, started time.Time, results ...journey.Result) {
	t.Helper()
	run := newRun(id, env, started)
	if by != run.Trigger.Type {
		run.Trigger = trigger.Trigger{Type: by}
	}
	mustCreateRun(t, s, run)
	for _, r := range results {
		mustPutResult(t, s, r)
	}
}

func testScheduledResults(t *testing.T, s PolicyStore) {
	ctx := t.Context()
	res := func(run, env, name string, tier journey.Tier, attempt int, started time.Time) journey.Result {
		r := newResult(run, env, name, attempt, started)
		r.Tier = tier
		return r
	}
	// Too old for the window.
	recordRun(t, s, "s-old", "staging", trigger.Schedule, at(-time.Hour), res("s-old", "staging", "checkout", journey.TierGlobal, 1, at(-time.Hour)))
	// In the window: a scheduled run with a global and a domain journey, two attempts.
	recordRun(t, s, "s-new", "staging", trigger.Schedule, at(0),
		res("s-new", "staging", "checkout", journey.TierGlobal, 1, at(time.Second)),
		res("s-new", "staging", "checkout", journey.TierGlobal, 2, at(2*time.Second)),
		res("s-new", "staging", "search", journey.TierDomain, 1, at(time.Second)))
	// In the window but not scheduled, or another environment.
	recordRun(t, s, "cd-1", "staging", trigger.CodeDeploy, at(time.Minute), res("cd-1", "staging", "checkout", journey.TierGlobal, 1, at(time.Minute)))
	recordRun(t, s, "s-prod", "production", trigger.Schedule, at(time.Minute), res("s-prod", "production", "checkout", journey.TierGlobal, 1, at(time.Minute)))

	got, err := store.ScheduledResults(ctx, s, "staging", at(-30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range got {
		labels = append(labels, label(r))
	}
	want := map[string]bool{"s-new/checkout#1": true, "s-new/checkout#2": true}
	if len(labels) != len(want) {
		t.Fatalf("ScheduledResults = %v, want %v", labels, want)
	}
	for _, l := range labels {
		if !want[l] {
			t.Errorf("unexpected %s in %v", l, labels)
		}
	}
	none, err := store.ScheduledResults(ctx, s, "nowhere", time.Time{})
	if err != nil || len(none) != 0 {
		t.Errorf("unknown environment: %v, %v", none, err)
	}
}

func testGatePolicy(t *testing.T, s PolicyStore) {
	ctx := t.Context()
	now := at(10 * time.Minute)
	failing := newResult("s-1", "staging", "checkout", 1, at(time.Second)) // sla-breach, global, enforce
	recordRun(t, s, "s-1", "staging", trigger.Schedule, at(0), failing)
	mustPutOverride(t, s, newOverride("d-deploy", "alice", at(5*time.Minute), time.Hour))

	deploy := newRun("deploy", "staging", at(9*time.Minute)) // Deployment "d-deploy", codedeploy
	mustCreateRun(t, s, deploy)
	p, herr, oerr := store.GatePolicy(ctx, s, deploy, 30*time.Minute, now)
	if herr != nil || oerr != nil {
		t.Fatalf("GatePolicy: %v, %v", herr, oerr)
	}
	if p.Trigger != deploy.Trigger || p.Trigger.Deployment() != "d-deploy" || p.Environment != "staging" || !p.Now.Equal(now) {
		t.Errorf("context %+v", p)
	}
	if p.Freeze == nil || p.Freeze.Window != 30*time.Minute || len(p.Freeze.Scheduled) != 1 || p.Freeze.Scheduled[0].RunID != "s-1" {
		t.Errorf("freeze input %s", dump(p.Freeze))
	}
	if len(p.Overrides) != 1 || p.Overrides[0].By != "alice" {
		t.Errorf("overrides %s", dump(p.Overrides))
	}
	// The decision these inputs give: frozen, and overridden.
	v := gate.Decide(gate.Input{Planned: []gate.Planned{{Name: "x", Mode: journey.ModeEnforce}},
		Results: []journey.Result{{Journey: "x", Attempt: 1, Outcome: journey.Passed}}, Policy: p})
	if v.Status != gate.Succeeded || v.Overridden == nil || len(v.Reasons) != 1 || v.Reasons[0].Policy != gate.PolicyFreeze {
		t.Errorf("decision %s", dump(v))
	}

	// A window of 0 disables the freeze; a scheduled run is never frozen.
	if p, _, _ := store.GatePolicy(ctx, s, deploy, 0, now); p.Freeze != nil {
		t.Errorf("freeze disabled, got %s", dump(p.Freeze))
	}
	sched := newRun("s-2", "staging", now)
	sched.Trigger = trigger.Trigger{Type: trigger.Schedule}
	if p, _, _ := store.GatePolicy(ctx, s, sched, 30*time.Minute, now); p.Freeze != nil || p.Overrides != nil {
		t.Errorf("scheduled run got policy inputs %s", dump(p))
	}
}

// testMarkReported: the first report time is kept, a later mark changes
// nothing, and a run that does not exist is ErrNotFound.
func testMarkReported(t *testing.T, s PolicyStore) {
	ctx := t.Context()
	if err := s.MarkReported(ctx, "no-such-run", at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: %v, want ErrNotFound", err)
	}
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	if err := s.PutVerdict(ctx, "run-1", newVerdict("Failed"), at(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRun(ctx, "run-1"); err != nil || !got.ReportedAt.IsZero() {
		t.Fatalf("before any report: ReportedAt %v, err %v; want zero", got.ReportedAt, err)
	}
	for _, when := range []time.Time{at(2 * time.Second), at(5 * time.Second)} {
		if err := s.MarkReported(ctx, "run-1", when); err != nil {
			t.Fatalf("MarkReported(%v): %v", when, err)
		}
	}
	got, err := s.GetRun(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ReportedAt.Equal(at(2 * time.Second)) {
		t.Errorf("ReportedAt = %v, want the first report's %v", got.ReportedAt, at(2*time.Second))
	}
	if got.Verdict == nil || got.Verdict.Status != "Failed" {
		t.Errorf("marking reported changed the verdict: %+v", got.Verdict)
	}
}
