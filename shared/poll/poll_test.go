package poll_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// recorder is a condition that fails until check number holds (0: never),
// recording when each check started and ended.
type recorder struct {
	holds      int
	start, end []time.Time
}

func (r *recorder) cond(ctx context.Context) error {
	r.start = append(r.start, time.Now())
	defer func() { r.end = append(r.end, time.Now()) }()
	if len(r.start) == r.holds {
		return nil
	}
	return fmt.Errorf("check %d: pending", len(r.start))
}

func (r *recorder) gaps() []time.Duration {
	var out []time.Duration
	for i := 1; i < len(r.start); i++ {
		out = append(out, r.start[i].Sub(r.end[i-1]))
	}
	return out
}

func TestUntil(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		cond    func(calls int) error // calls is 1-based
		block   bool                  // checks after the first wait for the deadline
		check   func(t *testing.T, err error, calls int)
	}{
		{
			name:    "holds at once",
			timeout: time.Second,
			cond:    func(int) error { return nil },
			check: func(t *testing.T, err error, calls int) {
				if err != nil || calls != 1 {
					t.Errorf("err = %v after %d checks, want nil after 1", err, calls)
				}
			},
		},
		{
			name:    "holds at the third check",
			timeout: 5 * time.Second,
			cond: func(n int) error {
				if n == 3 {
					return nil
				}
				return errors.New("pending")
			},
			check: func(t *testing.T, err error, calls int) {
				if err != nil || calls != 3 {
					t.Errorf("err = %v after %d checks, want nil after 3", err, calls)
				}
			},
		},
		{
			name:    "times out with the last observation",
			timeout: 60 * time.Millisecond,
			cond:    func(n int) error { return errors.New("state is pending") },
			check: func(t *testing.T, err error, calls int) {
				var te *poll.TimeoutError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a *TimeoutError", err)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
				}
				if te.Last == nil || te.Last.Error() != "state is pending" {
					t.Errorf("Last = %v, want the last observation", te.Last)
				}
				if te.Attempts != calls || calls < 2 {
					t.Errorf("Attempts = %d, calls = %d; want equal and at least 2", te.Attempts, calls)
				}
				if te.Elapsed < 60*time.Millisecond {
					t.Errorf("Elapsed = %s, before the deadline", te.Elapsed)
				}
				want := "state is pending (the last of "
				if got := err.Error(); !strings.HasPrefix(got, want) {
					t.Errorf("Error() = %q, want it to contain %q", got, want)
				}
			},
		},
		{
			name:    "Stop returns its error at once",
			timeout: 5 * time.Second,
			cond: func(n int) error {
				if n == 2 {
					return poll.Stop(errors.New("gone for good"))
				}
				return errors.New("pending")
			},
			check: func(t *testing.T, err error, calls int) {
				if err == nil || err.Error() != "gone for good" || calls != 2 {
					t.Errorf("err = %v after %d checks, want the stopped error after 2", err, calls)
				}
				var te *poll.TimeoutError
				if errors.As(err, &te) {
					t.Error("a stopped poll returned a TimeoutError")
				}
			},
		},
		{
			name:    "a check cut short by the deadline keeps the previous observation",
			timeout: 60 * time.Millisecond,
			block:   true,
			cond: func(n int) error {
				if n == 1 {
					return errors.New("first: pending")
				}
				return errors.New("interrupted") // returned after the deadline
			},
			check: func(t *testing.T, err error, calls int) {
				var te *poll.TimeoutError
				if !errors.As(err, &te) || te.Last == nil || te.Last.Error() != "first: pending" {
					t.Errorf("err = %v, want a timeout whose last observation is the first check's", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			calls := 0
			err := poll.Until(ctx, poll.DefaultBackoff, func(ctx context.Context) error {
				calls++
				if tc.block && calls > 1 {
					<-ctx.Done()
				}
				return tc.cond(calls)
			})
			tc.check(t, err, calls)
		})
	}
}

func TestUntilContextAlreadyDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := poll.Until(ctx, poll.DefaultBackoff, func(context.Context) error { calls++; return nil })
	var te *poll.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("err = %v after %d checks, want a cancelled TimeoutError without checking", err, calls)
	}
}

