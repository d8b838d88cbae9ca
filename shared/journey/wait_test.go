package journey_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

// checks records when each check of a condition started and ended.
type checks struct {
	mu         sync.Mutex
	start, end []time.Time
}

// cond returns a condition that fails until check number holds (1-based;
// 0 never holds), recording every check.
func (c *checks) cond(holds int) journey.Condition {
	return func(ctx context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.start = append(c.start, time.Now())
		defer func() { c.end = append(c.end, time.Now()) }()
		if n := len(c.start); n == holds {
			return nil
		}
		return fmt.Errorf("check %d: still pending", len(c.start))
	}
}

// gaps returns the time between the end of each check and the start of the
// next.
func (c *checks) gaps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(c.start); i++ {
		out = append(out, c.start[i].Sub(c.end[i-1]))
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// Eventually's first re-check comes within 10 ms of the first failed check.
// Timers never fire early but may fire late on a busy machine, so the
// median of several runs is compared.
func TestEventuallyFirstRecheck(t *testing.T) {
	var firsts []time.Duration
	for range 7 {
		var c checks
		j := valid("recheck", step("wait", 5*time.Second, func(ctx context.Context, t *journey.T) error {
			return journey.Eventually(ctx, t, "the condition", c.cond(2))
		}))
		if res := execute(t, context.Background(), j, journey.Options{}, 10*time.Second); res.Outcome != journey.Passed {
			t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
		}
		g := c.gaps()
		if len(g) != 1 {
			t.Fatalf("checks = %d, want 2", len(g)+1)
		}
		firsts = append(firsts, g[0])
	}
	if m := median(firsts); m >= 10*time.Millisecond {
		t.Errorf("median gap between check 1 and check 2 = %s (all: %v), want < 10ms", m, firsts)
	}
}

// With default options, the interval backs off (5, 10 ms, capped at 20 ms)
// rather than hammering the target. Timers never fire early, so these lower
// bounds are safe on a noisy machine.
func TestEventuallyDefaultBackoff(t *testing.T) {
	var c checks
	j := valid("backoff", step("wait", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		return journey.Eventually(ctx, t, "the condition", c.cond(8))
	}))
	if res := execute(t, context.Background(), j, journey.Options{}, 10*time.Second); res.Outcome != journey.Passed {
		t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
	}
	want := []time.Duration{5, 10, 20, 20, 20, 20, 20}
	got := c.gaps()
	if len(got) != len(want) {
		t.Fatalf("gaps = %v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i] < w*time.Millisecond {
			t.Errorf("gap %d = %s, want at least %s (gaps: %v)", i+1, got[i], w*time.Millisecond, got)
		}
	}
}

func TestEventually(t *testing.T) {
	tests := []struct {
		name      string
		sla       time.Duration
		cond      journey.Condition
		want      journey.Outcome
		wantErr   func(t *testing.T, err error)
		maxChecks int // 0: unchecked
	}{
		{
			name: "holds at once",
			sla:  time.Second,
			cond: func(ctx context.Context) error { return nil },
			want: journey.Passed,
		},
		{
			name: "times out with the last observation",
			sla:  100 * time.Millisecond,
			cond: func(ctx context.Context) error { return errors.New("alert still pending") },
			want: journey.SLABreach,
			wantErr: func(t *testing.T, err error) {
				var te *poll.TimeoutError
				if !errors.As(err, &te) {
					t.Fatalf("error %v does not wrap a *poll.TimeoutError", err)
				}
				if te.Last == nil || te.Last.Error() != "alert still pending" {
					t.Errorf("Last = %v, want the last observation", te.Last)
				}
				if te.Attempts < 2 {
					t.Errorf("Attempts = %d, want several checks within 100ms", te.Attempts)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
				}
				wantContains(t, "error", err.Error(), "waiting for the thing: alert still pending (the last of ")
			},
		},
		{
			name: "Stop ends at once with its error",
			sla:  5 * time.Second,
			cond: func(ctx context.Context) error { return journey.Stop(journey.Failf("alert was deleted")) },
			want: journey.Failed,
			wantErr: func(t *testing.T, err error) {
				var te *poll.TimeoutError
				if errors.As(err, &te) {
					t.Errorf("Stop returned a timeout: %v", err)
				}
				wantContains(t, "error", err.Error(), "waiting for the thing: alert was deleted")
			},
			maxChecks: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stepErr error
			var n atomic.Int32
			j := valid("eventually", step("wait", tc.sla, func(ctx context.Context, t *journey.T) error {
				stepErr = journey.Eventually(ctx, t, "the thing", func(ctx context.Context) error {
					n.Add(1)
					return tc.cond(ctx)
				})
				return stepErr
			}))
			res := execute(t, context.Background(), j, journey.Options{}, 10*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			if tc.wantErr != nil {
				tc.wantErr(t, stepErr)
			}
			if tc.maxChecks > 0 && int(n.Load()) > tc.maxChecks {
				t.Errorf("checks = %d, want at most %d", n.Load(), tc.maxChecks)
			}
		})
	}
}

func TestNever(t *testing.T) {
	const window = 150 * time.Millisecond
	tests := []struct {
		name    string
		sla     time.Duration
		holds   int // check number at which the condition holds; 0 never
		want    journey.Outcome
		msg     string
		minTime time.Duration
	}{
		{name: "never holds: passes after the window", sla: time.Second, want: journey.Passed, minTime: window},
		{name: "holds: fails at once", sla: 5 * time.Second, holds: 3, want: journey.Failed, msg: "expected the duplicate never to happen, but it did"},
		{name: "window past the SLA: sla-breach", sla: 60 * time.Millisecond, want: journey.SLABreach, msg: "still pending (the last of "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c checks
			var returned time.Duration
			j := valid("never", step("watch", tc.sla, func(ctx context.Context, t *journey.T) error {
				start := time.Now()
				err := journey.Never(ctx, t, window, "the duplicate", c.cond(tc.holds))
				returned = time.Since(start)
				return err
			}))
			res := execute(t, context.Background(), j, journey.Options{}, 10*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			wantContains(t, "message", res.Message, tc.msg)
			if returned < tc.minTime {
				t.Errorf("Never returned after %s, before its %s window ended", returned, tc.minTime)
			}
			if tc.holds > 0 && returned >= window {
				t.Errorf("Never returned after %s, want as soon as the condition held", returned)
			}
		})
	}
}
