package journeys

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// SilenceSuppresses: a silence created through the API keeps a matching alert
// from being notified; the silence is expired in cleanup.
//
// The cleanup is registered before the silence is created and expires
// every silence carrying this attempt's key (expireSilences): a create call
// that outlives its step's SLA may still have made the silence, which then
// has no ID the journey knows. The silence also ends by itself soon after
// the journey (silenceLifetime), should even the cleanup fail.
func SilenceSuppresses() journey.Journey {
	return journey.Journey{
		Name:        "silence-suppresses",
		Description: "a maintenance silence keeps responders from being paged",
		Tier:        journey.TierDomain,
		Owner:       "incident-pipeline",
		Covers:      covers,
		Mode:        journey.ModeEnforce,
		Targets:     []string{target},
		Diagnostics: diagnostics,
		Settings:    []journey.Setting{quietWindow("no notification sent")},
		Sink:        true,
		Steps: []journey.Step{
			{Name: "silence created", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				var notSent atomic.Bool // the create provably never reached Alertmanager
				t.Cleanup("expire silences", func(ctx context.Context) error {
					if notSent.Load() {
						return nil
					}
					return expireSilences(ctx, t)
				})
				now := time.Now().UTC()
				resp, err := t.HTTP(target).Post(ctx, "/api/v2/silences", map[string]any{
					"matchers": []map[string]any{
						{"name": "jg_key", "value": t.Unique(), "isRegex": false, "isEqual": true},
						{"name": "jg_run", "value": t.RunID(), "isRegex": false, "isEqual": true},
					},
					"startsAt":  now,
					"endsAt":    now.Add(silenceLifetime),
					"createdBy": "journeygate",
					"comment":   "journeygate silence-suppresses, run " + t.RunID(),
				})
				if err != nil {
					notSent.Store(journey.NotSent(err))
					return err
				}
				if err := resp.Expect(200); err != nil {
					return err
				}
				var created struct {
					SilenceID string `json:"silenceID"`
				}
				if err := resp.JSON(&created); err != nil {
					return err
				}
				if created.SilenceID == "" {
					return journey.Failf("silence created without an ID: %s", resp.Body)
				}
				t.Set("silence", created.SilenceID)
				return nil
			}},
			{Name: "alert accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return fireAndCleanUp(ctx, t, alert{Labels: labels(t, "JourneySilenceSuppresses")})
			}},
			{Name: "alert suppressed by the silence", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				silence, err := journey.Value[string](t, "silence")
				if err != nil {
					return err
				}
				return journey.Eventually(ctx, t, "the alert to be suppressed by the silence", func(ctx context.Context) error {
					alerts, err := listAlerts(ctx, t)
					if err != nil {
						return err
					}
					if err := expectStates(alerts, 1, "suppressed"); err != nil {
						return err
					}
					if !slices.Contains(alerts[0].Status.SilencedBy, silence) {
						return fmt.Errorf("silenced by %v, not by silence %s", alerts[0].Status.SilencedBy, silence)
					}
					return nil
				})
			}},
			{Name: "no notification sent", SLA: 10 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				window, err := t.SettingDuration("quiet_window")
				if err != nil {
					return err
				}
				key := t.Unique()
				return t.Sink().Never(ctx, window, "notification for the silenced alert", func(d journey.Delivery) error {
					var n notification
					if err := d.JSON(&n); err != nil {
						return err
					}
					for _, a := range n.Alerts {
						if a.Labels["jg_key"] == key {
							return nil
						}
					}
					return fmt.Errorf("not for the silenced alert")
				})
			}},
		},
	}
}
