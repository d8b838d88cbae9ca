package runner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// counter counts executions per journey.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) inc(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
	return c.n[name]
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// behaviour returns what the journey's step does on its nth execution.
type behaviour func(n int) error

var (
	passes    behaviour = func(int) error { return nil }
	asserts   behaviour = func(int) error { return journey.Failf("wrong answer") }
	refused   behaviour = func(int) error { return journey.Infra(errors.New("connection refused")) }
	flakyOnce behaviour = func(n int) error {
		if n == 1 {
			return journey.Infra(errors.New("connection reset by peer"))
		}
		return nil
	}
)

// counted is a one-step journey whose step counts its executions in c and
// behaves as b says.
func counted(c *counter, name string, retry journey.Retry, b behaviour) journey.Journey {
	j := testJourney(name, journey.ModeEnforce, func(context.Context, *journey.T) error { return b(c.inc(name)) })
	j.Retry = retry
	return j
}

func TestRunRetriesOnlyFailedJourneys(t *testing.T) {
	tests := []struct {
		name      string
		retry     journey.Retry
		b         behaviour
		runs      int // executions of the journey
		class     journey.Outcome
		attempts  []journey.Outcome // stored, in attempt order
		status    gate.Status
		flaky     int
		summaries []string
	}{
		{
			name: "error once then pass is passed-flaky", b: flakyOnce, runs: 2,
			class: journey.PassedFlaky, attempts: []journey.Outcome{journey.Errored, journey.Passed},
			status: gate.Succeeded, flaky: 1,
			summaries: []string{"Succeeded: 3/3 journeys passed (1 flaky: j passed on attempt 2 after error at step 1/1 (only step))"},
		},
		{
			name: "assertion failure is not retried", b: asserts, runs: 1,
			class: journey.Failed, attempts: []journey.Outcome{journey.Failed}, status: gate.Failed,
			summaries: []string{"Failed: j step 1/1 (only step): failed: wrong answer"},
		},
		{
			name: "assertion failure is retried when the journey says so", b: asserts, runs: 2,
			retry: journey.Retry{On: []journey.Outcome{journey.Failed}},
			class: journey.Failed, attempts: []journey.Outcome{journey.Failed, journey.Failed}, status: gate.Failed,
			summaries: []string{"Failed: j step 1/1 (only step): failed on attempt 2: wrong answer"},
		},
		{
			name: "error is retried up to MaxAttempts, then fails", b: refused, runs: 3,
			retry: journey.Retry{MaxAttempts: 3},
			class: journey.Errored, attempts: []journey.Outcome{journey.Errored, journey.Errored, journey.Errored}, status: gate.Failed,
			summaries: []string{"Failed: j step 1/1 (only step): error on attempt 3: connection refused"},
		},
		{
			name: "MaxAttempts 1 disables retries", b: flakyOnce, runs: 1,
			retry: journey.Retry{MaxAttempts: 1},
			class: journey.Errored, attempts: []journey.Outcome{journey.Errored}, status: gate.Failed,
		},
		{
			name: "a retry policy without error does not retry errors", b: flakyOnce, runs: 1,
			retry: journey.Retry{MaxAttempts: 3, On: []journey.Outcome{journey.Failed}},
			class: journey.Errored, attempts: []journey.Outcome{journey.Errored}, status: gate.Failed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c counter
			var events []journey.Event
			var evMu sync.Mutex
			st := openStore(t)
			js := []journey.Journey{
				counted(&c, "before", journey.Retry{}, passes),
				counted(&c, "j", tt.retry, tt.b),
				counted(&c, "after", journey.Retry{MaxAttempts: 3}, passes),
			}
			out := Run(context.Background(), plan(js...), Deps{Store: st, Observe: func(e journey.Event) {
				evMu.Lock()
				defer evMu.Unlock()
				if e.Journey == "j" && e.Kind == journey.JourneyStarted {
					events = append(events, e)
				}
			}})
			if c.get("j") != tt.runs || c.get("before") != 1 || c.get("after") != 1 {
				t.Errorf("executions before/j/after = %d/%d/%d, want 1/%d/1: only the failed journey runs again",
					c.get("before"), c.get("j"), c.get("after"), tt.runs)
			}
			if out.Verdict.Status != tt.status || out.Verdict.Flaky != tt.flaky {
				t.Errorf("verdict %s with %d flaky (%s), want %s with %d", out.Verdict.Status, out.Verdict.Flaky, out.Verdict.Summary, tt.status, tt.flaky)
			}
			for _, s := range tt.summaries {
				if out.Verdict.Summary != s {
					t.Errorf("summary\n  %q\nwant\n  %q", out.Verdict.Summary, s)
				}
			}
			stored, err := st.Results(context.Background(), out.Run.ID)
			if err != nil {
				t.Fatal(err)
			}
			var mine []journey.Result
			for _, r := range stored {
				if r.Journey == "j" {
					mine = append(mine, r)
				}
			}
			if len(mine) != len(tt.attempts) {
				t.Fatalf("stored %d attempts of j, want %d", len(mine), len(tt.attempts))
			}
			for i, r := range mine {
				if r.Attempt != i+1 || r.Outcome != tt.attempts[i] {
					t.Errorf("stored attempt #%d: attempt %d %s, want attempt %d %s", i, r.Attempt, r.Outcome, i+1, tt.attempts[i])
				}
			}
			if got := journey.Class(mine); got != tt.class {
				t.Errorf("class from the store %s, want %s", got, tt.class)
			}
			if len(out.Results) != len(stored) {
				t.Errorf("returned %d results, stored %d: both hold every attempt", len(out.Results), len(stored))
			}
			if len(events) != tt.runs {
				t.Fatalf("%d start events for j, want %d", len(events), tt.runs)
			}
			for i, e := range events {
				if e.Attempt != i+1 {
					t.Errorf("start event %d has attempt %d", i, e.Attempt)
				}
			}
			rec, err := st.GetRun(context.Background(), out.Run.ID)
			if err != nil || rec.Verdict == nil || rec.Verdict.Flaky != tt.flaky {
				t.Errorf("stored verdict %+v (%v), want %d flaky", rec.Verdict, err, tt.flaky)
			}
		})
	}
}

