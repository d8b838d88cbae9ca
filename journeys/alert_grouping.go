package journeys

import (
	"context"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// AlertGrouping: three alerts sharing their group labels produce exactly one
// notification carrying all three, so responders are paged once.
func AlertGrouping() journey.Journey {
	return journey.Journey{
		Name:        "alert-grouping",
		Description: "related alerts page a responder once, not once per alert",
		Tier:        journey.TierDomain,
		Owner:       "incident-pipeline",
		Covers:      covers,
		Mode:        journey.ModeEnforce,
		Targets:     []string{target},
		Diagnostics: diagnostics,
		Settings:    []journey.Setting{quietWindow("no second notification")},
		Sink:        true,
		Steps: []journey.Step{
			{Name: "three alerts accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				var alerts []alert
				for _, instance := range []string{"a", "b", "c"} {
					alerts = append(alerts, alert{Labels: labels(t, "JourneyAlertGrouping", "instance", instance)})
				}
				return fireAndCleanUp(ctx, t, alerts...)
			}},
			{Name: "one notification with all three", SLA: deliverySLA, Do: func(ctx context.Context, t *journey.T) error {
				var n notification
				if _, err := t.Sink().Await(ctx, "the grouped notification", notificationFor(t, "firing", &n)); err != nil {
					return err
				}
				return journey.Equal("instances in the grouped notification", "a,b,c", strings.Join(alertLabelValues(n, "instance"), ","))
			}},
			{Name: "no second notification", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				window, err := t.SettingDuration("quiet_window")
				if err != nil {
					return err
				}
				var n notification
				return t.Sink().Never(ctx, window, "second notification for the group", notificationFor(t, "firing", &n))
			}},
		},
	}
}