// The first re-check comes after First; later waits grow by Factor up to
// Max. Timers never fire early, so the lower bounds hold on a busy machine.
func TestUntilBackoff(t *testing.T) {
	tests := []struct {
		name string
		b    poll.Backoff
		want []time.Duration
	}{
		{"default", poll.DefaultBackoff, []time.Duration{5, 10, 20, 20, 20}},
		{"capped", poll.Backoff{First: 2 * time.Millisecond, Max: 8 * time.Millisecond, Factor: 2}, []time.Duration{2, 4, 8, 8, 8}},
		{"constant", poll.Backoff{First: 3 * time.Millisecond, Max: time.Second, Factor: 1}, []time.Duration{3, 3, 3}},
		{"factor below 1 is constant", poll.Backoff{First: 3 * time.Millisecond, Max: time.Second, Factor: 0.5}, []time.Duration{3, 3, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{holds: len(tc.want) + 1}
			if err := poll.Until(context.Background(), tc.b, r.cond); err != nil {
				t.Fatal(err)
			}
			got := r.gaps()
			if len(got) != len(tc.want) {
				t.Fatalf("gaps = %v, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if got[i] < w*time.Millisecond {
					t.Errorf("gap %d = %s, want at least %s (gaps %v)", i+1, got[i], w*time.Millisecond, got)
				}
			}
			// Upper bound only on the largest wait, with generous slack: a
			// factor below 1 must not shrink the interval to nothing, and it
			// must not grow without bound either.
			if m := slices.Max(got); m > slices.Max(tc.want)*time.Millisecond+500*time.Millisecond {
				t.Errorf("largest gap %s is far past Max", m)
			}
		})
	}
}

// A check slower than the backoff's wait stretches the wait to its own
// duration, so a slow target is checked at most half the time.
func TestUntilWaitsAsLongAsTheCheck(t *testing.T) {
	const took = 30 * time.Millisecond
	r := &recorder{holds: 4}
	slow := func(ctx context.Context) error {
		time.Sleep(took)
		return r.cond(ctx)
	}
	if err := poll.Until(context.Background(), poll.Backoff{First: time.Millisecond, Max: 2 * time.Millisecond, Factor: 2}, slow); err != nil {
		t.Fatal(err)
	}
	// r measures from the end of one check to the start of the next, which
	// includes the next check's sleep before it records its start.
	for i, g := range r.gaps() {
		if g < 2*took {
			t.Errorf("gap %d = %s, want at least %s: the wait after a %s check, then the check's own %s", i+1, g, 2*took, took, took)
		}
	}
}

// TestUntilFirstRecheck: the schedule re-checks soon (DefaultBackoff's
// first wait is under 10 ms, its cap 20 ms), and Until keeps it: each gap
// is at least the schedule's wait (timers never fire early, so this holds
// on a loaded machine too). How soon a re-check comes in practice is a
// benchmark figure (make bench: Eventually detection), not an assertion.
func TestUntilFirstRecheck(t *testing.T) {
	if b := poll.DefaultBackoff; b.First >= 10*time.Millisecond || b.Max > 20*time.Millisecond {
		t.Errorf("DefaultBackoff = %+v: want the first re-check within 10 ms and every 20 ms at most", b)
	}
	b := poll.Backoff{First: 30 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}
	r := &recorder{holds: 3}
	if err := poll.Until(context.Background(), b, r.cond); err != nil {
		t.Fatal(err)
	}
	gaps := r.gaps()
	if len(gaps) != 2 {
		t.Fatalf("%d gaps (%v), want 2: between three checks, the third holding", len(gaps), gaps)
	}
	for i, want := range []time.Duration{30 * time.Millisecond, 50 * time.Millisecond} {
		if gaps[i] < want {
			t.Errorf("gap %d = %s, before the schedule's %s (all %v)", i, gaps[i], want, gaps)
		}
	}
}