// An SLA breach is not retried by default: it is the signal the gate exists for.
func TestSLABreachNotRetriedByDefault(t *testing.T) {
	var c counter
	slow := func(ctx context.Context, _ *journey.T) error {
		c.inc("slow")
		<-ctx.Done()
		return ctx.Err()
	}
	j := journey.Journey{Name: "slow", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Steps: []journey.Step{{Name: "arrives", SLA: 20 * time.Millisecond, Do: slow}}}
	out := Run(context.Background(), plan(j), Deps{Store: openStore(t)})
	if c.get("slow") != 1 || out.Verdict.Status != gate.Failed || len(out.Results) != 1 || out.Results[0].Outcome != journey.SLABreach {
		t.Errorf("%d executions, verdict %s, results %d: an sla-breach must not be retried unless the journey says so", c.get("slow"), out.Verdict.Summary, len(out.Results))
	}
	j.Retry = journey.Retry{On: []journey.Outcome{journey.SLABreach}}
	out = Run(context.Background(), plan(j), Deps{Store: openStore(t)})
	if c.get("slow") != 3 || len(out.Results) != 2 {
		t.Errorf("with retry.on sla-breach: %d executions in all, %d results; want 3 and 2", c.get("slow"), len(out.Results))
	}
}

func TestExecuteAttempts(t *testing.T) {
	t.Run("record renumbers and numbering follows", func(t *testing.T) {
		var c counter
		j := counted(&c, "j", journey.Retry{MaxAttempts: 3}, refused)
		var recorded []int
		got, err := ExecuteAttempts(context.Background(), j, journey.Options{Attempt: 4}, Attempts{
			Record: func(r journey.Result) (journey.Result, error) {
				if r.Attempt == 4 {
					r.Attempt = 5 // another invocation took 4
				}
				recorded = append(recorded, r.Attempt)
				return r, nil
			},
		})
		if err != nil || len(got) != 3 || got[0].Attempt != 5 || got[1].Attempt != 6 || got[2].Attempt != 7 {
			t.Errorf("attempts %v, err %v; want 5, 6, 7", recorded, err)
		}
	})
	t.Run("record error ends the attempts", func(t *testing.T) {
		var c counter
		j := counted(&c, "j", journey.Retry{MaxAttempts: 3}, refused)
		down := errors.New("store down")
		got, err := ExecuteAttempts(context.Background(), j, journey.Options{}, Attempts{
			Record: func(r journey.Result) (journey.Result, error) { return r, down },
		})
		if !errors.Is(err, down) || len(got) != 1 || c.get("j") != 1 {
			t.Errorf("err %v, %d attempts, %d executions; want the store error after one", err, len(got), c.get("j"))
		}
	})
	t.Run("a use of what the journey does not declare is not retried", func(t *testing.T) {
		var c counter
		j := counted(&c, "j", journey.Retry{MaxAttempts: 3, Delay: journey.NoRetryDelay}, func(int) error { return nil })
		j.Targets = []string{"shop"}
		j.Steps[0].Do = func(ctx context.Context, t *journey.T) error {
			c.inc("j")
			_, err := t.HTTP("shpo").Get(ctx, "/")
			return err
		}
		got, _ := ExecuteAttempts(context.Background(), j, journey.Options{Targets: map[string]string{"shop": "http://127.0.0.1:9"}}, Attempts{})
		if len(got) != 1 || c.get("j") != 1 || got[0].Outcome != journey.Errored || got[0].NoRetry == "" {
			t.Fatalf("%d attempts, %d executions, want 1 errored attempt with NoRetry: %+v", len(got), c.get("j"), got)
		}
		if want := `target "shpo" is not declared in journey "j"'s Targets (declared: shop); did you mean "shop"?`; !strings.Contains(got[0].Message, want) {
			t.Errorf("message %q, want it to say %s", got[0].Message, want)
		}
	})
	t.Run("no retry without time for one", func(t *testing.T) {
		var c counter
		j := counted(&c, "j", journey.Retry{MaxAttempts: 3}, refused)
		j.Steps[0].SLA = time.Minute
		got, _ := ExecuteAttempts(context.Background(), j, journey.Options{}, Attempts{Deadline: time.Now().Add(30 * time.Second)})
		if len(got) != 1 || c.get("j") != 1 {
			t.Errorf("%d attempts with 30s left for a 1m journey, want 1", len(got))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got, _ = ExecuteAttempts(ctx, j, journey.Options{}, Attempts{})
		if len(got) != 1 {
			t.Errorf("%d attempts with a 30s context for a 1m journey, want 1", len(got))
		}
	})
	t.Run("delay is waited and a cancelled wait ends the attempts", func(t *testing.T) {
		var c counter
		j := counted(&c, "j", journey.Retry{Delay: 50 * time.Millisecond}, flakyOnce)
		var retried atomic.Int32
		start := time.Now()
		got, _ := ExecuteAttempts(context.Background(), j, journey.Options{}, Attempts{
			OnRetry: func(next int, prev journey.Result) {
				if next == 2 && prev.Outcome == journey.Errored {
					retried.Add(1)
				}
			},
		})
		if len(got) != 2 || journey.Class(got) != journey.PassedFlaky || time.Since(start) < 50*time.Millisecond || retried.Load() != 1 {
			t.Errorf("%d attempts (%s) in %s, OnRetry %d times", len(got), journey.Class(got), time.Since(start), retried.Load())
		}
		var c2 counter
		j = counted(&c2, "j", journey.Retry{Delay: time.Hour}, flakyOnce)
		ctx, cancel := context.WithCancel(context.Background())
		got, _ = ExecuteAttempts(ctx, j, journey.Options{}, Attempts{OnRetry: func(int, journey.Result) { cancel() }})
		if len(got) != 1 || c2.get("j") != 1 {
			t.Errorf("%d attempts after a cancelled wait, want 1", len(got))
		}
	})
}

func TestRunFlakyVerdictNamesTheEarlierAttempt(t *testing.T) {
	var c counter
	out := Run(context.Background(), plan(counted(&c, "alert-grouping", journey.Retry{}, flakyOnce)), Deps{Store: openStore(t)})
	if len(out.Verdict.Flakes) != 1 {
		t.Fatalf("flakes %+v", out.Verdict.Flakes)
	}
	f := out.Verdict.Flakes[0]
	if f.Attempt != 2 || len(f.Earlier) != 1 || f.Earlier[0].Outcome != journey.Errored || f.Earlier[0].Step != "only step" ||
		!strings.Contains(f.Earlier[0].Message, "connection reset by peer") {
		t.Errorf("flake %+v", f)
	}
}

// By default a retry waits about a second (journey.DefaultRetryDelay and
// up to a quarter more), so a blip of the target is ridden out, not met
// again a few milliseconds later.
func TestExecuteAttemptsWaitsBeforeARetry(t *testing.T) {
	var c counter
	j := counted(&c, "j", journey.Retry{}, flakyOnce)
	got, _ := ExecuteAttempts(context.Background(), j, journey.Options{}, Attempts{})
	if len(got) != 2 || journey.Class(got) != journey.PassedFlaky {
		t.Fatalf("%d attempts (%s), want passed-flaky after 2", len(got), journey.Class(got))
	}
	gap := got[1].StartedAt.Sub(got[0].StartedAt.Add(got[0].Elapsed))
	most := j.Retry.MaxWait()
	if gap < journey.DefaultRetryDelay || gap > most+time.Second {
		t.Errorf("attempt 2 started %s after attempt 1 ended, want about %s (at most %s and some slack)", gap, journey.DefaultRetryDelay, most)
	}
}

// No retry starts when the time left cannot hold its wait and the
// journey's SLAs.
func TestExecuteAttemptsCountsTheWait(t *testing.T) {
	var c counter
	j := counted(&c, "j", journey.Retry{Delay: 2 * time.Second}, flakyOnce)
	j.Steps[0].SLA = time.Second
	// 2.5 s left covers the SLA and half the wait, not both.
	got, _ := ExecuteAttempts(context.Background(), j, journey.Options{}, Attempts{Deadline: time.Now().Add(2500 * time.Millisecond)})
	if len(got) != 1 || c.get("j") != 1 {
		t.Errorf("%d attempts with 2.5s left for a 2s wait and a 1s journey, want 1", len(got))
	}
}
