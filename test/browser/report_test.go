package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/repo"
)

var docs = flag.Bool("docs", false, "also write the overview screenshot to docs/report-failed.png (committed, shown in docs/cli.md)")

// runJourneys runs every example journey against a fresh Alertmanager with
// fault ("" = healthy), through the real sink, into st, as `journeygate
// run` does.
func runJourneys(t *testing.T, st store.Store, fault string) report.Run {
	t.Helper()
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
	bin, err := alertmanager.EnsureBinary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	am, err := alertmanager.Start(context.Background(), alertmanager.Options{Binary: bin, Webhooks: []string{sinkURL + "/"}, Fault: fault})
	if err != nil {
		t.Fatal(err)
	}
	defer am.Stop()
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out := runner.Run(ctx, runner.Plan{
		RunID: runner.NewRunID(start), Environment: "local",
		Targets: map[string]string{"alertmanager": am.URL}, Settings: local.Settings,
		Journeys: reg.All(), Concurrency: 4, Trigger: trigger.Trigger{Type: trigger.CLI},
	}, runner.Deps{Store: st, Sink: sk})
	return report.Run{RunID: out.Run.ID, Environment: "local", StartedAt: out.Run.StartedAt, Elapsed: time.Since(start), Results: out.Results, Verdict: out.Verdict}
}

// failure is what the page must show about the run's first blocking
// failure, taken from the results, not from the page.
type failure struct {
	journey string
	step    journey.StepResult
	index   int // 1-based
	steps   int
}

func firstFailure(t *testing.T, r report.Run) failure {
	t.Helper()
	if r.Verdict.Status != gate.Failed {
		t.Fatalf("verdict %s, want Failed from the broken Alertmanager: %s", r.Verdict.Status, r.Verdict.Summary)
	}
	for _, rs := range r.Verdict.Reasons {
		if !rs.Blocking || rs.StepIndex == 0 {
			continue
		}
		for _, res := range gate.LatestAttempts(r.Results) {
			if res.Journey == rs.Journey {
				return failure{journey: rs.Journey, step: res.Steps[rs.StepIndex-1], index: rs.StepIndex, steps: len(res.Steps)}
			}
		}
	}
	t.Fatalf("no blocking failure with a step in %+v", r.Verdict.Reasons)
	return failure{}
}

// stepState is what the page shows of the failing step.
type stepState struct {
	Found           bool    `json:"found"`
	InView          bool    `json:"inView"`
	Visible         bool    `json:"visible"`
	Name            string  `json:"name"`
	Timing          string  `json:"timing"`
	TimingVisible   bool    `json:"timingVisible"`
	Badge           string  `json:"badge"`
	BarImage        string  `json:"barImage"`
	BarWidth        float64 `json:"barWidth"`
	SLAMarker       bool    `json:"slaMarker"`
	Evidence        bool    `json:"evidence"`
	Open            bool    `json:"open"`
	EvidenceVisible bool    `json:"evidenceVisible"`
	EvidenceText    string  `json:"evidenceText"`
}

// inspectStep scrolls the step into view and reads it as shown.
const inspectStep = `((sel) => {
  const li = document.querySelector(sel);
  if (!li) return {found: false};
  li.scrollIntoView({block: 'center'});
  const q = s => li.querySelector(s);
  const shown = e => !!e && e.checkVisibility() && e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0;
  const r = li.getBoundingClientRect();
  const bar = q('.bar'), sla = q('.sla'), det = q(':scope > details.evidence');
  const dl = det && det.querySelector('dl');
  return {
    found: true,
    inView: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth,
    visible: shown(li),
    name: q('.step-name').innerText,
    timing: q('.timing').innerText,
    timingVisible: shown(q('.timing')),
    badge: q('.step-timing .badge').innerText,
    barImage: bar ? getComputedStyle(bar).backgroundImage : '',
    barWidth: bar ? bar.getBoundingClientRect().width : 0,
    slaMarker: shown(sla),
    evidence: !!det,
    open: !!det && det.open,
    evidenceVisible: shown(dl),
    evidenceText: dl && shown(dl) ? dl.innerText : '',
  };
})(%s)`

