package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/shared/journey"
)

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := browser.Executable(); err != nil {
		t.Skipf("Chromium is absent (`make tools` installs it): %v", err)
	}
}

const formPage = `<!doctype html><html><head><title>Form</title></head><body>
<form id="f" onsubmit="event.preventDefault(); document.getElementById('out').textContent = 'hello ' + document.getElementById('name').value.length;">
<input id="name" name="name"><button id="go" type="submit">Go</button></form>
<p id="out"></p><a id="link" href="/other" data-kind="nav">other</a></body></html>`

const delayedPage = `<!doctype html><html><head><title>Delayed</title></head><body><div id="app"><p>loading</p></div>
<script>setTimeout(() => { const d = document.createElement('div'); d.id = 'late'; d.textContent = 'arrived'; document.getElementById('app').appendChild(d); }, 150);</script></body></html>`

const brokenPage = `<!doctype html><html><head><title>Broken</title></head><body><div id="app"><ul class="list"><li>one</li></ul></div>
<script>console.error("boom from the page"); fetch("/api/fail");</script></body></html>`

const statusPage = `<!doctype html><html><head><title>Status</title></head><body><h1 id="status">Status: degraded</h1></body></html>`

// blankPage has neither a title nor any text, as an unrouted UI's answer.
const blankPage = `<!doctype html><html><head></head><body><div id="app"></div></body></html>`

func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/form", serve(formPage))
	mux.HandleFunc("/delayed", serve(delayedPage))
	mux.HandleFunc("/broken", serve(brokenPage))
	mux.HandleFunc("/status", serve(statusPage))
	mux.HandleFunc("/blank", serve(blankPage))
	mux.HandleFunc("/api/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream exploded", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// dirStore is a journey.Artifacts writing files under a directory.
type dirStore struct {
	dir string
	mu  sync.Mutex
	put []string
}

func (d *dirStore) Put(_ context.Context, runID, name, _ string, data []byte) (string, error) {
	p := filepath.Join(d.dir, runID, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", err
	}
	d.mu.Lock()
	d.put = append(d.put, p)
	d.mu.Unlock()
	return p, nil
}

func uiJourney(name string, sla time.Duration, do journey.StepFunc) journey.Journey {
	return journey.Journey{
		Name: name, Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Targets: []string{"web"}, Browser: true,
		Retry: journey.Retry{MaxAttempts: 1},
		Steps: []journey.Step{
			// Chromium starts within a generous SLA of its own, so the
			// step under test measures only the page.
			{Name: "open", SLA: time.Minute, Do: func(ctx context.Context, t *journey.T) error {
				_, err := browser.Open(ctx, t, "web")
				if err != nil && strings.Contains(t.Journey(), "open-fails") {
					return nil // the next step reports it
				}
				return err
			}},
			{Name: "ui", SLA: sla, Do: do},
		},
	}
}

func execute(t *testing.T, j journey.Journey, base string, store journey.Artifacts) journey.Result {
	t.Helper()
	return journey.Execute(t.Context(), j, journey.Options{
		RunID: "run1", Environment: "test", Targets: map[string]string{"web": base},
		Artifacts: store,
	})
}

func TestPassingJourney(t *testing.T) {
	t.Parallel()
	needChromium(t)
	srv := pageServer(t)
	var gotURL, text, kind string
	var ok bool
	var sum int
	res := execute(t, uiJourney("pass", 30*time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/form"); err != nil {
			return err
		}
		if err := p.Type(ctx, "#name", "abcdef"); err != nil {
			return err
		}
		if err := p.Click(ctx, "#go"); err != nil {
			return err
		}
		if err := p.WaitText(ctx, "#out", "hello 6"); err != nil {
			return err
		}
		if text, err = p.Text(ctx, "#out"); err != nil {
			return err
		}
		if kind, ok, err = p.Attribute(ctx, "#link", "data-kind"); err != nil {
			return err
		}
		if err := p.Eval(ctx, `1 + 2`, &sum); err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/delayed"); err != nil {
			return err
		}
		if err := p.WaitVisible(ctx, "#late"); err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/delayed#/route"); err != nil { // within the document
			return err
		}
		png, err := p.Screenshot(ctx)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) {
			return fmt.Errorf("screenshot is not a PNG")
		}
		gotURL = p.URL()
		return nil
	}), srv.URL, nil)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s\n%+v", res.Outcome, res.Message, res.Steps)
	}
	if text != "hello 6" || kind != "nav" || !ok || sum != 3 {
		t.Errorf("text %q, attribute %q %v, eval %d", text, kind, ok, sum)
	}
	if gotURL != srv.URL+"/delayed#/route" {
		t.Errorf("URL() = %q", gotURL)
	}
	if len(res.Cleanup) != 1 || res.Cleanup[0].Name != "close browser" || res.Cleanup[0].Error != "" {
		t.Errorf("cleanup %+v", res.Cleanup)
	}
}

