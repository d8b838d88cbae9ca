package sink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/shared/journey"
)

// A sink wait that times out says how long it waited and what arrived
// instead, for this run and for others, rather than counting its checks.
func TestAwaitTimeoutSaysWhatArrived(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		send     func(t *testing.T, base string)
		message  string
		evidence string
	}{
		{
			name:    "nothing at all",
			send:    func(*testing.T, string) {},
			message: "awaiting the firing notification: waited 300ms, 0 deliveries for this run (0 for other runs)",
		},
		{
			name: "only other runs' and unattributable deliveries",
			send: func(t *testing.T, base string) {
				send(t, "POST", base+"/", nil, strings.NewReader(`{"status":"firing","groupLabels":{"jg_run":"run-2"}}`))
				send(t, "POST", base+"/", nil, strings.NewReader(`{"status":"firing","groupLabels":{"jg_run":"run-3"}}`))
				send(t, "POST", base+"/", nil, strings.NewReader(`{"status":"firing"}`))
			},
			message: "awaiting the firing notification: waited 300ms, 0 deliveries for this run (2 for other runs, 1 for no run)",
		},
		{
			name:  "a delivery refused for a wrong token",
			token: "s3cret",
			send: func(t *testing.T, base string) {
				send(t, "POST", base+"/run/run-1", map[string]string{"Authorization": "Bearer guess"}, strings.NewReader(`{"status":"firing"}`))
			},
			message: "awaiting the firing notification: waited 300ms, 0 deliveries for this run (0 for other runs); 1 delivery refused: missing or wrong sink token",
		},
		{
			name: "a delivery for this run that does not match",
			send: func(t *testing.T, base string) {
				send(t, "POST", base+"/", nil, strings.NewReader(`{"status":"resolved","groupLabels":{"jg_run":"run-1"}}`))
			},
			message:  `awaiting the firing notification: waited 300ms, 1 delivery for this run (0 for other runs); delivery `,
			evidence: "deliveries for this run (1)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, base := start(t, sink.Config{Token: tc.token, Correlate: []string{"/groupLabels/jg_run"}})
			var awaitErr error
			res := run(t, s, "run-1", journey.Step{Name: "firing delivered", SLA: 300 * time.Millisecond, Do: func(ctx context.Context, jt *journey.T) error {
				tc.send(t, base)
				_, awaitErr = jt.Sink().Await(ctx, "the firing notification", withStatus("firing"))
				return awaitErr
			}})
			st := res.Steps[0]
			if st.Outcome != journey.SLABreach {
				t.Fatalf("outcome %s (%s), want sla-breach", st.Outcome, st.Message)
			}
			if !strings.HasPrefix(st.Message, tc.message) {
				t.Errorf("message %q\nwant it to start %q", st.Message, tc.message)
			}
			if strings.Contains(st.Message, "check") {
				t.Errorf("message %q counts checks", st.Message)
			}
			var ae *journey.AwaitError
			if !errors.As(awaitErr, &ae) || !errors.Is(awaitErr, context.DeadlineExceeded) {
				t.Errorf("Await returned %T %v, want an *AwaitError wrapping the deadline", awaitErr, awaitErr)
			}
			var labels []string
			for _, e := range st.Evidence {
				labels = append(labels, e.Label)
			}
			if got := strings.Join(labels, ", "); got != tc.evidence {
				t.Errorf("evidence %q, want %q", got, tc.evidence)
			}
		})
	}
}
