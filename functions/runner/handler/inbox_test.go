package handler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/shared/trigger"
)

// TestRunInbox: with WithInboxDomain, a journey's inbox has an address
// of the domain, and the mail stored under its inbox key (as the sink
// stores SES's mail) is read through the store's sink reader; without it,
// the journey fails at once saying the run has no inbox domain.
func TestRunInbox(t *testing.T) {
	const domain = "inbox.example.com"
	reg, err := journey.NewRegistry(journey.Journey{
		Name: "mail", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Inbox: true,
		Steps: []journey.Step{{Name: "mail delivered", SLA: 5 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
			in := jt.Inbox()
			if a := in.Address(); a != "" && !strings.HasSuffix(a, "@"+domain) {
				return fmt.Errorf("address %q is not of %s", in.Address(), domain)
			}
			_, err := in.Await(ctx, "the alert", func(m journey.Mail) error {
				if m.Subject != "[FIRING:1] JourneyProbe" {
					return fmt.Errorf("subject %q", m.Subject)
				}
				return nil
			})
			return err
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	envs, err := envconfig.Parse("envs.yaml", []byte("environments:\n  staging:\n    targets:\n      api: http://127.0.0.1:1\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		domain  string
		outcome journey.Outcome
		message string
	}{
		{"with the domain", domain, journey.Passed, ""},
		{"without", "", journey.Errored, "no inbox domain for this run"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			const run = "r-inbox"
			// The mail is there before the journey looks: the address is
			// derived, so the sink stored it without asking anyone.
			key, _ := journey.InboxKey(journey.InboxAddress(run, "mail", 1, domain), domain)
			if err := st.PutDelivery(t.Context(), journey.Delivery{ID: "ses-1", RunID: key, ReceivedAt: time.Now().UTC(),
				Body: []byte("From: am@example.com\r\nSubject: [FIRING:1] JourneyProbe\r\n\r\nfiring\r\n")}); err != nil {
				t.Fatal(err)
			}
			opts := []runner.Option{runner.WithSink(store.NewSinkReader(st, nil, poll.Backoff{First: 2 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}))}
			if tt.domain != "" {
				opts = append(opts, runner.WithInboxDomain(tt.domain))
			}
			h, err := runner.New(reg, envs, st, opts...)
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{h: h, lh: lambda.NewHandler(h.Handle), store: st}
			var plan, sum = map[string]any{}, map[string]any{}
			if err := f.invoke(t, planPayload(run, "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
				t.Fatal(err)
			}
			if err := f.invoke(t, runPayload(run, "mail", trigger.Trigger{Type: trigger.Schedule}), &sum); err != nil {
				t.Fatal(err)
			}
			if sum["outcome"] != string(tt.outcome) || !strings.Contains(fmt.Sprint(sum["message"]), tt.message) {
				t.Errorf("summary %v, want %s with %q", sum, tt.outcome, tt.message)
			}
		})
	}
}
