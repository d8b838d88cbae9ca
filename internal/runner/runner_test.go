package runner

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

func step(do journey.StepFunc) []journey.Step {
	return []journey.Step{{Name: "only step", SLA: time.Second, Do: do}}
}

func testJourney(name string, mode journey.Mode, do journey.StepFunc) journey.Journey {
	return journey.Journey{Name: name, Tier: journey.TierGlobal, Owner: "team", Mode: mode, Steps: step(do)}
}

func pass(context.Context, *journey.T) error { return nil }

func fail(context.Context, *journey.T) error { return journey.Failf("wrong answer") }

// brokenStore wraps a real store and fails the chosen operation.
type brokenStore struct {
	store.Store
	failCreate, failResult, failVerdict bool
}

var errDown = errors.New("store unavailable")

func (b *brokenStore) CreateRun(ctx context.Context, r store.RunRecord) error {
	if b.failCreate {
		return errDown
	}
	return b.Store.CreateRun(ctx, r)
}

func (b *brokenStore) PutResult(ctx context.Context, r journey.Result) error {
	if b.failResult {
		return errDown
	}
	return b.Store.PutResult(ctx, r)
}

func (b *brokenStore) PutVerdict(ctx context.Context, id string, v gate.Verdict, at time.Time) error {
	if b.failVerdict {
		return errDown
	}
	return b.Store.PutVerdict(ctx, id, v, at)
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func plan(js ...journey.Journey) Plan {
	return Plan{RunID: NewRunID(time.Now()), Environment: "local", Journeys: js, Concurrency: 2, Trigger: trigger.Trigger{Type: trigger.Manual}}
}

func TestVerdicts(t *testing.T) {
	cases := []struct {
		name     string
		journeys []journey.Journey
		want     gate.Status
	}{
		{"all pass", []journey.Journey{testJourney("a", journey.ModeEnforce, pass), testJourney("b", journey.ModeEnforce, pass)}, gate.Succeeded},
		{"enforced failure", []journey.Journey{testJourney("a", journey.ModeEnforce, pass), testJourney("b", journey.ModeEnforce, fail)}, gate.Failed},
		{"observe failure does not block", []journey.Journey{testJourney("a", journey.ModeEnforce, pass), testJourney("b", journey.ModeObserve, fail)}, gate.Succeeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			out := Run(context.Background(), plan(tc.journeys...), Deps{Store: st})
			if out.Verdict.Status != tc.want {
				t.Fatalf("verdict %s (%s), want %s", out.Verdict.Status, out.Verdict.Summary, tc.want)
			}
			rec, err := st.GetRun(context.Background(), out.Run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Verdict == nil || rec.Verdict.Status != tc.want {
				t.Fatalf("stored verdict %+v, want %s", rec.Verdict, tc.want)
			}
		})
	}
}

// A gate that cannot keep its record fails closed, whichever write breaks.
func TestStoreFaultsFailClosed(t *testing.T) {
	cases := []struct {
		name   string
		broken brokenStore
		want   string
	}{
		{"run not recorded", brokenStore{failCreate: true}, "recording the run"},
		{"result not recorded", brokenStore{failResult: true}, "recording result of a"},
		{"verdict not recorded", brokenStore{failVerdict: true}, "recording the verdict"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.broken
			b.Store = openStore(t)
			out := Run(context.Background(), plan(testJourney("a", journey.ModeEnforce, pass)), Deps{Store: &b})
			if out.Verdict.Status != gate.Failed {
				t.Fatalf("verdict %s despite a store fault", out.Verdict.Status)
			}
			if !strings.Contains(out.Verdict.Summary, tc.want) {
				t.Errorf("summary %q does not say %q", out.Verdict.Summary, tc.want)
			}
		})
	}
	out := Run(context.Background(), plan(testJourney("a", journey.ModeEnforce, pass)), Deps{})
	if out.Verdict.Status != gate.Failed {
		t.Errorf("no store at all gave %s", out.Verdict.Status)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var running, peak atomic.Int32
	do := func(ctx context.Context, _ *journey.T) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		running.Add(-1)
		return nil
	}
	var js []journey.Journey
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		js = append(js, testJourney(n, journey.ModeEnforce, do))
	}
	p := plan(js...)
	p.Concurrency = 2
	out := Run(context.Background(), p, Deps{Store: openStore(t)})
	if out.Verdict.Status != gate.Succeeded {
		t.Fatalf("verdict %s: %s", out.Verdict.Status, out.Verdict.Summary)
	}
	if got := peak.Load(); got > 2 || got < 1 {
		t.Errorf("peak concurrency %d, want at most 2", got)
	}
}

func TestCancelledRunFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := Run(ctx, plan(testJourney("a", journey.ModeEnforce, func(ctx context.Context, _ *journey.T) error {
		<-ctx.Done()
		return ctx.Err()
	})), Deps{Store: openStore(t)})
	if out.Verdict.Status != gate.Failed {
		t.Fatalf("a cancelled run gave %s", out.Verdict.Status)
	}
}

func TestNewRunIDIsSortableAndUnique(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 15, 0, 0, time.UTC)
	a, b := NewRunID(now), NewRunID(now)
	if a == b {
		t.Errorf("two IDs in the same second collide: %s", a)
	}
	if !strings.HasPrefix(a, "20261121T101500Z-") {
		t.Errorf("ID %s does not start with its UTC time", a)
	}
	if NewRunID(now.Add(time.Second)) < a {
		t.Errorf("later ID sorts first")
	}
}
