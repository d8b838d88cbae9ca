package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

// Page is a browser tab bound to one environment target. Its methods run
// under the step's context; a Page is used by one step at a time.
type Page struct {
	s      *session
	target string
	base   string
	ctx    context.Context // the tab's chromedp context
	cancel context.CancelFunc

	mu       sync.Mutex
	url      string
	awaited  string            // the last selector awaited, for the DOM excerpt
	requests map[string]string // request ID → "GET url", while in flight
	console  []string          // console errors and uncaught exceptions, the last few
	failed   []string          // failed requests with their status, the last few
}

// maxKept bounds the console errors and failed requests a page keeps.
const maxKept = 20

// URL returns the page's current URL, as of its last navigation.
func (p *Page) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.url
}

// Navigate loads path relative to the target's base URL (it may include a
// query and a #fragment) and waits for the page to load; a change of the
// fragment alone is a navigation within the document (an SPA's route) and
// waits for nothing. A navigation that cannot reach the target (DNS,
// refused, TLS: net::ERR_*) or a document answered with a 5xx is class
// error; a 4xx is failed.
func (p *Page) Navigate(ctx context.Context, path string) error {
	target := strings.TrimRight(p.base, "/") + "/" + strings.TrimLeft(path, "/")
	actx, cancel := p.bind(ctx)
	defer cancel()
	start := time.Now()
	if sameDocument(p.URL(), target) {
		_, err := chromedp.Run(actx, func(ctx context.Context, t *chromedp.Target) (page.NavigateResult, error) {
			return cdp.Call(ctx, t, page.Navigate, page.NavigateParams{URL: target})
		})
		if err != nil {
			return p.fault("navigate to "+target, err, ctx)
		}
		p.setURL(target)
		p.s.t.Exchange("navigate "+target, nil, fmt.Sprintf("→ within the document after %s", time.Since(start).Round(time.Millisecond)), nil)
		return nil
	}
	resp, err := chromedp.Run(actx, chromedp.NavigateResponse(target))
	if err != nil {
		p.s.t.Exchange("GET "+target, nil, "→ no page: "+err.Error(), nil)
		return p.fault("navigate to "+target, err, ctx)
	}
	p.setURL(target)
	if resp == nil {
		p.s.t.Exchange("GET "+target, nil, fmt.Sprintf("→ loaded after %s", time.Since(start).Round(time.Millisecond)), nil)
		return nil
	}
	p.s.t.Exchange("GET "+target, nil, fmt.Sprintf("→ %d after %s", resp.Status, time.Since(start).Round(time.Millisecond)), nil)
	switch {
	case resp.Status >= 500:
		return &journey.StatusError{Method: "GET", URL: target, Status: int(resp.Status), Want: "a page (2xx or 3xx)"}
	case resp.Status >= 400:
		return journey.Failf("GET %s answered %d %s, expected a page", target, resp.Status, resp.StatusText)
	}
	return nil
}

// sameDocument reports whether to differs from the current URL only in a
// fragment it sets.
func sameDocument(current, to string) bool {
	cu, err1 := url.Parse(current)
	tu, err2 := url.Parse(to)
	if err1 != nil || err2 != nil || tu.Fragment == "" && tu.RawFragment == "" {
		return false
	}
	cu.Fragment, cu.RawFragment, tu.Fragment, tu.RawFragment = "", "", "", ""
	return cu.String() == tu.String()
}

// WaitVisible waits until an element matching the CSS selector is
// present and visible. At the step's deadline it is an sla-breach whose
// message says what was last on the page.
func (p *Page) WaitVisible(ctx context.Context, selector string) error {
	_, err := p.wait(ctx, selector, waitVisible, "")
	return err
}

// WaitText waits until the text of the first element matching selector
// contains text. At the step's deadline, an element found with another
// text is failed (the page answered wrongly); no such element is an
// sla-breach.
func (p *Page) WaitText(ctx context.Context, selector, text string) error {
	_, err := p.wait(ctx, selector, waitText, text)
	return err
}

// Click waits until selector is visible, then clicks its first match.
func (p *Page) Click(ctx context.Context, selector string) error {
	if _, err := p.wait(ctx, selector, waitVisible, ""); err != nil {
		return err
	}
	actx, cancel := p.bind(ctx)
	defer cancel()
	if err := chromedp.Do(actx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible)); err != nil {
		return p.fault("click "+selector, err, ctx)
	}
	return nil
}

// Type waits until selector is visible, then types text into its first
// match, key by key. text is registered as a secret of the attempt
// (journey.T.Secret): no result, evidence or log shows it, and inputs
// holding it are masked in screenshots.
func (p *Page) Type(ctx context.Context, selector, text string) error {
	p.s.t.Secret(text)
	p.s.typed(text)
	if _, err := p.wait(ctx, selector, waitVisible, ""); err != nil {
		return err
	}
	actx, cancel := p.bind(ctx)
	defer cancel()
	if err := chromedp.Do(actx, chromedp.SendKeys(chromedp.CSS(selector), text, chromedp.NodeVisible)); err != nil {
		return p.fault("type into "+selector, err, ctx)
	}
	return nil
}

// Text waits until selector is present and returns its first match's
// rendered text (innerText).
func (p *Page) Text(ctx context.Context, selector string) (string, error) {
	pr, err := p.wait(ctx, selector, waitPresent, "")
	if err != nil {
		return "", err
	}
	return pr.Text, nil
}

