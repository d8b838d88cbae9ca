package store

import (
	"context"
	"fmt"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// ScheduledResults returns the results of global journeys recorded by env's
// scheduled runs that started at or after since: the freeze's input. It
// makes two index reads (RecentRuns and History of the environment).
func ScheduledResults(ctx context.Context, s Store, env string, since time.Time) ([]journey.Result, error) {
	runs, err := s.RecentRuns(ctx, RunQuery{Environment: env, Since: since})
	if err != nil {
		return nil, fmt.Errorf("recent runs of %s: %w", env, err)
	}
	scheduled := map[string]bool{}
	for _, r := range runs {
		if r.Trigger.Type == trigger.Schedule {
			scheduled[r.ID] = true
		}
	}
	if len(scheduled) == 0 {
		return nil, nil
	}
	results, err := s.History(ctx, HistoryQuery{Environment: env, Since: since})
	if err != nil {
		return nil, fmt.Errorf("recent results of %s: %w", env, err)
	}
	var out []journey.Result
	for _, r := range results {
		if scheduled[r.RunID] && r.Tier == journey.TierGlobal {
			out = append(out, r)
		}
	}
	return out, nil
}

// OverridesFor returns the overrides recorded for deployment, or none when
// deployment is "" or s keeps no overrides (it is no OverrideStore).
func OverridesFor(ctx context.Context, s Store, deployment string) ([]gate.Override, error) {
	os, ok := s.(OverrideStore)
	if !ok || deployment == "" {
		return nil, nil
	}
	return os.Overrides(ctx, deployment)
}

// GatePolicy gathers the policy inputs for deciding run at now: its
// trigger and deployment, the environment's health when freezeWindow is
// positive and the run gates a deployment (0 disables the freeze), and the
// overrides recorded for its deployment. The local runner and the gate
// Lambda both call it, so they decide on the same inputs.
//
// A health read that fails is healthErr, and Freeze.Unavailable makes the
// decision fail (health unknown is not healthy); overrides that cannot be
// read are overrideErr and none apply (no override is ever assumed). Both
// are for the caller to log.
func GatePolicy(ctx context.Context, s Store, run RunRecord, freezeWindow time.Duration, now time.Time) (p gate.Policy, healthErr, overrideErr error) {
	p = gate.Policy{Trigger: run.Trigger, Environment: run.Environment, Now: now}
	if freezeWindow > 0 && run.Trigger.GatesDeployment() {
		results, err := ScheduledResults(ctx, s, run.Environment, now.Add(-freezeWindow))
		p.Freeze = &gate.Freeze{Window: freezeWindow, Scheduled: results}
		if err != nil {
			healthErr = fmt.Errorf("reading the health of environment %s: %w", run.Environment, err)
			p.Freeze.Unavailable = err.Error()
		}
	}
	overrides, err := OverridesFor(ctx, s, run.Trigger.Deployment())
	if err != nil {
		overrideErr = fmt.Errorf("reading overrides of deployment %s: %w", run.Trigger.Deployment(), err)
	}
	p.Overrides = overrides
	return p, healthErr, overrideErr
}
