package journey_test

import (
	"context"
	"errors"
	"slices"
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
	res := execute(t, ctx, j, journey.Options{CleanupTimeout: 3 * time.Second}, 5*time.Second)
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
		t.Errorf("cleanup deadline in %s, want within the 3s CleanupTimeout", deadline)
	}
}

// A cleanup that ignores its context must not hang the run: it is abandoned
// CleanupTimeout + AbandonAfter after it started, and later cleanups run.
func TestCleanupIgnoringContextIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var ranFirst bool
	j := valid("stuck", step("register", sla, func(ctx context.Context, t *journey.T) error {
		t.Cleanup("registered first", func(ctx context.Context) error { ranFirst = true; return nil })
		t.Cleanup("stuck", func(ctx context.Context) error { <-release; return nil })
		return nil
	}))
	start := time.Now()
	res := execute(t, context.Background(), j, journey.Options{
		CleanupTimeout: 50 * time.Millisecond, AbandonAfter: 50 * time.Millisecond,
	}, 5*time.Second)
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Errorf("Execute returned after %s, before CleanupTimeout + AbandonAfter", elapsed)
	}
	if res.Outcome != journey.Passed {
		t.Errorf("outcome = %s, want %s: cleanup never changes it", res.Outcome, journey.Passed)
	}
	if len(res.Cleanup) != 2 {
		t.Fatalf("Cleanup = %+v, want 2 results", res.Cleanup)
	}
	wantContains(t, "stuck cleanup error", res.Cleanup[0].Error, "abandoned")
	if res.Cleanup[1].Error != "" || !ranFirst {
		t.Errorf("cleanup after the abandoned one: ran=%t, error=%q", ranFirst, res.Cleanup[1].Error)
	}
}
