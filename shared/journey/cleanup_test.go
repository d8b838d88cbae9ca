package journey_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

func TestCleanup(t *testing.T) {
	tests := []struct {
		name     string
		end      func(ctx context.Context, t *journey.T) error // how the step ends after registering cleanups
		failing  func(ctx context.Context) error               // the middle cleanup
		want     journey.Outcome
		wantErrs []string // per cleanup result, in run order (c, b, a)
	}{
		{
			name:     "after a pass",
			end:      func(ctx context.Context, t *journey.T) error { return nil },
			want:     journey.Passed,
			wantErrs: []string{"", "", ""},
		},
		{
			name:     "after a failure",
			end:      func(ctx context.Context, t *journey.T) error { return journey.Failf("wrong") },
			want:     journey.Failed,
			wantErrs: []string{"", "", ""},
		},
		{
			name:     "after a panic",
			end:      func(ctx context.Context, t *journey.T) error { panic("boom") },
			want:     journey.Errored,
			wantErrs: []string{"", "", ""},
		},
		{
			name: "after an sla-breach",
			end: func(ctx context.Context, t *journey.T) error {
				<-ctx.Done()
				return ctx.Err()
			},
			want:     journey.SLABreach,
			wantErrs: []string{"", "", ""},
		},
		{
			name:     "a failing cleanup is recorded, outcome unchanged",
			end:      func(ctx context.Context, t *journey.T) error { return nil },
			failing:  func(ctx context.Context) error { return errors.New("delete failed") },
			want:     journey.Passed,
			wantErrs: []string{"", "delete failed", ""},
		},
		{
			name:     "a failing cleanup after a failure keeps the failure",
			end:      func(ctx context.Context, t *journey.T) error { return journey.Failf("wrong") },
			failing:  func(ctx context.Context) error { return errors.New("delete failed") },
			want:     journey.Failed,
			wantErrs: []string{"", "delete failed", ""},
		},
		{
			name:     "a panicking cleanup is recorded and the rest still run",
			end:      func(ctx context.Context, t *journey.T) error { return nil },
			failing:  func(ctx context.Context) error { panic("cleanup boom") },
			want:     journey.Passed,
			wantErrs: []string{"", "panic: cleanup boom", ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var order []string
			mark := func(name string, fn func(context.Context) error) func(context.Context) error {
				return func(ctx context.Context) error {
					mu.Lock()
					order = append(order, name)
					mu.Unlock()
					if fn != nil {
						return fn(ctx)
					}
					return nil
				}
			}
			j := valid("cleans",
				step("register a", sla, func(ctx context.Context, t *journey.T) error {
					t.Cleanup("a", mark("a", nil))
					return nil
				}),
				step("register b and c", sla, func(ctx context.Context, t *journey.T) error {
					t.Cleanup("b", mark("b", tc.failing))
					t.Cleanup("c", mark("c", nil))
					return tc.end(ctx, t)
				}),
				step("never runs", sla, func(ctx context.Context, t *journey.T) error {
					t.Cleanup("d", mark("d", nil))
					return nil
				}),
			)
			if tc.want == journey.Passed {
				j.Steps = j.Steps[:2]
			}
			res := execute(t, context.Background(), j, journey.Options{}, 5*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			if want := []string{"c", "b", "a"}; !slices.Equal(order, want) {
				t.Fatalf("cleanup order = %q, want %q", order, want)
			}
			if len(res.Cleanup) != 3 {
				t.Fatalf("Cleanup results = %+v, want 3", res.Cleanup)
			}
			for i, cr := range res.Cleanup {
				if cr.Name != order[i] {
					t.Errorf("Cleanup[%d].Name = %q, want %q", i, cr.Name, order[i])
				}
				if cr.Error != tc.wantErrs[i] {
					t.Errorf("Cleanup[%d].Error = %q, want %q", i, cr.Error, tc.wantErrs[i])
				}
			}
		})
	}
}

func TestCleanupRunsAfterRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cleanupErr error
	var deadline time.Duration
	ran := false
	j := valid("cancelled", step("cancel the run", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		t.Cleanup("undo", func(ctx context.Context) error {
			ran = true
			cleanupErr = ctx.Err()
			if d, ok := ctx.Deadline(); ok {
				deadline = time.Until(d)
			}
			return nil
		})
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}))
	res := execute(t, ctx, j, journey.Options{CleanupBudget: 3 * time.Second}, 5*time.Second)
	if res.Outcome != journey.Errored {
		t.Errorf("outcome = %s, want %s", res.Outcome, journey.Errored)
	}
	if !ran {
		t.Fatal("cleanup did not run after the run was cancelled")
	}
	if cleanupErr != nil {
		t.Errorf("cleanup ctx.Err() = %v, want a live context", cleanupErr)
	}
	if deadline <= 0 || deadline > 3*time.Second {
		t.Errorf("cleanup deadline in %s, want within the 3s CleanupBudget", deadline)
	}
}