// contrast lists the visible text whose contrast with its background is
// below WCAG AA's 4.5:1 (the background is the nearest opaque one).
const contrast = `(() => {
  const parse = c => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = ({r, g, b}) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bgOf = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.99) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const failures = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || !el.checkVisibility()) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '')) continue;
    const fg = parse(getComputedStyle(el).color), bg = bgOf(el);
    if (!fg) { failures.push(el.tagName + ': unreadable colour ' + getComputedStyle(el).color); continue; }
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    checked++;
    if (ratio < 4.5) failures.push(el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 40) + '": ' + ratio.toFixed(2) + ':1');
  }
  return {checked, failures};
})()`

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestFailedRunReportInChromium renders the report of a really failed run
// and checks, in headless Chromium at a desktop and a phone size, what an
// on-call engineer needs to see (see the package doc).
func TestFailedRunReportInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Alertmanager twice and a browser")
	}
	ctx := NewContext(t) // first: a missing Chromium fails before the journeys run
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(root, "test", "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}

	st, err := embedded.Open(filepath.Join(t.TempDir(), "journeygate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if healthy := runJourneys(t, st, ""); healthy.Verdict.Status != gate.Succeeded {
		t.Fatalf("healthy run: %s", healthy.Verdict.Summary)
	}
	failed := runJourneys(t, st, "drop-notifications")
	want := firstFailure(t, failed)
	hist, err := report.LoadHistory(context.Background(), st, failed, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, failed, report.HTMLOptions{History: hist, Trigger: string(trigger.CLI), Generated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	pagePath := filepath.Join(outDir, "report-failed.html")
	if err := os.WriteFile(pagePath, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: pagePath}).String()
	t.Logf("report of run %s: %s (failing: %s step %d/%d %s, %s)", failed.RunID, pagePath, want.journey, want.index, want.steps, want.step.Name, want.step.Outcome)

	// Every request the page makes is recorded: there must be none but
	// the page itself.
	requested := recordRequests(t, ctx)

	stepSel := "#journey-" + want.journey + " li.step.failing"
	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"1280x800", 1280, 800, false},
		{"390x844", 390, 844, true},
	} {
		t.Run(vp.name, func(t *testing.T) {
			var emulate []chromedp.EmulateViewportOption
			if vp.mobile {
				emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			run := func(what string, a chromedp.Action[chromedp.Void]) {
				t.Helper()
				actx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				if err := chromedp.Do(actx, a); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			run("open the report", chromedp.Steps(
				chromedp.EmulateViewport(vp.width, vp.height, emulate...),
				chromedp.Navigate(pageURL),
				chromedp.WaitVisible(chromedp.CSS("#verdict")),
			))
			eval := func(expr string, into any) {
				t.Helper()
				raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr))
				if err != nil {
					t.Fatalf("evaluate: %v", err)
				}
				if err := json.Unmarshal(raw, into); err != nil {
					t.Fatalf("%s: %v", raw, err)
				}
			}
			shot := func(name string, a chromedp.Action[[]byte], w, h int) []byte {
				t.Helper()
				b, err := chromedp.Run(ctx, a)
				if err != nil {
					t.Fatalf("screenshot %s: %v", name, err)
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("screenshot %s is not a PNG: %v", name, err)
				}
				if w > 0 && (img.Bounds().Dx() != w || img.Bounds().Dy() != h) {
					t.Errorf("screenshot %s is %v, want %dx%d", name, img.Bounds().Size(), w, h)
				}
				if err := os.WriteFile(filepath.Join(outDir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
				return b
			}

			// The top of the page: the verdict, and why.
			title, err := chromedp.Run(ctx, chromedp.Title())
			if err != nil || !strings.HasPrefix(title, "FAILED · journeygate run "+failed.RunID) {
				t.Errorf("title %q (%v)", title, err)
			}
			var top struct {
				Status, Reason string
				InView         bool
			}
			eval(`(() => {
  const s = document.querySelector('#verdict .status-label'), r = document.querySelector('.reasons .reason');
  const rect = r.getBoundingClientRect();
  return {Status: s.innerText, Reason: r.innerText, InView: s.checkVisibility() && rect.top < innerHeight};
})()`, &top)
			if top.Status != "FAILED" || !top.InView || !strings.Contains(top.Reason, want.journey) || !strings.Contains(top.Reason, want.step.Name) {
				t.Errorf("top of the page: %+v; want FAILED and the first reason (%s, %s) in view", top, want.journey, want.step.Name)
			}
			shot("report-failed-"+vp.name+".png", chromedp.CaptureScreenshot(), int(vp.width), int(vp.height))

			// A phone's browser would zoom out to fit a page that is too
			// wide (and innerWidth would grow with it): compare with the
			// device's width.
			var overflow struct{ Scroll, Inner float64 }
			eval(`({Scroll: document.documentElement.scrollWidth, Inner: innerWidth})`, &overflow)
			if overflow.Scroll > float64(vp.width) || overflow.Inner > float64(vp.width) {
				t.Errorf("the page is %.0f px wide (viewport %.0f px) on a %d px wide screen: it scrolls sideways or is zoomed out", overflow.Scroll, overflow.Inner, vp.width)
			}
			var cr struct {
				Checked  int
				Failures []string
			}
			eval(contrast, &cr)
			if cr.Checked < 50 || len(cr.Failures) > 0 {
				t.Errorf("contrast below 4.5:1 (%d texts checked): %s", cr.Checked, strings.Join(cr.Failures, "; "))
			}

			// The failing step: name, class by text and pattern, elapsed
			// time against its SLA, the SLA marked.
			var s stepState
			eval(fmt.Sprintf(inspectStep, jsString(stepSel)), &s)
			if !s.Found {
				t.Fatalf("no %s in the page", stepSel)
			}
			wantName := fmt.Sprintf("%d/%d %s", want.index, want.steps, want.step.Name)
			elapsed, sla := journey.FormatOverrun(want.step.Elapsed, want.step.SLA), gate.FormatDuration(want.step.SLA)
			if !s.Visible || !s.InView || !s.TimingVisible || s.Name != wantName {
				t.Errorf("failing step %+v: want %q visible in the viewport", s, wantName)
			}
			if !strings.HasPrefix(s.Timing, elapsed+" of SLA "+sla) {
				t.Errorf("step timing %q, want the elapsed %s against the SLA %s", s.Timing, elapsed, sla)
			}
			wantBadge := map[journey.Outcome]string{journey.SLABreach: "SLA BREACH", journey.Failed: "FAILED", journey.Errored: "ERROR"}[want.step.Outcome]
			if s.Badge != wantBadge {
				t.Errorf("step label %q, want %q", s.Badge, wantBadge)
			}
			if !strings.Contains(s.BarImage, "gradient") || s.BarWidth < 2 || !s.SLAMarker {
				t.Errorf("bar %q %.1f px wide, SLA marker %t: want a patterned bar (not only a colour) and the SLA marked", s.BarImage, s.BarWidth, s.SLAMarker)
			}
			if want.step.Outcome == journey.SLABreach && !strings.Contains(s.BarImage, "repeating-linear-gradient") {
				t.Errorf("an SLA breach is hatched; the bar's background is %q", s.BarImage)
			}

			// The evidence is collapsed, and opens on a click.
			if !s.Evidence || s.Open || s.EvidenceVisible {
				t.Fatalf("evidence %+v: want it present and collapsed", s)
			}
			run("open the evidence", chromedp.Click(chromedp.CSS(stepSel+" > details.evidence > summary")))
			eval(fmt.Sprintf(inspectStep, jsString(stepSel)), &s)
			if !s.Open || !s.EvidenceVisible {
				t.Fatalf("after a click the evidence is open=%t, visible=%t", s.Open, s.EvidenceVisible)
			}
			for _, ev := range want.step.Evidence {
				if !strings.Contains(s.EvidenceText, ev.Label) {
					t.Errorf("the open evidence lacks %q:\n%s", ev.Label, s.EvidenceText)
				}
			}
			shot("report-failed-"+vp.name+"-evidence.png", chromedp.CaptureScreenshot(), int(vp.width), int(vp.height))

			// The journey's history: both runs, this one ringed, and its
			// success rate.
			var h struct {
				Marks, Current int
				Caption        string
			}
			eval(fmt.Sprintf(`((sel) => {
  const f = document.querySelector(sel);
  return {Marks: f.querySelectorAll('path.mark').length, Current: f.querySelectorAll('circle.current').length,
          Caption: f.querySelector('figcaption').innerText};
})(%s)`, jsString("#journey-"+want.journey+" figure.history")), &h)
			if h.Marks != 2 || h.Current != 1 || !strings.Contains(h.Caption, "50.0% success") {
				t.Errorf("history %+v: want the healthy and the failed run, this one ringed, 50.0%% success", h)
			}

			if vp.width == 1280 {
				// The overview for docs/cli.md: the verdict, the table and
				// the failing journey with its evidence open.
				run("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
				run("a tall viewport", chromedp.EmulateViewport(1280, 1500))
				b := shot("report-failed-overview.png", chromedp.CaptureScreenshot(), 1280, 1500)
				if *docs {
					if err := os.WriteFile(filepath.Join(root, "docs", "report-failed.png"), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}

	seen := requested()
	if len(seen) == 0 {
		t.Error("no request recorded: the network listener does not work, so the check below proves nothing")
	}
	for _, u := range seen {
		if u != pageURL {
			t.Errorf("the page requested %s: it must load nothing but itself", u)
		}
	}
}

// recordRequests records every request the page in ctx makes from now on;
// the returned function gives those made so far.
func recordRequests(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var requested []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), requested...)
	}
}
