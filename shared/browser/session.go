package browser

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/chromedp/chromedp"

	"github.com/journeygate/journeygate/shared/journey"
)

// sessionKey keys an attempt's session (journey.T.AttemptValue).
type sessionKey struct{}

// session is one attempt's Chromium and its pages, one per target.
type session struct {
	t *journey.T

	mu       sync.Mutex
	pages    map[string]*Page
	order    []*Page
	closed   bool
	starting chan struct{} // closed when the start attempt ended
	startErr error
	secrets  []string // values typed into the pages, masked in screenshots

	allocCancel   context.CancelFunc
	browserCtx    context.Context
	browserCancel context.CancelFunc
}

// Open returns the attempt's page bound to environment target `target`
// (t.HTTP's target map, so the stage-chosen targets apply); the attempt's
// one Chromium (fresh profile) starts on first Open and is closed by a
// t.Cleanup. The journey must set Journey.Browser and declare target in
// Journey.Targets. Opening a target again returns the same page.
//
// Starting Chromium counts against the step's SLA (typically well under a
// second); a Chromium that cannot be found or started is class error.
func Open(ctx context.Context, t *journey.T, target string) (*Page, error) {
	if !t.UsesBrowser() {
		return nil, journey.Stop(fmt.Errorf("journey %q opens a browser page but does not set Journey.Browser", t.Journey()))
	}
	base, err := t.Target(target)
	if err != nil {
		return nil, err
	}
	s := t.AttemptValue(sessionKey{}, func() any { return &session{t: t, pages: map[string]*Page{}} }).(*session)
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s.page(ctx, target, base)
}

// start starts the attempt's Chromium once; a later call waits for the
// first one and returns its error.
func (s *session) start(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return journey.Stop(errors.New("the attempt's browser is closed already"))
	}
	first := s.starting == nil
	if first {
		s.starting = make(chan struct{})
		// Registered before the browser starts, so whatever the start
		// leaves behind is closed (see T.Cleanup).
		s.t.Cleanup("close browser", s.close)
		s.t.OnFailure("browser page", s.capture)
	}
	starting := s.starting
	s.mu.Unlock()
	if first {
		go s.launch()
	}
	select {
	case <-starting:
		return s.startErr
	case <-ctx.Done():
		return fmt.Errorf("starting Chromium: %w", context.Cause(ctx))
	}
}

// launch starts Chromium under a context of its own: the browser lives as
// long as the context of its first run (chromedp), which must outlive the
// step that happens to open it.
func (s *session) launch() {
	defer close(s.starting)
	exe, err := Executable()
	if err != nil {
		s.startErr = journey.Stop(err)
		return
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), allocatorOptions(exe)...)
	browserCtx, browserCancel := chromedp.NewContext(allocCtx,
		chromedp.WithLogf(s.t.Logf), chromedp.WithErrorf(s.t.Logf))
	s.mu.Lock()
	s.allocCancel, s.browserCtx, s.browserCancel = allocCancel, browserCtx, browserCancel
	s.mu.Unlock()
	if err := chromedp.Do(browserCtx); err != nil {
		s.startErr = journey.Stop(journey.Infra(fmt.Errorf("starting Chromium %s: %w", exe, err)))
	}
}

// page returns the page of target, opening a tab for it the first time.
func (s *session) page(ctx context.Context, target, base string) (*Page, error) {
	s.mu.Lock()
	if p, ok := s.pages[target]; ok {
		s.mu.Unlock()
		return p, nil
	}
	p := &Page{s: s, target: target, base: base, requests: map[string]string{}}
	p.ctx, p.cancel = chromedp.NewContext(s.browserCtx, chromedp.WithListener(p.onEvent))
	s.pages[target] = p
	s.order = append(s.order, p)
	s.mu.Unlock()
	// The tab's first run opens it and must not carry the step's deadline
	// either: the tab would close with it.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(p.ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return nil, p.fault("opening a tab", err)
		}
		return p, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("opening a tab for %s: %w", target, context.Cause(ctx))
	}
}

// close closes the attempt's Chromium: its tabs, the browser, then the
// process, whose temporary profile chromedp removes. It waits for all of
// it, or for the cleanup's budget.
func (s *session) close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	starting := s.starting
	s.mu.Unlock()
	if starting == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() {
		<-starting // a browser still starting is closed once it runs
		s.mu.Lock()
		pages := slices.Clone(s.order)
		s.mu.Unlock()
		for _, p := range pages {
			p.cancel()
		}
		var err error
		if s.browserCtx != nil {
			// Closes the browser gracefully, then the allocator waits for
			// the process to exit and removes its profile.
			err = chromedp.Cancel(s.browserCtx)
			s.browserCancel()
			s.allocCancel()
		}
		if errors.Is(err, context.Canceled) {
			err = nil // the browser was gone already (it crashed)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("closing Chromium: %w", context.Cause(ctx))
	}
}
