package journey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// Condition returns nil when it holds, or an error describing what it saw
// instead; that description is reported as the last observation.
type Condition = poll.Condition

// Eventually polls cond until it holds or the step's deadline passes. The
// first re-check comes within 10 ms, then the interval backs off. On timeout
// the step is an SLA breach (or an error, when the last observation was an
// infrastructure fault) and the last observation is kept as evidence.
// Return Stop(err) from cond to give up at once.
func Eventually(ctx context.Context, t *T, what string, cond Condition) error {
	err := poll.Until(ctx, t.opts.Poll, cond)
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// Never asserts that cond does not hold at any check during window, which
// must fit in the step's SLA. If it holds, the step fails.
func Never(ctx context.Context, t *T, window time.Duration, what string, cond Condition) error {
	err := poll.Never(ctx, window, t.opts.Poll, cond)
	var held *poll.HeldError
	if errors.As(err, &held) {
		return Failf("expected %s never to happen, but it did %s into the %s window", what, held.After.Round(time.Millisecond), window)
	}
	return err
}

// Stop ends an Eventually or Never at once with err.
func Stop(err error) error { return poll.Stop(err) }
