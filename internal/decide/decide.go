package decide

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
)

// Policy gathers the decision's policy inputs for run rec at now
// (store.GatePolicy): the overrides recorded for its deployment, and the
// environment's health when freezeWindow is on and the run gates a
// deployment. Without a store it is the run's context alone. Unreadable
// inputs are logged: an unreadable health fails the decision through the
// freeze (health unknown is not healthy); unreadable overrides apply none.
func Policy(ctx context.Context, st store.Store, rec store.RunRecord, freezeWindow time.Duration, now time.Time, log *slog.Logger) gate.Policy {
	if st == nil {
		return gate.Policy{Trigger: rec.Trigger, Environment: rec.Environment, Now: now}
	}
	p, healthErr, overrideErr := store.GatePolicy(context.WithoutCancel(ctx), st, rec, freezeWindow, now)
	if healthErr != nil {
		log.Warn("environment health not readable; the gate fails", "err", healthErr)
	}
	if overrideErr != nil {
		log.Warn("overrides not readable; none applies", "deployment", rec.Trigger.Deployment(), "err", overrideErr)
	}
	return p
}

// Record decides in and records the verdict of run runID once, at now. A
// verdict already recorded is returned as it is, with already true (a
// redelivered decision reports the first). A verdict that cannot be
// recorded fails closed: the fault joins in's, and no override applies,
// since an override's use must be on record. Without a store nothing is
// recorded.
func Record(ctx context.Context, st store.Store, runID string, in gate.Input, now time.Time, log *slog.Logger) (v gate.Verdict, already bool) {
	v = gate.Decide(in)
	if st == nil {
		return v, false
	}
	var fault string
	err := st.PutVerdict(context.WithoutCancel(ctx), runID, v, now)
	switch {
	case err == nil:
		return v, false
	case errors.Is(err, store.ErrExists):
		prev, gerr := st.GetRun(context.WithoutCancel(ctx), runID)
		if gerr == nil && prev.Verdict != nil {
			log.Info("verdict already recorded; keeping it", "status", prev.Verdict.Status)
			return *prev.Verdict, true
		}
		fault = fmt.Sprintf("a verdict is recorded but unreadable: %v", gerr)
	default:
		fault = "recording the verdict: " + err.Error()
	}
	if in.Fault != "" {
		fault = in.Fault + "; " + fault
	}
	in.Fault = fault
	in.Policy.Overrides = nil
	return gate.Decide(in), false
}
