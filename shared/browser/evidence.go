package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// MaxScreenshotBytes bounds a screenshot: one larger is taken again,
// downscaled, until it fits.
const MaxScreenshotBytes = 300 << 10

// onEvent records what explains a failure as the tab reports it. It runs
// on chromedp's reading goroutine: it must be fast and never call the
// browser.
func (p *Page) onEvent(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			args := make([]string, 0, len(ev.Args))
			for _, a := range ev.Args {
				args = append(args, remoteText(a))
			}
			p.console = keep(p.console, "console."+string(ev.Type)+": "+clip(strings.Join(args, " "), 500))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		p.console = keep(p.console, "uncaught: "+clip(text, 500))
	case *log.EventEntryAdded:
		if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError && !isFavicon(ev.Entry.URL) {
			line := "log (" + string(ev.Entry.Source) + "): " + ev.Entry.Text
			if ev.Entry.URL != "" {
				line += " " + ev.Entry.URL
			}
			p.console = keep(p.console, clip(line, 500))
		}
	case *network.EventRequestWillBeSent:
		if ev.Request != nil && len(p.requests) < 1000 {
			p.requests[string(ev.RequestID)] = ev.Request.Method + " " + clip(ev.Request.URL, 300)
		}
	case *network.EventResponseReceived:
		req := p.requests[string(ev.RequestID)]
		if ev.Response != nil && ev.Response.Status >= 400 && !isFavicon(ev.Response.URL) {
			if req == "" {
				req = "GET " + clip(ev.Response.URL, 300)
			}
			p.failed = keep(p.failed, fmt.Sprintf("%s → %d %s", req, ev.Response.Status, ev.Response.StatusText))
		}
	case *network.EventLoadingFinished:
		delete(p.requests, string(ev.RequestID))
	case *network.EventLoadingFailed:
		if req, ok := p.requests[string(ev.RequestID)]; ok && !ev.Canceled {
			p.failed = keep(p.failed, fmt.Sprintf("%s → %s", req, ev.ErrorText))
		}
		delete(p.requests, string(ev.RequestID))
	case *page.EventFrameNavigated:
		if ev.Frame != nil && ev.Frame.ParentID == "" {
			p.url = ev.Frame.URL + ev.Frame.URLFragment
		}
	case *page.EventNavigatedWithinDocument:
		p.url = ev.URL
	}
}

// isFavicon tells whether u is a site's /favicon.ico, which the browser
// asks for by itself: its 404 explains no failure and only adds noise.
func isFavicon(u string) bool {
	parsed, err := url.Parse(u)
	return err == nil && parsed.Path == "/favicon.ico"
}

func keep(list []string, s string) []string {
	if len(list) >= maxKept {
		list = list[1:]
	}
	return append(list, s)
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if err := jsonUnmarshal(o.Value, &s); err == nil {
			return s
		}
		return string(o.Value)
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.UnserializableValue)
}

// typed remembers a value typed into a page, to mask it in screenshots.
func (s *session) typed(v string) {
	if v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.secrets, v) {
		s.secrets = append(s.secrets, v)
	}
}

