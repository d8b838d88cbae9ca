package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

// routing is the diagnostic the example catalogue records when
// Alertmanager routes alerts to a receiver without integrations (make run
// FAULT=drop-notifications): its first line states the cause.
const routing = `cause: the route to receiver blackhole sends nowhere: the receiver has no integrations
alertmanager, cluster disabled, up since 2026-12-04T10:25:09.498Z
route: receiver blackhole, group_by [alertname jg_run jg_key], group_wait 500ms, group_interval 1s, repeat_interval 4h
  route: matching {jg_inbox=~".+"}, receiver journeygate-inbox
receiver blackhole: no integrations: what it receives goes nowhere
receiver journeygate-inbox: email to {{ .CommonLabels.jg_inbox }} via 127.0.0.1:43515 (send_resolved false)
receiver journeygate-sink: webhook <secret> (send_resolved true)`

// withDiagnostic is a result whose step 2/2 failed with the diagnostic
// evidence given (label, detail pairs).
func withDiagnostic(pairs ...string) journey.Result {
	var ev []journey.Evidence
	for i := 0; i+1 < len(pairs); i += 2 {
		ev = append(ev, journey.Evidence{Label: pairs[i], Detail: pairs[i+1]})
	}
	return journey.Result{
		Journey: "alert-to-notification", Attempt: 1, Outcome: journey.SLABreach,
		Steps: []journey.StepResult{
			{Name: "alert accepted", Outcome: journey.Passed, Evidence: []journey.Evidence{{Label: "POST /api/v2/alerts", Detail: "cause: not a diagnostic"}}},
			{Name: "notification delivered", Outcome: journey.SLABreach, Message: "awaiting the firing notification: waited 10s, 0 deliveries for this run", Evidence: ev},
		},
	}
}

func TestCauses(t *testing.T) {
	long := "cause: " + strings.Repeat("x", 300)
	cases := []struct {
		name string
		res  journey.Result
		want []string
	}{
		{"a missing integration", withDiagnostic("last observation", "0 deliveries", journey.DiagnosticLabel+"alertmanager routes and receivers", routing),
			[]string{"the route to receiver blackhole sends nowhere: the receiver has no integrations"}},
		{"stated causes come first, with their continuation, at most two lines",
			withDiagnostic(journey.DiagnosticLabel+"routing", "alertmanager\nfailing: 3 of 3 webhook notification requests failed\n  its status API shows webhook URLs as <secret>: check the URL\ncause: smarthost 127.0.0.1:1 is not the listener\nreceiver blackhole: no integrations: what it receives goes nowhere"),
			[]string{"failing: 3 of 3 webhook notification requests failed", "its status API shows webhook URLs as <secret>: check the URL"}},
		{"cause: is dropped", withDiagnostic(journey.DiagnosticLabel+"routing", "alertmanager v0.28.1\ncause: Alertmanager mails smarthost 127.0.0.1:1, not the run's SMTP listener"),
			[]string{"Alertmanager mails smarthost 127.0.0.1:1, not the run's SMTP listener"}},
		{"a long cause is cut in its middle", withDiagnostic(journey.DiagnosticLabel+"routing", long), nil},
		{"nothing named", withDiagnostic(journey.DiagnosticLabel+"routing", "alertmanager\nroute: receiver sink, group_wait 5m"), nil},
		{"a line that only sounds like a cause is not one", withDiagnostic(journey.DiagnosticLabel+"routing", "queues\nqueue billing: no consumers\nqueue audit: failed over at 10:02"), nil},
		{"a diagnostic not captured", withDiagnostic(journey.DiagnosticLabel+"routing", "not captured: connection refused: no route"), nil},
		{"only diagnostics count", withDiagnostic("GET /api/v2/status", "cause: looks like one, is a response body\nreceiver x: no integrations"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Causes(tc.res, 0)
			if tc.name == "a long cause is cut in its middle" {
				if len(got) != 1 || len([]rune(got[0])) != maxCauseRunes || !strings.HasPrefix(got[0], "xxx") {
					t.Errorf("Causes = %q, want one line of %d runes", got, maxCauseRunes)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Causes = %q, want %q", got, tc.want)
			}
		})
	}
	// The reason's step, not the failed one, when it names one.
	res := withDiagnostic(journey.DiagnosticLabel+"routing", routing)
	if got := Causes(res, 1); got != nil {
		t.Errorf("Causes of step 1 = %q, want none (its evidence is no diagnostic)", got)
	}
}

// The report's Why section gives the cause right after the reason's
// message, redacted like the rest of the page.
func TestHTMLWhyLeadsWithTheCause(t *testing.T) {
	const secret = "tenant-secret-4711"
	res := withDiagnostic(journey.DiagnosticLabel+"alertmanager routes and receivers", strings.Replace(routing, "receiver blackhole sends", "receiver blackhole-"+secret+" sends", 1))
	r := Run{
		RunID: "run-1", Environment: "local", Results: []journey.Result{res},
		Verdict: gate.Verdict{Status: gate.Failed, Summary: "Failed: alert-to-notification", Blocking: 1, Reasons: []gate.Reason{{
			Journey: res.Journey, Mode: journey.ModeEnforce, Outcome: journey.SLABreach, Blocking: true,
			Step: "notification delivered", StepIndex: 2, StepCount: 2, Message: res.Steps[1].Message,
		}}},
	}
	out := renderHTML(t, r, HTMLOptions{Redactor: secrets.NewRedactor(secret)})
	want := `<p class="message">awaiting the firing notification: waited 10s, 0 deliveries for this run</p>
<p class="cause"><b>cause:</b> the route to receiver blackhole-` + secrets.Redacted + ` sends nowhere: the receiver has no integrations</p>
`
	if !strings.Contains(out, want) {
		t.Errorf("the Why section does not give the cause after the message; want\n%s\nin\n%s", want, out)
	}
	if strings.Contains(out, secret) {
		t.Error("the cause is not redacted")
	}
}

// run's summary says where a step's binary evidence (a UI journey's
// screenshot) was saved, below its text, as show does.
func TestSummarySaysWhereTheScreenshotIs(t *testing.T) {
	const path = ".journeygate/artifacts/run-1/silence-through-ui-1-2.png"
	res := withDiagnostic()
	res.Steps[1].Evidence = []journey.Evidence{{Label: "screenshot alertmanager", Detail: "viewport of http://127.0.0.1:9093/#/alerts", Attachment: path, ContentType: "image/png"}}
	r := Run{RunID: "run-1", Environment: "local", Results: []journey.Result{res}, Verdict: gate.Verdict{Status: gate.Failed, Summary: "Failed: alert-to-notification"}}
	var b strings.Builder
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	want := "    screenshot alertmanager:\n      viewport of http://127.0.0.1:9093/#/alerts\n      image/png at " + path + "\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("the summary does not say where the screenshot is; want\n%s\nin\n%s", want, b.String())
	}
}
