package integration

import (
	"bytes"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
)

// Under drop-notifications (alerts routed to a receiver that sends
// nowhere), the failing step carries Alertmanager's routes and receivers
// as evidence, so "receiver blackhole" shows beside it in the summary;
// the steps that passed carry none.
func TestDiagnosticsShowBesideTheFailingStep(t *testing.T) {
	t.Parallel()
	out, _, _ := runThrough(t, direct, "drop-notifications", journeys.AlertToNotification())
	res := gate.LatestAttempts(out.Results)[0]
	i := res.FailedStep()
	if i < 0 || res.Steps[i].Name != "notification delivered" {
		t.Fatalf("%s: %s: %s, want it to fail at notification delivered", res.Journey, res.Outcome, res.Message)
	}
	const label = journey.DiagnosticLabel + "alertmanager routes and receivers"
	ev := res.Steps[i].Evidence
	if len(ev) == 0 || ev[0].Label != label {
		t.Fatalf("failing step's evidence %+v: want %q first", ev, label)
	}
	for _, want := range []string{"route: receiver blackhole, group_by [alertname jg_run jg_key], group_wait 500ms", "receiver blackhole: no integrations: what it receives goes nowhere", "receiver journeygate-sink: webhook <secret> (send_resolved true)"} {
		if !strings.Contains(ev[0].Detail, want) {
			t.Errorf("diagnostic lacks %q:\n%s", want, ev[0].Detail)
		}
	}
	for k, s := range res.Steps {
		for _, e := range s.Evidence {
			if k != i && strings.HasPrefix(e.Label, journey.DiagnosticLabel) {
				t.Errorf("step %d/%d (%s), which %s, carries %q", k+1, len(res.Steps), s.Name, s.Outcome, e.Label)
			}
		}
	}

	var summary bytes.Buffer
	if err := report.WriteSummary(&summary, report.Run{RunID: out.Run.ID, Environment: "local", Results: out.Results, Verdict: out.Verdict}); err != nil {
		t.Fatal(err)
	}
	text := summary.String()
	head := strings.Index(text, "alert-to-notification: sla-breach at step 3/3 (notification delivered)")
	at := strings.Index(text, "route: receiver blackhole")
	if head < 0 || at < head || at > strings.Index(text, "\nVERDICT:") {
		t.Errorf("the summary does not show receiver blackhole beside the failing step:\n%s", text)
	}
}