func TestMissingElementIsBreachWithEvidence(t *testing.T) {
	t.Parallel()
	needChromium(t)
	srv := pageServer(t)
	store := &dirStore{dir: t.TempDir()}
	res := execute(t, uiJourney("missing", 2*time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/broken"); err != nil {
			return err
		}
		return p.WaitVisible(ctx, "#app .list li.missing")
	}), srv.URL, store)
	if res.Outcome != journey.SLABreach {
		t.Fatalf("outcome %s, want sla-breach: %s", res.Outcome, res.Message)
	}
	msg := res.Steps[1].Message
	for _, want := range []string{"#app .list li.missing", srv.URL + "/broken", `"Broken"`, "nearest match #app .list", "<li>one</li>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	ev := map[string]journey.Evidence{}
	for _, e := range res.Steps[1].Evidence {
		ev[e.Label] = e
	}
	if e := ev["browser page web"]; !strings.Contains(e.Detail, "title: Broken") || !strings.Contains(e.Detail, "<li>one</li>") {
		t.Errorf("page evidence: %+v", e)
	}
	if e := ev["console errors web"]; !strings.Contains(e.Detail, "boom from the page") {
		t.Errorf("console evidence: %+v", e)
	}
	if e := ev["failed requests web"]; !strings.Contains(e.Detail, "/api/fail → 500") {
		t.Errorf("failed requests evidence: %+v", e)
	}
	// The browser's own favicon request (a 404 here) explains nothing.
	if e := ev["failed requests web"].Detail + ev["console errors web"].Detail; strings.Contains(e, "favicon.ico") {
		t.Errorf("evidence names the favicon the browser asked for by itself:\n%s", e)
	}
	shot := ev["screenshot web"]
	if shot.Attachment == "" || shot.ContentType != "image/png" {
		t.Fatalf("no screenshot attachment: %+v (evidence %+v)", shot, res.Steps[1].Evidence)
	}
	if want := filepath.Join(store.dir, "run1", "missing-1-2.png"); shot.Attachment != want {
		t.Errorf("attachment at %s, want %s", shot.Attachment, want)
	}
	data, err := os.ReadFile(shot.Attachment)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) || len(data) > browser.MaxScreenshotBytes {
		t.Errorf("screenshot file: %d bytes, err %v", len(data), err)
	}
}

// A page with no title and no text: the evidence and the message leave
// out the title and the page text rather than show them empty.
func TestBlankPageEvidenceOmitsEmptyFields(t *testing.T) {
	t.Parallel()
	needChromium(t)
	srv := pageServer(t)
	for _, awaited := range []string{"#never", ""} {
		res := execute(t, uiJourney("blank", time.Second, func(ctx context.Context, t *journey.T) error {
			p, err := browser.Open(ctx, t, "web")
			if err != nil {
				return err
			}
			if err := p.Navigate(ctx, "/blank"); err != nil {
				return err
			}
			if awaited == "" {
				return journey.Failf("the page is blank")
			}
			return p.WaitVisible(ctx, awaited)
		}), srv.URL, nil)
		var page *journey.Evidence
		for i, e := range res.Steps[1].Evidence {
			if e.Label == "browser page web" {
				page = &res.Steps[1].Evidence[i]
			}
		}
		if page == nil {
			t.Fatalf("awaiting %q: no page evidence: %+v", awaited, res.Steps[1].Evidence)
		}
		if !strings.Contains(page.Detail, "URL: "+srv.URL+"/blank") {
			t.Errorf("awaiting %q: page evidence lacks the URL: %q", awaited, page.Detail)
		}
		for _, not := range []string{"title:", "page text:"} {
			if strings.Contains(page.Detail, not) {
				t.Errorf("awaiting %q: page evidence shows an empty %q: %q", awaited, not, page.Detail)
			}
		}
		if awaited != "" {
			if !strings.Contains(page.Detail, "the page has no text") {
				t.Errorf("page evidence %q does not say the page has no text", page.Detail)
			}
			if msg := res.Steps[1].Message; strings.Contains(msg, "title") || strings.Contains(msg, `page text: ""`) || !strings.Contains(msg, "the page has no text") {
				t.Errorf("message shows empty fields: %s", msg)
			}
		}
	}
}

func TestNoArtifactStoreSaysSo(t *testing.T) {
	t.Parallel()
	needChromium(t)
	srv := pageServer(t)
	res := execute(t, uiJourney("nostore", time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/form"); err != nil {
			return err
		}
		return p.WaitVisible(ctx, "#never")
	}), srv.URL, nil)
	for _, e := range res.Steps[1].Evidence {
		if e.Label == "screenshot web" {
			if e.Attachment != "" || !strings.Contains(e.Detail, "not kept") {
				t.Errorf("screenshot evidence without a store: %+v", e)
			}
			return
		}
	}
	t.Errorf("no screenshot evidence: %+v", res.Steps[1].Evidence)
}

