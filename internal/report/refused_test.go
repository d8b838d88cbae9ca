package report

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// refusedPath makes the target's base URL long, as behind a gateway; its
// address is replaced with refusedAddr once the run is over, so the golden
// files do not depend on the free port the test found.
const refusedPath = "/gateway/v3/alertmanager/tenants/payments-platform-eu-west-1/clusters/primary-incident-pipeline/namespaces/monitoring/services/alertmanager-main/proxy/routes/incident-intake/"

const refusedAddr = "127.0.0.1:9093"

// refusedRun runs a real journey whose target refuses connections, then
// fixes what varies between runs (times, the port), so every format of it
// can be compared with a golden file.
func refusedRun(t *testing.T) Run {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: the connection is refused
	j := journey.Journey{
		Name: "alert-to-notification", Tier: journey.TierGlobal, Owner: "incident-pipeline", Mode: journey.ModeEnforce,
		Covers: []string{"alertmanager"}, Targets: []string{"alertmanager"},
		Steps: []journey.Step{
			{Name: "alert accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				resp, err := t.HTTP("alertmanager").Post(ctx, "/api/v2/alerts", []map[string]any{{"labels": map[string]string{"alertname": "JourneyAlertToNotification"}}})
				if err != nil {
					return err
				}
				return resp.Expect(200)
			}},
			{Name: "notification delivered", SLA: 10 * time.Second, Do: func(context.Context, *journey.T) error { return nil }},
		},
	}
	res := journey.Execute(context.Background(), j, journey.Options{
		RunID: "run-refused", Environment: "staging", Attempt: 1,
		Targets: map[string]string{"alertmanager": "http://" + addr + refusedPath}, HTTPClient: &http.Client{},
	})
	if res.Outcome != journey.Errored {
		t.Fatalf("outcome %s (%s), want error", res.Outcome, res.Message)
	}
	fix := func(s string) string { return strings.ReplaceAll(s, addr, refusedAddr) }
	res.StartedAt, res.Elapsed, res.CleanupElapsed = t0, ms(2), 0
	res.Message = fix(res.Message)
	for i := range res.Steps {
		s := &res.Steps[i]
		s.Message = fix(s.Message)
		if s.Outcome != journey.Skipped {
			s.StartedAt, s.Elapsed = t0, ms(1)
		}
		for k := range s.Evidence {
			s.Evidence[k].Label, s.Evidence[k].Detail = fix(s.Evidence[k].Label), fix(s.Evidence[k].Detail)
		}
	}
	results := []journey.Result{res}
	return Run{
		RunID: "run-refused", Environment: "staging", StartedAt: t0, Elapsed: ms(3), Results: results,
		Verdict: gate.Decide(gate.Input{Planned: []gate.Planned{{Name: j.Name, Mode: j.Mode}}, Results: results}),
	}
}

// A refused connection behind a long URL keeps "connection refused" whole
// everywhere it is shown: the progress line, the summary, the VERDICT
// line, JUnit and the HTML report's headline.
func TestRefusedConnectionKeepsItsCause(t *testing.T) {
	r := refusedRun(t)
	const cause = "connection refused"

	var progress bytes.Buffer
	p := NewProgress(&progress, false)
	res := r.Results[0]
	p.Observe(journey.Event{Kind: journey.JourneyStarted, Journey: res.Journey, Attempt: 1, StepCount: len(res.Steps)})
	p.Observe(journey.Event{Kind: journey.StepFinished, Journey: res.Journey, Attempt: 1, Index: 0, StepCount: len(res.Steps), StepName: res.Steps[0].Name, Step: &res.Steps[0]})
	p.Observe(journey.Event{Kind: journey.JourneyFinished, Journey: res.Journey, Attempt: 1, StepCount: len(res.Steps), Result: &res})

	var summary, junit, page bytes.Buffer
	if err := WriteSummary(&summary, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&junit, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	header := regexp.MustCompile(`(?s)<header .*?</header>\n`).Find(page.Bytes())
	verdict := regexp.MustCompile(`(?m)^VERDICT: .*\n`).Find(summary.Bytes())
	failure := regexp.MustCompile(`<error message="[^"]*"`).Find(junit.Bytes())
	step := regexp.MustCompile(`(?m)^  ERR .*\n`).Find(progress.Bytes())
	message := regexp.MustCompile(`(?m)^  message: .*\n`).Find(summary.Bytes())
	for _, c := range []struct {
		what string
		got  []byte
	}{
		{"progress line", step}, {"summary message", message}, {"VERDICT line", verdict},
		{"JUnit message", failure}, {"HTML headline", header},
	} {
		if !bytes.Contains(c.got, []byte(cause)) {
			t.Errorf("%s lost %q:\n%s", c.what, cause, c.got)
		}
	}
	golden(t, "refused.progress.txt", progress.Bytes())
	golden(t, "refused.summary.txt", summary.Bytes())
	golden(t, "refused.junit.xml", junit.Bytes())
	golden(t, "refused.headline.html", header)
}