// All of an attempt's cleanups share one budget: a cleanup that ignores its
// context is abandoned when the budget ends, not a grace period later; the
// cleanups after it are recorded as not run; Execute returns within the
// budget; and the journey's duration leaves the cleanup time out.
func TestCleanupBudget(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	const budget = 300 * time.Millisecond
	var ranFirst, ranQuick bool
	j := valid("stuck", step("register", sla, func(ctx context.Context, t *journey.T) error {
		t.Cleanup("registered first", func(ctx context.Context) error { ranFirst = true; return nil })
		t.Cleanup("stuck", func(ctx context.Context) error { <-release; return nil })
		t.Cleanup("quick", func(ctx context.Context) error { ranQuick = true; return nil })
		return nil
	}))
	start := time.Now()
	res := execute(t, context.Background(), j, journey.Options{CleanupBudget: budget, AbandonAfter: 5 * time.Second}, 5*time.Second)
	took := time.Since(start)
	// The stuck cleanup would hold Execute for ever: returning before the
	// 5 s AbandonAfter means the budget, not a step's grace, ended it.
	if took < budget || took >= 5*time.Second {
		t.Errorf("Execute returned after %s, want the %s budget (the 5s AbandonAfter is for steps)", took, budget)
	}
	if res.Outcome != journey.Passed {
		t.Errorf("outcome = %s, want %s: cleanup never changes it", res.Outcome, journey.Passed)
	}
	if res.Elapsed >= budget/2 {
		t.Errorf("Elapsed = %s: the journey's duration must leave its cleanups out", res.Elapsed)
	}
	if res.CleanupElapsed < budget || res.CleanupElapsed > budget+150*time.Millisecond {
		t.Errorf("CleanupElapsed = %s, want about the %s budget", res.CleanupElapsed, budget)
	}
	if len(res.Cleanup) != 3 {
		t.Fatalf("Cleanup = %+v, want 3 results", res.Cleanup)
	}
	if !ranQuick || res.Cleanup[0].Error != "" {
		t.Errorf("the cleanup before the stuck one: ran=%t, error=%q", ranQuick, res.Cleanup[0].Error)
	}
	wantContains(t, "stuck cleanup error", res.Cleanup[1].Error, "cleanup budget of 300ms ran out", "abandoned")
	if ranFirst {
		t.Error("a cleanup ran after the budget was spent")
	}
	wantContains(t, "cleanup after the budget", res.Cleanup[2].Error, "not run", "budget of 300ms was spent")
	if res.Cleanup[2].Elapsed != 0 {
		t.Errorf("a cleanup that did not run took %s", res.Cleanup[2].Elapsed)
	}
}

// A cleanup that honours its context ends when the budget does and says so.
func TestCleanupBudgetEndsContext(t *testing.T) {
	j := valid("slow", step("register", sla, func(ctx context.Context, t *journey.T) error {
		t.Cleanup("slow delete", func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		return nil
	}))
	res := execute(t, context.Background(), j, journey.Options{CleanupBudget: 50 * time.Millisecond}, 5*time.Second)
	if len(res.Cleanup) != 1 {
		t.Fatalf("Cleanup = %+v, want 1 result", res.Cleanup)
	}
	wantContains(t, "cleanup error", res.Cleanup[0].Error, "cleanup budget of 50ms ran out")
}

// The journey's budget applies unless the run sets one; it is validated.
func TestCleanupBudgetOfTheJourney(t *testing.T) {
	j := valid("own budget", step("register", sla, func(ctx context.Context, t *journey.T) error {
		t.Cleanup("slow delete", func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		return nil
	}))
	j.CleanupBudget = 60 * time.Millisecond
	res := execute(t, context.Background(), j, journey.Options{}, 5*time.Second)
	wantContains(t, "cleanup error", res.Cleanup[0].Error, "cleanup budget of 60ms ran out")
	if d := (journey.Journey{}).CleanupBudgetOrDefault(); d != journey.DefaultCleanupBudget {
		t.Errorf("default budget %s, want DefaultCleanupBudget", d)
	}
	for _, b := range []time.Duration{-time.Second, journey.MaxCleanupBudget + time.Second} {
		j.CleanupBudget = b
		if err := journey.Validate([]journey.Journey{j}); err == nil || !strings.Contains(err.Error(), "cleanupBudget") {
			t.Errorf("CleanupBudget %s: Validate = %v, want a cleanupBudget problem", b, err)
		}
	}
}

// A cleanup registered after the cleanups ran (by a step abandoned past
// its deadline) is not run later, nor does it panic.
func TestCleanupRegisteredTooLate(t *testing.T) {
	registered := make(chan struct{})
	late := make(chan struct{})
	ran := false
	j := valid("late", step("ignores its deadline", 20*time.Millisecond, func(ctx context.Context, t *journey.T) error {
		<-late
		t.Cleanup("too late", func(ctx context.Context) error { ran = true; return nil })
		close(registered)
		return nil
	}))
	res := execute(t, context.Background(), j, journey.Options{AbandonAfter: 10 * time.Millisecond}, 5*time.Second)
	close(late)
	<-registered
	if len(res.Cleanup) != 0 || ran {
		t.Errorf("late cleanup: results %+v, ran %t; want neither", res.Cleanup, ran)
	}
}
