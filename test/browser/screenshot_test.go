package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/repo"
)

// dirArtifacts keeps a run's artifacts as files under a directory, one
// folder per run, as a local run does.
type dirArtifacts string

func (d dirArtifacts) Put(_ context.Context, runID, name, _ string, data []byte) (string, error) {
	dir := filepath.Join(string(d), runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, data, 0o644)
}

// The UI journey fails against an Alertmanager whose web UI is not routed
// (fault ui-not-routed); the report shows its screenshot beside the
// failing step, and Chromium really renders that image.
func TestReportShowsTheFailingStepsScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Alertmanager, the UI journey's Chromium and a browser")
	}
	ctx := NewContext(t) // first: a missing Chromium fails before the journey runs
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(root, "test", "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}

	// The UI journey against the broken UI, as `journeygate run` runs it,
	// its artifacts kept as files.
	cfg, err := envconfig.Parse(journeys.EnvironmentsPath, journeys.EnvironmentsFile, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	local, err := cfg.Get("local")
	if err != nil {
		t.Fatal(err)
	}
	sk := sink.New(sink.Config{Correlate: local.Sink.Correlate})
	sinkURL, err := sk.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	am, err := alertmanager.Start(context.Background(), alertmanager.Options{Webhooks: []string{sinkURL + "/"}, Fault: "ui-not-routed"})
	if err != nil {
		t.Fatal(err)
	}
	defer am.Stop()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "journeygate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ui := journeys.SilenceThroughUI()
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out := runner.Run(rctx, runner.Plan{
		RunID: runner.NewRunID(start), Environment: "local",
		Targets: map[string]string{"alertmanager": am.URL}, Settings: local.Settings,
		Journeys: []journey.Journey{ui}, Trigger: trigger.Trigger{Type: trigger.CLI},
	}, runner.Deps{Store: st, Sink: sk, Artifacts: dirArtifacts(t.TempDir())})
	failed := report.Run{RunID: out.Run.ID, Environment: "local", StartedAt: out.Run.StartedAt, Elapsed: time.Since(start), Results: out.Results, Verdict: out.Verdict}
	want := firstFailure(t, failed)
	var shot journey.Evidence
	for _, e := range want.step.Evidence {
		if e.ContentType == "image/png" && e.Attachment != "" {
			shot = e
		}
	}
	if shot.Attachment == "" {
		t.Fatalf("%s step %d/%d (%s) kept no screenshot: %+v", want.journey, want.index, want.steps, want.step.Name, want.step.Evidence)
	}

	var page bytes.Buffer
	if err := report.WriteHTML(&page, failed, report.HTMLOptions{Trigger: string(trigger.CLI), Generated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	pagePath := filepath.Join(outDir, "report-ui-failed.html")
	if err := os.WriteFile(pagePath, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: pagePath}).String()
	t.Logf("report of run %s: %s (failing: %s step %d/%d %s, screenshot %s)", failed.RunID, pagePath, want.journey, want.index, want.steps, want.step.Name, shot.Attachment)

	requested := recordRequests(t, ctx)
	stepSel := "#journey-" + want.journey + " li.step.failing"
	imgSel := stepSel + " > figure.shot > img"
	actx, acancel := context.WithTimeout(ctx, 30*time.Second)
	defer acancel()
	// The image is decoded (complete, with pixels), not only present.
	if err := chromedp.Do(actx, chromedp.Steps(
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(chromedp.CSS(imgSel)),
		chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector(`+jsString(imgSel)+`); return !!i && i.complete && i.naturalWidth > 0; })()`),
	)); err != nil {
		t.Fatalf("the failing step's screenshot (%s) never rendered: %v", imgSel, err)
	}
	var img struct {
		NaturalWidth, NaturalHeight, Width float64
		InView, BeforeEvidence             bool
		Caption                            string
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](`((sel, step) => {
  const i = document.querySelector(sel);
  i.scrollIntoView({block: 'center'});
  const r = i.getBoundingClientRect();
  const det = document.querySelector(step + ' > details.evidence');
  return {NaturalWidth: i.naturalWidth, NaturalHeight: i.naturalHeight, Width: r.width,
    InView: i.checkVisibility() && r.top < innerHeight && r.bottom > 0,
    BeforeEvidence: !det || !!(i.compareDocumentPosition(det) & Node.DOCUMENT_POSITION_FOLLOWING),
    Caption: i.closest('figure').querySelector('figcaption').innerText};
})(`+jsString(imgSel)+`, `+jsString(stepSel)+`)`))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &img); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if img.NaturalWidth <= 0 || img.NaturalHeight <= 0 || img.Width < 100 || !img.InView {
		t.Errorf("screenshot %+v: want an image with pixels, shown at least 100 px wide", img)
	}
	if !img.BeforeEvidence || !strings.Contains(img.Caption, shot.Attachment) {
		t.Errorf("screenshot %+v: want it beside the step, before its collapsed evidence, captioned with its location %s", img, shot.Attachment)
	}
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "report-ui-failed-1280x800.png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if want.step.Outcome == journey.Passed || failed.Verdict.Status != gate.Failed {
		t.Errorf("verdict %s, step %s: want the UI journey failed", failed.Verdict.Status, want.step.Outcome)
	}

	// The page loads nothing but itself; its embedded image is a data: URI.
	for _, u := range requested() {
		if u != pageURL && !strings.HasPrefix(u, "data:image/png;base64,") {
			t.Errorf("the page requested %.80s: it must load nothing but itself", u)
		}
	}
}
