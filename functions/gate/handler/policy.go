package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/journeygate/journeygate/internal/decide"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
)

// WithEnvironments turns on the unhealthy-environment freeze, configured
// per environment by cfg's gate.freeze (on, 30 minutes, unless the file
// says otherwise; an environment cfg does not define gets the default).
// Without it the gate applies no freeze. Overrides need no option: they
// are read from the store.
func WithEnvironments(cfg *envconfig.Config) Option {
	return func(h *Handler) {
		h.envs = cfg
		if cfg == nil {
			h.envs = &envconfig.Config{}
		}
	}
}

// runFromInput is the run record the gate falls back on when the store
// has none (or cannot be read).
func runFromInput(in flow.Input, planned []gate.Planned, now time.Time) store.RunRecord {
	return store.RunRecord{
		ID: in.RunID, Environment: in.Environment, Trigger: in.Trigger,
		StartedAt: now, Planned: planned,
	}
}

// policy gathers the decision's policy inputs for rec (store.GatePolicy,
// the same the local runner uses). An unreadable environment health fails
// the decision through the freeze (health unknown is not healthy) and is
// logged; unreadable overrides are logged and none applies.
func (h *Handler) policy(ctx context.Context, rec store.RunRecord, in flow.Input, log *slog.Logger) gate.Policy {
	if rec.Trigger.Type == "" {
		rec.Trigger = in.Trigger
	}
	if rec.Environment == "" {
		rec.Environment = in.Environment
	}
	var window time.Duration
	if h.envs != nil {
		window = h.envs.GateOf(rec.Environment).Freeze.EffectiveWindow()
	}
	return decide.Policy(ctx, h.store, rec, window, h.now().UTC(), log)
}

// verdictLogFields are the log fields that explain a verdict: the command
// that shows the run, the first blocking journey and step, and the
// override, if any.
func verdictLogFields(runID string, v gate.Verdict) []any {
	fields := []any{"inspect", flow.InspectCommand(runID)}
	for _, r := range v.Reasons {
		if !r.Blocking {
			continue
		}
		if r.Journey != "" {
			fields = append(fields, "journey", r.Journey)
		}
		if r.Step != "" {
			fields = append(fields, "step", r.Step, "stepIndex", r.StepIndex)
		}
		if r.Policy != "" {
			fields = append(fields, "policy", r.Policy, "policyRun", r.Run)
		}
		fields = append(fields, "outcome", r.Outcome)
		break
	}
	if o := v.Overridden; o != nil {
		fields = append(fields, "overriddenBy", o.By, "overrideReason", o.Reason,
			"overrideAt", o.At, "overrideExpiresAt", o.ExpiresAt)
	}
	return fields
}
