package poll

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Condition returns nil when it holds; otherwise an error describing what it
// observed instead (that description becomes the last observation). An
// error that is final (see Final) ends the poll at once.
type Condition func(ctx context.Context) error

// Backoff shapes the intervals between checks.
type Backoff struct {
	// First is the wait before the first re-check.
	First time.Duration
	// Max caps the wait between checks.
	Max time.Duration
	// Factor multiplies the wait after each check.
	Factor float64
	// FaultFirst is the least wait after a check that ended in a fault
	// (see OnFault), doubling with each fault in a row up to FaultMax
	// (defaults DefaultFaultFirst and DefaultFaultMax): a refusing target
	// is asked a few times a second, not fifty.
	FaultFirst, FaultMax time.Duration
	// MaxFaults is how many faults in a row, with no other observation
	// between them, end the poll with a *FaultError (0: DefaultMaxFaults;
	// negative: never).
	MaxFaults int
}

// DefaultBackoff re-checks after 5 ms, then 10 ms, then every 20 ms, so a
// condition that becomes true is seen within about 20 ms (10 ms at the
// median; issue 7's target is 15 ms). A check that takes longer than the
// wait stretches the wait to its own duration (see Until), so a slow target
// is never checked more than half the time. Faults back off further (see
// Backoff.FaultFirst).
var DefaultBackoff = Backoff{First: 5 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}

// Defaults for a Backoff's fault fields: after a fault the next check waits
// at least 100 ms, then 200 ms, 400 ms, ... up to 2 s; five faults in a row
// (at least 1.5 s of them) end the poll.
const (
	DefaultFaultFirst = 100 * time.Millisecond
	DefaultFaultMax   = 2 * time.Second
	DefaultMaxFaults  = 5
)

// Every returns a Backoff that checks every interval, without backing off
// (faults still back off).
func Every(interval time.Duration) Backoff {
	return Backoff{First: interval, Max: interval, Factor: 1}
}

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
	if b.FaultFirst <= 0 {
		b.FaultFirst = DefaultFaultFirst
	}
	if b.FaultMax < b.FaultFirst {
		b.FaultMax = max(DefaultFaultMax, b.FaultFirst)
	}
	if b.MaxFaults == 0 {
		b.MaxFaults = DefaultMaxFaults
	}
	return b
}

// Option changes how Until and Never poll.
type Option func(*options)

type options struct {
	isFault func(error) bool
}

// OnFault says which observations are faults (an unreachable target, a
// dependency's 5xx) rather than answers: a fault backs off (FaultFirst to
// FaultMax), and MaxFaults of them in a row end the poll with a
// *FaultError. Without it no observation is a fault.
func OnFault(isFault func(error) bool) Option {
	return func(o *options) { o.isFault = isFault }
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

// Error leads with the last observation, the cause, and says how many
// checks it was the last of: "listed 0 alerts, want 1 (the last of 250
// checks)". How long polling took is Elapsed, for reports to show beside
// it, not repeated in the message.
func (e *TimeoutError) Error() string {
	checks := fmt.Sprintf("%d checks", e.Attempts)
	if e.Attempts == 1 {
		checks = "1 check"
	}
	if e.Last == nil {
		return fmt.Sprintf("not met in %s", checks)
	}
	if e.Attempts == 1 {
		return fmt.Sprintf("%v (the only check)", e.Last)
	}
	return fmt.Sprintf("%v (the last of %s)", e.Last, checks)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// FaultError is returned when MaxFaults checks in a row ended in a fault:
// polling on would only hammer a target that does not answer. It unwraps
// to the last fault, the cause, which its message leads with.
type FaultError struct {
	// Faults is how many checks in a row ended in a fault.
	Faults int
	// Attempts is how many times the condition was checked in all.
	Attempts int
	// Elapsed is the time spent polling.
	Elapsed time.Duration
	// Last is the last fault.
	Last error
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("%v (gave up after %d faults in a row)", e.Last, e.Faults)
}

func (e *FaultError) Unwrap() error { return e.Last }

// finaler is an error that says whether polling must stop at once.
type finaler interface{ Final() bool }

// IsFinal reports whether err ends a poll at once: the first error along
// its chain with a Final method (Stop's wrapper, a journey's failed
// assertion, ...) says true.
func IsFinal(err error) bool {
	var f finaler
	return errors.As(err, &f) && f.Final()
}

type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }
func (s *stopError) Unwrap() error { return s.err }
func (s *stopError) Final() bool   { return true }

// Stop wraps err so that Until returns it at once instead of polling on.
func Stop(err error) error {
	if err == nil {
		return nil
	}
	return &stopError{err: err}
}

// Until checks cond at once and then with backoff until it returns nil, it
// returns a final error (see IsFinal; one wrapped with Stop is returned
// unwrapped), MaxFaults faults in a row end it (see OnFault), or ctx ends
// (a *TimeoutError). The wait after a check is never shorter than the
// check took: polling spends at most half its time checking, however slow
// the condition is.
func Until(ctx context.Context, b Backoff, cond Condition, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	b = b.norm()
	start := time.Now()
	wait := b.First
	faultWait := b.FaultFirst
	faults := 0
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
		if IsFinal(err) {
			var stop *stopError
			if errors.As(err, &stop) && stop == err {
				return stop.err
			}
			return err
		}
		// A check cut short by the deadline says nothing new about the
		// system; keep the previous observation in that case.
		cut := ctx.Err() != nil
		if last == nil || !cut {
			last = err
		}
		next := max(wait, took)
		switch {
		case cut:
		case o.isFault != nil && o.isFault(err):
			faults++
			if b.MaxFaults > 0 && faults >= b.MaxFaults {
				return &FaultError{Faults: faults, Attempts: attempts, Elapsed: time.Since(start), Last: err}
			}
			next = max(next, faultWait)
			faultWait = min(faultWait*2, b.FaultMax)
		default:
			faults, faultWait = 0, b.FaultFirst
		}
		timer.Reset(next)
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
// holding, and a *TimeoutError if ctx ends before the window does. A final
// error or a run of faults ends it as in Until.
func Never(ctx context.Context, window time.Duration, b Backoff, cond Condition, opts ...Option) error {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	err := Until(wctx, b, cond, opts...)
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
