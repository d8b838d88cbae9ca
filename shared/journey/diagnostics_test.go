package journey_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

// A journey's diagnostics are captured when a step does not pass and lead
// that step's evidence, redacted like all evidence; a passing journey
// captures nothing, and the capture's own requests are not kept.
func TestDiagnosticsExplainTheFailedStep(t *testing.T) {
	const secret = "s3cr3t-webhook-token"
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "route: receiver blackhole\nwebhook: http://sink/?token=%s", secret)
	}))
	t.Cleanup(status.Close)
	red := secrets.NewRedactor()
	red.Add(secret)
	captures := 0
	mk := func(fail bool) journey.Journey {
		j := valid("diagnosed",
			step("posted", time.Second, func(context.Context, *journey.T) error { return nil }),
			step("delivered", time.Second, func(ctx context.Context, t *journey.T) error {
				t.Evidence("sink", "nothing for this run")
				if fail {
					return journey.Failf("no notification")
				}
				return nil
			}),
			step("never runs", time.Second, func(context.Context, *journey.T) error { return nil }),
		)
		j.Targets = []string{"am"}
		j.Diagnostics = []journey.Diagnostic{
			{Name: "routes", Capture: func(ctx context.Context, t *journey.T) (string, error) {
				captures++
				resp, err := t.HTTP("am").Get(ctx, "/api/v2/status")
				if err != nil {
					return "", err
				}
				return string(resp.Body), nil
			}},
			{Name: "broken", Capture: func(context.Context, *journey.T) (string, error) {
				return "", errors.New("status endpoint gone")
			}},
		}
		return j
	}
	opts := journey.Options{RunID: "r", Targets: map[string]string{"am": status.URL}, Redactor: red}

	res := execute(t, context.Background(), mk(true), opts, 10*time.Second)
	if res.Outcome != journey.Failed || res.FailedStep() != 1 {
		t.Fatalf("outcome %s at step %d", res.Outcome, res.FailedStep())
	}
	ev := res.Steps[1].Evidence
	if got := strings.Join(labels(res.Steps[1]), ", "); got != "diagnostic: routes, diagnostic: broken, sink" {
		t.Fatalf("failed step's evidence %q: want the diagnostics first, then its own", got)
	}
	if !strings.Contains(ev[0].Detail, "route: receiver blackhole") || strings.Contains(ev[0].Detail, secret) || !strings.Contains(ev[0].Detail, secrets.Redacted) {
		t.Errorf("diagnostic %q: want the capture, its secret redacted", ev[0].Detail)
	}
	if ev[1].Detail != "not captured: status endpoint gone" {
		t.Errorf("failed diagnostic recorded as %q", ev[1].Detail)
	}
	if len(res.Steps[0].Evidence) != 0 || len(res.Steps[2].Evidence) != 0 {
		t.Errorf("diagnostics recorded on other steps: %+v", res.Steps)
	}

	captures = 0
	res = execute(t, context.Background(), mk(false), opts, 10*time.Second)
	if res.Outcome != journey.Passed || captures != 0 {
		t.Errorf("passing journey: outcome %s, %d captures; want passed, none", res.Outcome, captures)
	}
}

func TestDiagnosticsAreValidated(t *testing.T) {
	capture := func(context.Context, *journey.T) (string, error) { return "", nil }
	j := valid("diagnosed", step("a", time.Second, func(context.Context, *journey.T) error { return nil }))
	j.Diagnostics = []journey.Diagnostic{{Name: "", Capture: capture}, {Name: "x", Capture: capture}, {Name: "x"}}
	err := journey.Validate([]journey.Journey{j})
	for _, want := range []string{"diagnostics[0]: name is required", `diagnostics[2]: "x" is listed twice`, "diagnostics[2]: capture is missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}
