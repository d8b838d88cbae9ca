package runner

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// Attempts configures ExecuteAttempts beyond the journey's own Retry.
type Attempts struct {
	// Record stores one attempt's result and returns it as stored (a store
	// may renumber it); an error ends the attempts. Nil records nothing.
	Record func(journey.Result) (journey.Result, error)
	// Deadline, when not zero, is when the attempts must be over; ctx's
	// deadline counts the same way. A retry starts only if the time left
	// covers its wait and the journey's summed SLAs, so it can finish.
	Deadline time.Time
	// OnRetry, when set, is told before each retry which attempt comes
	// next and how the previous one ended.
	OnRetry func(next int, prev journey.Result)
}

// ExecuteAttempts runs j with journey.Execute until an attempt passes, ends
// in a class j.Retry does not retry or with NoRetry set, j.Retry.Attempts() attempts have run,
// or no time is left for another (see Attempts.Deadline). opts.Attempt
// numbers the first attempt (default 1); each later one is numbered after
// the previous as recorded. It returns every attempt, oldest first; an
// error only when Record failed, with the attempts up to and including the
// one that could not be recorded.
func ExecuteAttempts(ctx context.Context, j journey.Journey, opts journey.Options, a Attempts) ([]journey.Result, error) {
	if opts.Attempt <= 0 {
		opts.Attempt = 1
	}
	var out []journey.Result
	for n := 1; ; n++ {
		res := journey.Execute(ctx, j, opts)
		if a.Record != nil {
			stored, err := a.Record(res)
			if err != nil {
				return append(out, res), err
			}
			res = stored
		}
		out = append(out, res)
		// The wait before a retry (about a second by default, jittered)
		// rides out a blip of the target instead of meeting it again.
		wait := j.Retry.Wait()
		if res.Outcome.OK() || res.NoRetry != "" || n >= j.Retry.Attempts() || !j.Retry.Retries(res.Outcome) || !roomFor(ctx, a.Deadline, j, wait) {
			return out, nil
		}
		opts.Attempt = res.Attempt + 1
		if a.OnRetry != nil {
			a.OnRetry(opts.Attempt, res)
		}
		if !sleep(ctx, wait) {
			return out, nil
		}
	}
}

// roomFor reports whether ctx is live and the time left before its
// deadline and before deadline covers wait and one more attempt of j.
func roomFor(ctx context.Context, deadline time.Time, j journey.Journey, wait time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	need := wait + j.TotalSLA()
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < need {
		return false
	}
	return deadline.IsZero() || time.Until(deadline) >= need
}

// sleep waits d unless ctx ends first; it reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