func TestNever(t *testing.T) {
	const window = 100 * time.Millisecond
	tests := []struct {
		name    string
		parent  time.Duration // parent deadline; 0: none
		cancel  bool          // cancel the parent at once
		holds   int
		check   func(t *testing.T, err error, elapsed time.Duration)
		minTime time.Duration
	}{
		{
			name:    "returns nil after its window, not before",
			minTime: window,
			check: func(t *testing.T, err error, elapsed time.Duration) {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
			},
		},
		{
			name:  "returns HeldError as soon as the condition holds",
			holds: 2,
			check: func(t *testing.T, err error, elapsed time.Duration) {
				var held *poll.HeldError
				if !errors.As(err, &held) {
					t.Fatalf("err = %v, want a *HeldError", err)
				}
				if held.Window != window || held.After <= 0 || held.After > elapsed {
					t.Errorf("HeldError = %+v, want Window %s and After within %s", held, window, elapsed)
				}
				if elapsed >= window {
					t.Errorf("returned after %s, want before the window ended", elapsed)
				}
			},
		},
		{
			name:   "parent deadline before the window is a timeout",
			parent: 30 * time.Millisecond,
			check: func(t *testing.T, err error, elapsed time.Duration) {
				var te *poll.TimeoutError
				if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want a TimeoutError wrapping DeadlineExceeded", err)
				}
				if te != nil && te.Last == nil {
					t.Error("timeout without the last observation")
				}
			},
		},
		{
			name:   "parent cancelled is a cancelled timeout",
			cancel: true,
			check: func(t *testing.T, err error, elapsed time.Duration) {
				var te *poll.TimeoutError
				if !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want a TimeoutError wrapping Canceled", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.parent > 0 {
				ctx, cancel = context.WithTimeout(ctx, tc.parent)
				defer cancel()
			}
			if tc.cancel {
				cancel()
			}
			r := &recorder{holds: tc.holds}
			start := time.Now()
			err := poll.Never(ctx, window, poll.DefaultBackoff, r.cond)
			elapsed := time.Since(start)
			tc.check(t, err, elapsed)
			if elapsed < tc.minTime {
				t.Errorf("returned after %s, want at least %s", elapsed, tc.minTime)
			}
		})
	}
}

func TestNeverStop(t *testing.T) {
	err := poll.Never(context.Background(), time.Second, poll.DefaultBackoff, func(context.Context) error {
		return poll.Stop(errors.New("cannot observe"))
	})
	if err == nil || err.Error() != "cannot observe" {
		t.Errorf("err = %v, want the stopped error", err)
	}
	if poll.Stop(nil) != nil {
		t.Error("Stop(nil) != nil")
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&poll.TimeoutError{Attempts: 3, Elapsed: 1500 * time.Millisecond, Err: context.DeadlineExceeded}, "not met in 3 checks"},
		{&poll.TimeoutError{Attempts: 2, Elapsed: time.Second, Last: errors.New("x"), Err: context.DeadlineExceeded}, "x (the last of 2 checks)"},
		{&poll.TimeoutError{Attempts: 1, Elapsed: time.Second, Last: errors.New("x"), Err: context.DeadlineExceeded}, "x (the only check)"},
		{&poll.HeldError{After: 250 * time.Millisecond, Window: time.Second}, "happened after 250ms, within the 1s window"},
		{&poll.FaultError{Faults: 5, Attempts: 7, Elapsed: 2 * time.Second, Last: errors.New("dial tcp: connection refused")}, "dial tcp: connection refused (gave up after 5 faults in a row)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

// finalErr is an error type that declares itself final, as a journey's
// failed assertion does.
type finalErr struct{ final bool }

func (e finalErr) Error() string { return fmt.Sprintf("final=%t", e.final) }
func (e finalErr) Final() bool   { return e.final }

// A final error ends the poll at once, wrapped or not; the outermost error
// with a Final method decides, so a wrapper can say "not yet" for a final
// error it holds.
func TestUntilFinal(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		stops     bool
		wantError string
	}{
		{"a final error stops", finalErr{true}, true, "final=true"},
		{"a wrapped final error stops, with its wrapping", fmt.Errorf("listing alerts: %w", finalErr{true}), true, "listing alerts: final=true"},
		{"Stop wrapped in context keeps the context", fmt.Errorf("listing alerts: %w", poll.Stop(errors.New("gone"))), true, "listing alerts: gone"},
		{"an outer Final() false keeps polling", finalErr{false}, false, ""},
		{"a plain error keeps polling", errors.New("pending"), false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			calls := 0
			err := poll.Until(ctx, poll.DefaultBackoff, func(context.Context) error { calls++; return tc.err })
			var te *poll.TimeoutError
			if tc.stops {
				if calls != 1 || err == nil || err.Error() != tc.wantError || errors.As(err, &te) {
					t.Errorf("err = %v after %d checks, want %q after 1", err, calls, tc.wantError)
				}
				if !poll.IsFinal(err) {
					t.Errorf("IsFinal(%v) = false", err)
				}
				return
			}
			if !errors.As(err, &te) || calls < 2 {
				t.Errorf("err = %v after %d checks, want a timeout after several", err, calls)
			}
		})
	}
}

var errRefused = errors.New("connect: connection refused")

func isRefused(err error) bool { return errors.Is(err, errRefused) }

