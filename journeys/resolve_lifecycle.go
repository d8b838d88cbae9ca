package journeys

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// ResolveLifecycle: an alert fires and is notified; once resolved, the
// resolved notification reaches the responder within its SLA.
func ResolveLifecycle() journey.Journey {
	return journey.Journey{
		Name:        "resolve-lifecycle",
		Description: "responders learn that an incident is over",
		Tier:        journey.TierGlobal,
		Owner:       "incident-pipeline",
		Covers:      covers,
		Mode:        journey.ModeEnforce,
		Targets:     []string{target},
		Diagnostics: diagnostics,
		Sink:        true,
		Steps: []journey.Step{
			{Name: "alert accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				fired := alert{Labels: labels(t, "JourneyResolveLifecycle")}
				t.Set("alert", fired)
				return fireAndCleanUp(ctx, t, fired)
			}},
			{Name: "firing notification delivered", SLA: deliverySLA, Do: func(ctx context.Context, t *journey.T) error {
				var n notification
				_, err := t.Sink().Await(ctx, "the firing notification", notificationFor(t, "firing", &n))
				return err
			}},
			{Name: "alert resolved", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				fired, err := journey.Value[alert](t, "alert")
				if err != nil {
					return err
				}
				return resolveAlerts(ctx, t, fired)
			}},
			{Name: "resolved notification delivered", SLA: deliverySLA, Do: func(ctx context.Context, t *journey.T) error {
				var n notification
				if _, err := t.Sink().Await(ctx, "the resolved notification", notificationFor(t, "resolved", &n)); err != nil {
					return err
				}
				return journey.Equal("resolved alerts in the notification", 1, len(n.Alerts))
			}},
		},
	}
}
