package journey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// TestUndeclaredUseIsNotRetried: a step that uses what its journey does
// not declare ends as error with Result.NoRetry set, whatever the channel;
// an error of the system under test leaves NoRetry empty, so it is
// retried as before.
func TestUndeclaredUseIsNotRetried(t *testing.T) {
	tests := []struct {
		name    string
		do      journey.StepFunc
		noRetry bool
		msg     string
	}{
		{"a target", func(ctx context.Context, t *journey.T) error {
			_, err := t.Target("shpo")
			return err
		}, true, `target "shpo" is not declared in journey "checkout"'s Targets (declared: none)`},
		{"the sink", func(ctx context.Context, t *journey.T) error {
			_, err := t.Sink().Await(ctx, "a webhook", func(journey.Delivery) error { return nil })
			return err
		}, true, "it does not declare Sink: true"},
		{"an inbox", func(ctx context.Context, t *journey.T) error {
			_, err := t.Inbox().Await(ctx, "a mail", func(journey.Mail) error { return nil })
			return err
		}, true, "it does not declare Inbox: true"},
		{"SMS", func(ctx context.Context, t *journey.T) error {
			_, err := t.SMS().Await(ctx, "a text", func(journey.Text) error { return nil })
			return err
		}, true, "it does not declare SMS"},
		{"a refused connection", func(ctx context.Context, t *journey.T) error {
			return journey.Infra(errors.New("connection refused"))
		}, false, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := valid("checkout", step("use", 2*time.Second, tc.do))
			res := execute(t, context.Background(), j, journey.Options{InboxDomain: "inbox.journeygate.test"}, 5*time.Second)
			if res.Outcome != journey.Errored || !strings.Contains(res.Message, tc.msg) {
				t.Errorf("outcome %s (%s), want error saying %s", res.Outcome, res.Message, tc.msg)
			}
			if got := res.NoRetry != ""; got != tc.noRetry {
				t.Errorf("NoRetry %q, want set: %v", res.NoRetry, tc.noRetry)
			}
		})
	}
}