// Faults back off from FaultFirst, doubling up to FaultMax, and MaxFaults
// of them in a row end the poll with a FaultError naming the cause.
func TestUntilFaultsBackOffThenGiveUp(t *testing.T) {
	b := poll.Backoff{First: time.Millisecond, Max: 2 * time.Millisecond, Factor: 2,
		FaultFirst: 10 * time.Millisecond, FaultMax: 40 * time.Millisecond, MaxFaults: 5}
	r := &recorder{}
	cond := func(ctx context.Context) error {
		_ = r.cond(ctx)
		return fmt.Errorf("GET /api: %w", errRefused)
	}
	start := time.Now()
	err := poll.Until(context.Background(), b, cond, poll.OnFault(isRefused))
	var fe *poll.FaultError
	if !errors.As(err, &fe) || fe.Faults != 5 || fe.Attempts != 5 || len(r.start) != 5 {
		t.Fatalf("err = %v (%+v) after %d checks, want a FaultError after 5", err, fe, len(r.start))
	}
	if !errors.Is(err, errRefused) || !strings.HasPrefix(err.Error(), "GET /api: connect: connection refused") {
		t.Errorf("Error() = %q, want it to lead with the cause and unwrap to it", err)
	}
	want := []time.Duration{10, 20, 40, 40}
	for i, g := range r.gaps() {
		if g < want[i]*time.Millisecond {
			t.Errorf("gap %d = %s, want at least %s (gaps %v)", i+1, g, want[i]*time.Millisecond, r.gaps())
		}
	}
	if e := time.Since(start); e < 110*time.Millisecond {
		t.Errorf("gave up after %s, before the backoff's 110ms", e)
	}
}

// An answer between faults resets the run of faults and the fault
// backoff; without OnFault nothing is a fault.
func TestUntilFaultRunResets(t *testing.T) {
	b := poll.Backoff{First: time.Millisecond, Max: time.Millisecond, Factor: 1,
		FaultFirst: time.Millisecond, FaultMax: 2 * time.Millisecond, MaxFaults: 3}
	n := 0
	cond := func(context.Context) error {
		n++
		switch {
		case n == 12:
			return nil
		case n%3 == 0:
			return errors.New("not yet")
		}
		return errRefused
	}
	if err := poll.Until(context.Background(), b, cond, poll.OnFault(isRefused)); err != nil || n != 12 {
		t.Errorf("err = %v after %d checks, want it to hold at 12: two faults in a row never reach MaxFaults 3", err, n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n = 0
	err := poll.Until(ctx, b, func(context.Context) error { n++; return errRefused })
	var te *poll.TimeoutError
	if !errors.As(err, &te) || n <= 3 {
		t.Errorf("without OnFault: err = %v after %d checks, want a timeout after many", err, n)
	}

	n = 0
	b.MaxFaults = -1
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	err = poll.Until(ctx2, b, func(context.Context) error { n++; return errRefused }, poll.OnFault(isRefused))
	if !errors.As(err, &te) || n <= 3 {
		t.Errorf("MaxFaults -1: err = %v after %d checks, want a timeout after many", err, n)
	}
}

// The default fault backoff asks a refusing target a few times a second,
// not fifty, and gives up after DefaultMaxFaults.
func TestUntilDefaultFaultBackoff(t *testing.T) {
	r := &recorder{}
	start := time.Now()
	err := poll.Until(context.Background(), poll.DefaultBackoff, func(ctx context.Context) error {
		_ = r.cond(ctx)
		return errRefused
	}, poll.OnFault(isRefused))
	var fe *poll.FaultError
	if !errors.As(err, &fe) || len(r.start) != poll.DefaultMaxFaults {
		t.Fatalf("err = %v after %d checks, want a FaultError after %d", err, len(r.start), poll.DefaultMaxFaults)
	}
	if e := time.Since(start); e < 1500*time.Millisecond {
		t.Errorf("gave up after %s, want at least 1.5s (100+200+400+800 ms of backoff)", e)
	}
}

func TestEvery(t *testing.T) {
	r := &recorder{holds: 4}
	if err := poll.Until(context.Background(), poll.Every(15*time.Millisecond), r.cond); err != nil {
		t.Fatal(err)
	}
	for i, g := range r.gaps() {
		if g < 15*time.Millisecond {
			t.Errorf("gap %d = %s, want at least the 15ms interval", i+1, g)
		}
	}
}

func TestNeverFault(t *testing.T) {
	b := poll.Backoff{FaultFirst: time.Millisecond, FaultMax: time.Millisecond, MaxFaults: 2}
	err := poll.Never(context.Background(), 5*time.Second, b, func(context.Context) error { return errRefused }, poll.OnFault(isRefused))
	var fe *poll.FaultError
	if !errors.As(err, &fe) {
		t.Errorf("err = %v, want a FaultError", err)
	}
}
