package journeys

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// AlertToNotification: an alert posted through the API is listed and its
// notification reaches the responder's webhook, each within its SLA.
func AlertToNotification() journey.Journey {
	return journey.Journey{
		Name:        "alert-to-notification",
		Description: "an alert fired into the pipeline reaches the on-call responder",
		Tier:        journey.TierGlobal,
		Owner:       "incident-pipeline",
		Covers:      covers,
		Mode:        journey.ModeEnforce,
		Targets:     []string{target},
		Diagnostics: diagnostics,
		Sink:        true,
		Steps: []journey.Step{
			{Name: "alert accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return fireAndCleanUp(ctx, t, alert{
					Labels:      labels(t, "JourneyAlertToNotification"),
					Annotations: map[string]string{"summary": "journeygate synthetic alert; resolves itself"},
				})
			}},
			{Name: "alert listed by API", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the alert to be listed as active", func(ctx context.Context) error {
					alerts, err := listAlerts(ctx, t)
					if err != nil {
						return err
					}
					return expectStates(alerts, 1, "active")
				})
			}},
			{Name: "notification delivered", SLA: deliverySLA, Do: func(ctx context.Context, t *journey.T) error {
				var n notification
				if _, err := t.Sink().Await(ctx, "the firing notification", notificationFor(t, "firing", &n)); err != nil {
					return err
				}
				return journey.Equal("alerts in the notification", 1, len(n.Alerts))
			}},
		},
	}
}
