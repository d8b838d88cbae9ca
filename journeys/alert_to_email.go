package journeys

import (
	"context"
	"fmt"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// AlertToEmail: an alert that carries the attempt's inbox address in its
// jg_inbox label reaches that inbox through Alertmanager's email receiver
// (its smarthost: the run's SMTP listener), within its SLA.
func AlertToEmail() journey.Journey {
	const name = "JourneyAlertToEmail"
	return journey.Journey{
		Name:        "alert-to-email",
		Description: "an alert fired into the pipeline reaches the on-call responder's mailbox",
		Tier:        journey.TierDomain,
		Owner:       "incident-pipeline",
		Covers:      covers,
		Mode:        journey.ModeEnforce,
		Targets:     []string{target},
		Diagnostics: diagnostics,
		Inbox:       true,
		// Local only until deploy.yaml gives an environment an inbox_domain.
		Environments: []string{"local"},
		Steps: []journey.Step{
			{Name: "alert accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return fireAndCleanUp(ctx, t, alert{Labels: labels(t, name, "jg_inbox", t.Inbox().Address())})
			}},
			{Name: "mail delivered", SLA: deliverySLA, Do: func(ctx context.Context, t *journey.T) error {
				_, err := t.Inbox().Await(ctx, "the firing alert's mail", func(m journey.Mail) error {
					if !m.Contains(name) || !m.Contains(t.RunID()) {
						return fmt.Errorf("mail %q names neither %s nor run %s", m.Subject, name, t.RunID())
					}
					return nil
				})
				return err
			}},
		},
	}
}