// capture records each page's state as evidence of the step that did not
// pass (journey.T.OnFailure).
func (s *session) capture(ctx context.Context) error {
	s.mu.Lock()
	pages := slices.Clone(s.order)
	secrets := slices.Clone(s.secrets)
	s.mu.Unlock()
	var errs []error
	for _, p := range pages {
		if err := p.capture(ctx, secrets); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *Page) capture(ctx context.Context, secrets []string) error {
	t := p.s.t
	label := "browser page " + p.target
	if p.ctx.Err() != nil {
		t.Evidence(label, "the browser is gone (crashed or closed): nothing to capture; last URL %s", p.URL())
		return nil
	}
	p.mu.Lock()
	awaited := p.awaited
	console, failed := slices.Clone(p.console), slices.Clone(p.failed)
	p.mu.Unlock()

	actx, cancel := p.bind(ctx)
	defer cancel()
	pr, err := chromedp.Run(actx, chromedp.Evaluate[probeResult](probeScript(awaited, "", 1500)))
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "URL: %s\nthe page could not be read: %v\n", p.URL(), err)
	} else {
		// Fields the page leaves empty (no title, no text) are left out.
		fmt.Fprintf(&b, "URL: %s\n", pr.URL)
		if strings.TrimSpace(pr.Title) != "" {
			fmt.Fprintf(&b, "title: %s\n", pr.Title)
		}
		hasText := strings.TrimSpace(pr.Body) != ""
		switch {
		case awaited == "" && !hasText:
		case awaited == "":
			fmt.Fprintf(&b, "page text:\n%s\n", pr.Body)
		case pr.Found:
			visible := "visible"
			if !pr.Visible {
				visible = "not visible"
			}
			fmt.Fprintf(&b, "awaited %s: present, %s:\n%s\n", awaited, visible, pr.HTML)
		case pr.Near != "":
			fmt.Fprintf(&b, "awaited %s: no match; nearest match %s:\n%s\n", awaited, pr.Near, pr.HTML)
		case !hasText:
			fmt.Fprintf(&b, "awaited %s: no match, nor any prefix of it; the page has no text\n", awaited)
		default:
			fmt.Fprintf(&b, "awaited %s: no match, nor any prefix of it; page text:\n%s\n", awaited, pr.Body)
		}
	}
	t.Evidence(label, "%s", strings.TrimRight(b.String(), "\n"))
	if len(console) > 0 {
		t.Evidence("console errors "+p.target, "%s", strings.Join(console, "\n"))
	}
	if len(failed) > 0 {
		t.Evidence("failed requests "+p.target, "%s", strings.Join(failed, "\n"))
	}
	png, err := p.maskedScreenshot(actx, secrets)
	if err != nil {
		t.Evidence("screenshot "+p.target, "not taken: %v", err)
		return nil
	}
	_, _ = t.Attach(ctx, "screenshot "+p.target, "viewport of "+p.URL(), "image/png", png)
	return nil
}

// maskedScreenshot takes a screenshot with every input holding a typed
// value shown as dots.
func (p *Page) maskedScreenshot(ctx context.Context, secrets []string) ([]byte, error) {
	if len(secrets) > 0 {
		mask := fmt.Sprintf(`(() => { const s = %s; let n = 0;
  for (const el of document.querySelectorAll("input, textarea")) {
    if (s.some(v => (el.value || "").includes(v))) { el.dataset.jgMask = el.style.webkitTextSecurity || ""; el.style.webkitTextSecurity = "disc"; n++; }
  }
  return n; })()`, jsonMarshal(secrets))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](mask)); err != nil {
			return nil, fmt.Errorf("masking typed values: %w", err)
		}
		defer func() {
			_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`for (const el of document.querySelectorAll("[data-jg-mask]")) { el.style.webkitTextSecurity = el.dataset.jgMask; delete el.dataset.jgMask; }`))
		}()
	}
	return screenshot(ctx)
}

// screenshot captures the viewport as PNG, downscaling until it fits in
// MaxScreenshotBytes.
func screenshot(ctx context.Context) ([]byte, error) {
	return chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		metrics, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		vp := metrics.CSSVisualViewport
		for _, scale := range []float64{1, 0.5, 0.3, 0.2} {
			params := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng}
			if vp != nil && scale < 1 {
				params.Clip = &page.Viewport{X: vp.PageX, Y: vp.PageY, Width: vp.ClientWidth, Height: vp.ClientHeight, Scale: scale}
			}
			res, err := cdp.Call(ctx, t, page.CaptureScreenshot, params)
			if err != nil {
				return nil, err
			}
			if len(res.Data) <= MaxScreenshotBytes {
				return res.Data, nil
			}
		}
		return nil, fmt.Errorf("the page's screenshot stays over %d bytes even downscaled", MaxScreenshotBytes)
	})
}
