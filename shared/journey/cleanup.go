package journey

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultCleanupBudget is how long one attempt's cleanups may take
// together when neither the journey (Journey.CleanupBudget) nor the run
// (Options.CleanupBudget) sets a budget.
const DefaultCleanupBudget = 10 * time.Second

// MaxCleanupBudget bounds Journey.CleanupBudget: every attempt adds its
// budget to the runner's timeout.
const MaxCleanupBudget = 2 * time.Minute

// releaseTimeout bounds returning an attempt's leased resources after its
// cleanups: a write to the store, apart from the cleanup budget so that a
// cleanup that spent the budget cannot keep a resource leased.
const releaseTimeout = 5 * time.Second

// CleanupBudgetOrDefault is the journey's cleanup budget: CleanupBudget,
// or DefaultCleanupBudget when that is 0.
func (j Journey) CleanupBudgetOrDefault() time.Duration {
	if j.CleanupBudget <= 0 {
		return DefaultCleanupBudget
	}
	return j.CleanupBudget
}

// cleanupBudget is this attempt's budget: the run's, else the journey's.
func (t *T) cleanupBudget() time.Duration {
	if t.opts.CleanupBudget > 0 {
		return t.opts.CleanupBudget
	}
	return t.journey.CleanupBudgetOrDefault()
}

// runCleanups runs the registered cleanups in reverse order of
// registration, all within one budget that starts now: a cleanup that
// overruns what is left of it is abandoned the moment the budget ends (left
// to finish in the background), and the cleanups after it are recorded as
// not run. They run even when the run was cancelled.
func runCleanups(ctx context.Context, t *T) []CleanupResult {
	t.mu.Lock()
	cleanups := t.cleanups
	t.cleanups = nil
	t.cleaned = true
	t.mu.Unlock()
	defer t.takeEvidence() // a cleanup's HTTP exchanges are no step's evidence
	if len(cleanups) == 0 {
		return nil
	}
	budget := t.cleanupBudget()
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	deadline, _ := bctx.Deadline()
	out := make([]CleanupResult, 0, len(cleanups))
	for i := len(cleanups) - 1; i >= 0; i-- {
		c := cleanups[i]
		r := CleanupResult{Name: c.name}
		if left := time.Until(deadline); left <= 0 {
			r.Error = fmt.Sprintf("not run: the cleanup budget of %s was spent before it", budget)
		} else {
			start := time.Now()
			err := guarded(bctx, left, 0, c.fn)
			r.Elapsed = time.Since(start)
			if err != nil {
				r.Error = cleanupError(err, bctx, budget)
			}
		}
		if r.Error != "" {
			t.logger.Warn("cleanup failed", "cleanup", c.name, "err", t.redact(r.Error))
		}
		out = append(out, r)
	}
	return out
}

// cleanupError words a cleanup's failure, the cause first.
func cleanupError(err error, bctx context.Context, budget time.Duration) string {
	switch {
	case errors.Is(err, errGuardAbandoned):
		return fmt.Sprintf("the cleanup budget of %s ran out; abandoned (it ignored its context)", budget)
	case bctx.Err() != nil:
		return fmt.Sprintf("the cleanup budget of %s ran out: %v", budget, err)
	}
	return err.Error()
}
