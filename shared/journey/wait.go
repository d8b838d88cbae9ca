package journey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// Condition returns nil when it holds, or an error describing what it saw
// instead; that description is reported as the last observation. What the
// error is decides what happens next (see Eventually).
type Condition = poll.Condition

// Eventually polls cond until it holds or the step's deadline passes. The
// first re-check comes within 10 ms, then the interval backs off to 20 ms
// (Step.Poll sets another). What cond returns decides what comes next:
//
//   - nil: the condition holds; Eventually returns nil.
//   - a final error (a Failure from Failf, Doc.Expect, Equal or
//     Response.Expect on a 4xx, a body that is not the expected JSON or is
//     over its read limit, or anything wrapped with Final): the answer can
//     never become right, so Eventually returns it at once and the step is
//     failed. Wrap a Failure with NotYet to poll past it.
//   - an infrastructure fault (IsInfrastructure: a refused or reset
//     connection, a 5xx): polling backs off (100 ms, doubling to 2 s), and
//     after 5 faults in a row with no answer between them the step ends as
//     error with the fault (a *poll.FaultError).
//   - any other error: not there yet; polling goes on, and on timeout the
//     step is an SLA breach with that last observation kept as evidence.
//
// Return Stop(err) from cond to give up at once with err's own class.
func Eventually(ctx context.Context, t *T, what string, cond Condition) error {
	err := t.until(ctx, cond)
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// Never asserts that cond does not hold at any check during window, which
// must fit in the step's SLA. If it holds, the step fails. Final errors
// and faults end it as in Eventually.
func Never(ctx context.Context, t *T, window time.Duration, what string, cond Condition) error {
	err := t.never(ctx, window, cond)
	var held *poll.HeldError
	if errors.As(err, &held) {
		return Failf("expected %s never to happen, but it did %s into the %s window", what, held.After.Round(time.Millisecond), window)
	}
	return err
}

// Stop ends an Eventually or Never at once with err, classified as err
// would be anyway (see Final for a wrong answer).
func Stop(err error) error { return poll.Stop(err) }

// enterStep makes s, the index-th step (0-based), the step whose polling
// settings apply and whose attachments are named.
func (t *T) enterStep(index int, s Step) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stepPoll = s.Poll
	t.stepIndex, t.attached = index, 0
}

// backoff is how the current step polls: every Step.Poll when it sets
// one, else the run's backoff (Options.Poll).
func (t *T) backoff() poll.Backoff {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.opts.Poll
	if t.stepPoll > 0 {
		b.First, b.Max, b.Factor = t.stepPoll, t.stepPoll, 1
	}
	return b
}

// until is the SDK's one way to poll: the current step's backoff, with
// infrastructure faults backing off and ending a poll that sees only them.
func (t *T) until(ctx context.Context, cond Condition) error {
	return poll.Until(ctx, t.backoff(), cond, poll.OnFault(IsInfrastructure))
}

// never is until's counterpart for poll.Never.
func (t *T) never(ctx context.Context, window time.Duration, cond Condition) error {
	return poll.Never(ctx, window, t.backoff(), cond, poll.OnFault(IsInfrastructure))
}