func TestWrongTextIsFailed(t *testing.T) {
	t.Parallel()
	needChromium(t)
	srv := pageServer(t)
	res := execute(t, uiJourney("wrongtext", time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/status"); err != nil {
			return err
		}
		return p.WaitText(ctx, "#status", "Status: healthy")
	}), srv.URL, nil)
	if res.Outcome != journey.Failed {
		t.Fatalf("outcome %s, want failed: %s", res.Outcome, res.Message)
	}
	if msg := res.Steps[1].Message; !strings.Contains(msg, `"Status: degraded"`) || !strings.Contains(msg, `"Status: healthy"`) {
		t.Errorf("message: %s", msg)
	}
	// A journey's own assertion on Text.
	res = execute(t, uiJourney("assert", 10*time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/status"); err != nil {
			return err
		}
		got, err := p.Text(ctx, "#status")
		if err != nil {
			return err
		}
		if got != "Status: healthy" {
			return journey.Failf("status %q, want healthy", got)
		}
		return nil
	}), srv.URL, nil)
	if res.Outcome != journey.Failed {
		t.Fatalf("outcome %s, want failed: %s", res.Outcome, res.Message)
	}
}

func TestRefusedNavigationIsError(t *testing.T) {
	t.Parallel()
	needChromium(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	res := execute(t, uiJourney("refused", 20*time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		return p.Navigate(ctx, "/")
	}), refused, nil)
	if res.Outcome != journey.Errored {
		t.Fatalf("outcome %s, want error: %s", res.Outcome, res.Message)
	}
	if !strings.Contains(res.Message, "net::ERR_CONNECTION_REFUSED") {
		t.Errorf("message: %s", res.Message)
	}
}

func TestMissingBrowserFlagOrTarget(t *testing.T) {
	t.Parallel()
	j := uiJourney("noflag-open-fails", time.Second, func(ctx context.Context, t *journey.T) error {
		_, err := browser.Open(ctx, t, "web")
		return err
	})
	j.Browser = false
	res := execute(t, j, "http://127.0.0.1:1", nil)
	if res.Outcome != journey.Errored || !strings.Contains(res.Message, "Journey.Browser") {
		t.Errorf("without Journey.Browser: %s %s", res.Outcome, res.Message)
	}
	j = uiJourney("notarget-open-fails", time.Second, func(ctx context.Context, t *journey.T) error {
		_, err := browser.Open(ctx, t, "other")
		return err
	})
	res = execute(t, j, "http://127.0.0.1:1", nil)
	if res.Outcome != journey.Errored || !strings.Contains(res.Message, `"other" is not declared`) {
		t.Errorf("undeclared target: %s %s", res.Outcome, res.Message)
	}
}

func TestChromiumAbsentSaysHowToGetIt(t *testing.T) {
	t.Setenv(browser.EnvChromium, "")
	t.Setenv("PATH", t.TempDir())
	res := execute(t, uiJourney("nochromium-open-fails", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		_, err := browser.Open(ctx, t, "web")
		return err
	}), "http://127.0.0.1:1", nil)
	if res.Outcome != journey.Errored || !strings.Contains(res.Message, "apt-get install -y chromium") || !strings.Contains(res.Message, browser.EnvChromium) {
		t.Errorf("%s: %s", res.Outcome, res.Message)
	}
}

func TestTypedSecretNeverShown(t *testing.T) {
	t.Parallel()
	needChromium(t)
	srv := pageServer(t)
	store := &dirStore{dir: t.TempDir()}
	const secret = "s3cr3t-typed-value"
	res := execute(t, uiJourney("secret", 3*time.Second, func(ctx context.Context, t *journey.T) error {
		p, err := browser.Open(ctx, t, "web")
		if err != nil {
			return err
		}
		if err := p.Navigate(ctx, "/form"); err != nil {
			return err
		}
		if err := p.Type(ctx, "#name", secret); err != nil {
			return err
		}
		// The page now holds the secret in its DOM (the input's value is
		// read as its text) and the journey quotes it.
		if err := p.Eval(ctx, `document.getElementById('out').textContent = document.getElementById('name').value`, nil); err != nil {
			return err
		}
		return p.WaitText(ctx, "#out", "something else")
	}), srv.URL, store)
	if res.Outcome != journey.Failed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	b, _ := json.Marshal(res)
	if bytes.Contains(b, []byte(secret)) {
		t.Errorf("the typed secret appears in the result: %s", b)
	}
	if !bytes.Contains(b, []byte(journey.RedactedValue)) {
		t.Errorf("nothing redacted: %s", b)
	}
}

// chromiumProcesses lists the processes whose command line names dir.
func chromiumProcesses(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []string
	for _, e := range entries {
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, []byte(dir)) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestBrowserClosedAfterAttempt(t *testing.T) {
	needChromium(t)
	srv := pageServer(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var during []string
	res := execute(t, uiJourney("closed", 30*time.Second, func(ctx context.Context, jt *journey.T) error {
		p, err := browser.Open(ctx, jt, "web")
		if err != nil {
			return err
		}
		during = chromiumProcesses(t, tmp)
		return p.Navigate(ctx, "/form")
	}), srv.URL, nil)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	if len(during) == 0 {
		t.Fatalf("no Chromium process with a profile under %s while the step ran", tmp)
	}
	if left := chromiumProcesses(t, tmp); len(left) > 0 {
		t.Errorf("Chromium processes left after the attempt: %v", left)
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		t.Errorf("left in the temporary directory: %s", e.Name())
	}
}
