package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/journeygate/journeygate/shared/gate"
	"github.com/journeygate/journeygate/shared/store"
)

// gatePolicy gathers the decision's policy inputs with store.GatePolicy,
// as the gate Lambda does: overrides recorded for the run's deployment, and
// the environment's health when freezeWindow is on and the run gates a
// deployment. Unreadable inputs are logged; an unreadable health fails the
// decision through the freeze, unreadable overrides apply none.
func gatePolicy(ctx context.Context, st store.Store, rec store.RunRecord, freezeWindow time.Duration, log *slog.Logger) gate.Policy {
	now := time.Now().UTC()
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