// Attribute waits until selector is present and returns the named
// attribute of its first match; ok is false when it has none.
func (p *Page) Attribute(ctx context.Context, selector, name string) (value string, ok bool, err error) {
	if _, err := p.wait(ctx, selector, waitPresent, ""); err != nil {
		return "", false, err
	}
	actx, cancel := p.bind(ctx)
	defer cancel()
	v, err := chromedp.Run(actx, chromedp.Evaluate[*string](fmt.Sprintf(`document.querySelector(%s)?.getAttribute(%s) ?? null`, jsString(selector), jsString(name))))
	if err != nil {
		return "", false, p.fault("read attribute "+name+" of "+selector, err, ctx)
	}
	if v == nil {
		return "", false, nil
	}
	return *v, true, nil
}

// Eval evaluates script in the page (a promise is awaited) and decodes
// its JSON value into out, unless out is nil. A script that throws is an
// error of the journey, class error.
func (p *Page) Eval(ctx context.Context, script string, out any) error {
	actx, cancel := p.bind(ctx)
	defer cancel()
	raw, err := chromedp.Run(actx, chromedp.Evaluate[[]byte](script, chromedp.EvalAwaitPromise))
	var ex *chromedp.ExceptionError
	switch {
	case errors.As(err, &ex):
		return journey.Stop(fmt.Errorf("script threw: %w", err))
	case errors.Is(err, chromedp.ErrJSUndefined) || errors.Is(err, chromedp.ErrJSNull):
		return nil
	case err != nil:
		return p.fault("evaluate a script", err, ctx)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return journey.Stop(fmt.Errorf("decode the script's value into %T: %w", out, err))
	}
	return nil
}

// Screenshot returns a PNG of the page's viewport, downscaled when needed
// to stay within MaxScreenshotBytes.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	actx, cancel := p.bind(ctx)
	defer cancel()
	png, err := screenshot(actx)
	if err != nil {
		return nil, p.fault("take a screenshot", err, ctx)
	}
	return png, nil
}

// bind returns a context for one action on the tab: the tab's, ended by
// ctx (the step's deadline, the run's cancellation) too.
func (p *Page) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	actx, cancel := context.WithCancelCause(p.ctx)
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	if d, ok := ctx.Deadline(); ok {
		dctx, dcancel := context.WithDeadline(actx, d)
		return dctx, func() { stop(); dcancel(); cancel(context.Canceled) }
	}
	return actx, func() { stop(); cancel(context.Canceled) }
}

// fault classifies an error of the browser while doing what: the step's
// own deadline or cancellation (ctx, when given) is the SLA's business;
// a browser gone or a load error (net::ERR_*) is an infrastructure fault,
// which also ends an Eventually at once.
func (p *Page) fault(what string, err error, ctx ...context.Context) error {
	for _, c := range ctx {
		if ended(c) {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	var le *chromedp.LoadError
	switch {
	case errors.As(err, &le):
		return journey.Stop(journey.Infra(fmt.Errorf("%s: %s", what, le.ErrorText)))
	case p.ctx.Err() != nil:
		return journey.Stop(journey.Infra(fmt.Errorf("%s: the browser is gone (crashed or closed): %w", what, err)))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ended reports whether ctx is done or its deadline passed (an action
// bound to it may see the deadline a moment before ctx does).
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func (p *Page) setURL(u string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.url = u
}

// wait modes.
const (
	waitPresent = iota
	waitVisible
	waitText
)

// wrongText is the observation of an element present with another text.
type wrongText struct{ pr probeResult }

func (e *wrongText) Error() string { return e.pr.describe() }

// wait polls the page (as journey.Eventually does) until selector is
// present, visible, or holds text, and returns the last probe.
func (p *Page) wait(ctx context.Context, selector string, mode int, text string) (probeResult, error) {
	p.mu.Lock()
	p.awaited = selector
	p.mu.Unlock()
	what := fmt.Sprintf("%s to be present", selector)
	switch mode {
	case waitVisible:
		what = fmt.Sprintf("%s to be visible", selector)
	case waitText:
		what = fmt.Sprintf("%s to contain %q", selector, text)
	}
	var last probeResult
	var seen error // the last observation of the page
	err := journey.Eventually(ctx, p.s.t, what, func(ctx context.Context) error {
		pr, err := p.probe(ctx, selector, text)
		if err != nil {
			if ended(ctx) && seen != nil {
				// The deadline cut this check short: what the page
				// showed last is the observation to report.
				return seen
			}
			return err
		}
		last = pr
		if pr.URL != "" {
			p.setURL(pr.URL)
		}
		switch {
		case pr.Invalid != "":
			return journey.Stop(fmt.Errorf("invalid selector %q: %s", selector, pr.Invalid))
		case !pr.Found:
			seen = errors.New(pr.describe())
		case mode == waitVisible && !pr.Visible:
			seen = errors.New(pr.describe())
		case mode == waitText && !pr.Contains:
			seen = &wrongText{pr}
		default:
			return nil
		}
		return seen
	})
	if err == nil {
		return last, nil
	}
	var te *poll.TimeoutError
	var wt *wrongText
	if errors.As(err, &te) && errors.As(te.Last, &wt) {
		return last, journey.Failf("%s has text %q, expected it to contain %q (the last of %d checks; page %s, title %q)",
			selector, clip(wt.pr.Text, 300), text, te.Attempts, wt.pr.URL, wt.pr.Title)
	}
	return last, err
}

// probe checks selector once; an error is a fault of the browser.
func (p *Page) probe(ctx context.Context, selector, text string) (probeResult, error) {
	actx, cancel := p.bind(ctx)
	defer cancel()
	pr, err := chromedp.Run(actx, chromedp.Evaluate[probeResult](probeScript(selector, text, 600)))
	if err != nil {
		var ex *chromedp.ExceptionError
		if errors.As(err, &ex) {
			// A navigation destroyed the document mid-check: not yet.
			return pr, fmt.Errorf("the page was changing: %w", err)
		}
		return pr, p.fault("check "+selector, err, ctx)
	}
	pr.selector = selector
	return pr, nil
}
