package runner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/shared/journey"
)

// TestBrowserConcurrency runs more browser journeys than
// Plan.BrowserConcurrency allows at once, within a larger Concurrency, and
// counts in the page server how many browsers are between their first and
// last page at once: never more than the bound.
func TestBrowserConcurrency(t *testing.T) {
	if _, err := browser.Executable(); err != nil {
		t.Skipf("Chromium is absent (`make tools` installs it): %v", err)
	}
	var mu sync.Mutex
	active, peak, entered := 0, 0, 0
	mux := http.NewServeMux()
	mux.HandleFunc("/enter", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		active++
		entered++
		peak = max(peak, active)
		mu.Unlock()
		fmt.Fprint(w, `<!doctype html><title>in</title><p id="in">in</p>`)
	})
	mux.HandleFunc("/leave", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		active--
		mu.Unlock()
		fmt.Fprint(w, `<!doctype html><title>out</title><p id="out">out</p>`)
	})
	mux.HandleFunc("/favicon.ico", http.NotFound)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	const journeys, bound = 5, 2
	var js []journey.Journey
	for i := range journeys {
		js = append(js, journey.Journey{
			Name: fmt.Sprintf("ui-%d", i), Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
			Targets: []string{"web"}, Browser: true, Retry: journey.Retry{MaxAttempts: 1},
			Steps: []journey.Step{{Name: "in and out", SLA: time.Minute, Do: func(ctx context.Context, t *journey.T) error {
				p, err := browser.Open(ctx, t, "web")
				if err != nil {
					return err
				}
				if err := p.Navigate(ctx, "/enter"); err != nil {
					return err
				}
				if err := p.WaitVisible(ctx, "#in"); err != nil {
					return err
				}
				if err := p.Navigate(ctx, "/leave"); err != nil {
					return err
				}
				return p.WaitVisible(ctx, "#out")
			}}},
		})
	}
	pl := plan(js...)
	pl.Concurrency, pl.BrowserConcurrency = journeys+1, bound
	pl.Targets = map[string]string{"web": srv.URL}
	out := Run(t.Context(), pl, Deps{Store: openStore(t)})
	for _, r := range out.Results {
		if r.Outcome != journey.Passed {
			t.Errorf("%s: %s %s", r.Journey, r.Outcome, r.Message)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if entered != journeys {
		t.Errorf("%d journeys entered, want %d", entered, journeys)
	}
	if peak > bound || peak < 1 {
		t.Errorf("%d browsers at once, bound %d", peak, bound)
	}
	t.Logf("peak %d browsers at once (bound %d)", peak, bound)
}
