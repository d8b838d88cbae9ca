package poll

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Condition returns nil when it holds; otherwise an error describing what it
// observed instead (that description becomes the last observation).
type Condition func(ctx context.Context) error

// Backoff shapes the intervals between checks.
type Backoff struct {
	// First is the wait before the first re-check.
	First time.Duration
	// Max caps the wait between checks.
	Max time.Duration
	// Factor multiplies the wait after each check.
	Factor float64
}

// DefaultBackoff re-checks after 5 ms, then 10 ms, then every 20 ms, so a
// condition that becomes true is seen within about 20 ms (10 ms at the
// median; issue 7's target is 15 ms). A check that takes longer than the
// wait stretches the wait to its own duration (see Until), so a slow target
// is never checked more than half the time.
var DefaultBackoff = Backoff{First: 5 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}

func (b Backoff) norm() Backoff {
	if b.First <= 0 {
		b.First = DefaultBackoff.First
	}
	if b.Max < b.First {
		b.Max = b.First
	}
	if b.Factor < 1 {
		b.Factor = 1
	}
	return b
}

// TimeoutError is returned when the context ends before the condition held.
// It unwraps to the context's error, so errors.Is(err,
// context.DeadlineExceeded) holds for a deadline.
type TimeoutError struct {
	// Attempts is how many times the condition was checked.
	Attempts int
	// Elapsed is the time spent polling.
	Elapsed time.Duration
	// Last is the last observation (the condition's last error), or nil.
	Last error
	// Err is the context's error.
	Err error
}

func (e *TimeoutError) Error() string {
	checks := fmt.Sprintf("%d checks", e.Attempts)
	if e.Attempts == 1 {
		checks = "1 check"
	}
	if e.Last == nil {
		return fmt.Sprintf("condition not met after %s (%s)", e.Elapsed.Round(time.Millisecond), checks)
	}
	return fmt.Sprintf("condition not met after %s (%s); last observation: %v", e.Elapsed.Round(time.Millisecond), checks, e.Last)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }
func (s *stopError) Unwrap() error { return s.err }

// Stop wraps err so that Until returns it at once instead of polling on.
func Stop(err error) error {
	if err == nil {
		return nil
	}
	return &stopError{err: err}
}

// Until checks cond at once and then with backoff until it returns nil, it
// returns an error wrapped with Stop, or ctx ends (a *TimeoutError). The
// wait after a check is never shorter than the check took: polling spends
// at most half its time checking, however slow the condition is.
func Until(ctx context.Context, b Backoff, cond Condition) error {
	b = b.norm()
	start := time.Now()
	wait := b.First
	var last error
	attempts := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		if err := ctx.Err(); err != nil {
			return &TimeoutError{Attempts: attempts, Elapsed: time.Since(start), Last: last, Err: err}
		}
		attempts++
		began := time.Now()
		err := cond(ctx)
		took := time.Since(began)
		if err == nil {
			return nil
		}
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		// A check cut short by the deadline says nothing new about the
		// system; keep the previous observation in that case.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		timer.Reset(max(wait, took))
		select {
		case <-ctx.Done():
			return &TimeoutError{Attempts: attempts, Elapsed: time.Since(start), Last: last, Err: ctx.Err()}
		case <-timer.C:
		}
		wait = time.Duration(float64(wait) * b.Factor)
		if wait > b.Max {
			wait = b.Max
		}
	}
}

// HeldError is returned by Never when the condition held within the window.
type HeldError struct {
	// After is when, from the start of the window, it was seen.
	After time.Duration
	// Window is the window it had to stay false for.
	Window time.Duration
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("happened after %s, within the %s window", e.After.Round(time.Millisecond), e.Window)
}

// Never checks cond repeatedly for window and returns a *HeldError as soon
// as it holds. It returns nil once the window passes with cond never
// holding, and a *TimeoutError if ctx ends before the window does.
func Never(ctx context.Context, window time.Duration, b Backoff, cond Condition) error {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	err := Until(wctx, b, cond)
	switch {
	case err == nil:
		return &HeldError{After: time.Since(start), Window: window}
	case ctx.Err() != nil:
		var te *TimeoutError
		if errors.As(err, &te) {
			te.Err = ctx.Err()
			return te
		}
		return err
	default:
		var te *TimeoutError
		if errors.As(err, &te) {
			return nil // the window passed without the condition holding
		}
		return err
	}
}
