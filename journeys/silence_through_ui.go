package journeys

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/shared/journey"
)

// The selectors of Alertmanager's web UI (v0.28's Elm UI) the UI journey
// goes by, found with a real Chromium against the pinned version.
const (
	// uiNavbar is the UI's navigation bar, shown once its app runs.
	uiNavbar = `nav a.navbar-brand`
	// uiAlert is an alert of the alerts view. The view shows the labels
	// Alertmanager groups by (jg_key among them) above the group, not on
	// the alert; the alert's "Silence" button, which opens the silence
	// form with all the alert's labels as matchers, carries them in its
	// link (uiAlertSilence).
	uiAlert = "li.list-group-item"
	// uiMatchers holds the silence form's matchers.
	uiMatchers = `label[for="filter-bar-matcher"] + div`
	// uiDuration, uiCreator and uiComment are the silence form's fields;
	// uiCreate its Create button.
	uiDuration = "div.row.mt-5 > div.form-group:nth-child(2) > input"
	uiCreator  = "div.form-group.mt-5 > input"
	uiComment  = "div.form-group.mt-5 > textarea"
	uiCreate   = "div.mb-4.mt-5 > button.btn-primary"
	// uiSilenceEdit is the Edit link of a silence's own page, shown once
	// the silence was created.
	uiSilenceEdit = `h1 a[href$="/edit"]`
)

// uiAlertSilence is the "Silence" button of the listed alert labelled
// jg_key=key: its link holds the alert's labels, percent-encoded.
func uiAlertSilence(key string) string {
	return fmt.Sprintf(`%s a[href^="#/silences/new"][href*="jg_key%%3D%%22%s%%22"]`, uiAlert, url.QueryEscape(key))
}

// uiSilenceURL is the address of a silence's page, #/silences/ID. It is
// compiled on first use: a package-level regexp is compiled at every cold
// start of the runner, which links the whole catalogue (issue 19).
var uiSilenceURL = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`#/silences/([0-9a-f-]{36})$`) })

// clearInput empties a form field the way typing does, so the UI's own
// input handler sees the change (Type appends to what is there).
const clearInput = `((sel) => {
  const el = document.querySelector(sel);
  if (!el) return false;
  el.value = '';
  el.dispatchEvent(new Event('input', {bubbles: true}));
  return true;
})(%q)`

// SilenceThroughUI: a responder silences an alert through Alertmanager's
// web UI. The journey posts an alert with this attempt's labels through
// the v2 API, opens the web UI, finds the alert in its alerts view
// filtered by its jg_key,
// silences it through the UI's silence form (the alert's Silence button,
// a short duration, who and why, Create), and confirms through the v2 API
// that the silence is active, carries the alert's jg_key and silences it.
//
// Cleanups are registered before what they undo: the alert is resolved,
// and every silence carrying this attempt's jg_key is expired
// (expireSilences), whether or not the form's Create answered.
func SilenceThroughUI() journey.Journey {
	return journey.Journey{
		Name:        "silence-through-ui",
		Description: "a responder silences a paging alert through Alertmanager's web UI",
		Tier:        journey.TierDomain,
		Owner:       "incident-pipeline",
		Covers:      covers,
		Mode:        journey.ModeEnforce,
		Targets:     []string{target},
		Browser:     true,
		Steps: []journey.Step{
			{Name: "alert accepted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return fireAndCleanUp(ctx, t, alert{Labels: labels(t, "JourneySilenceThroughUI")})
			}},
			// Starting the attempt's Chromium counts here, so its SLA
			// allows for a busy host; the UI's own answers are the steps
			// after it.
			{Name: "web UI opened", SLA: 30 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				p, err := browser.Open(ctx, t, target)
				if err != nil {
					return err
				}
				if err := p.Navigate(ctx, "/#/alerts"); err != nil {
					return err
				}
				return p.WaitVisible(ctx, uiNavbar)
			}},
			{Name: "alert listed in the web UI", SLA: 10 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				p, err := browser.Open(ctx, t, target) // the page the step before opened
				if err != nil {
					return err
				}
				filter := url.Values{"filter": {fmt.Sprintf("{jg_key=%q}", t.Unique())}}
				if err := p.Navigate(ctx, "/#/alerts?"+filter.Encode()); err != nil {
					return err
				}
				return p.WaitVisible(ctx, uiAlertSilence(t.Unique()))
			}},
			{Name: "silence created through the UI form", SLA: 15 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				p, err := browser.Open(ctx, t, target)
				if err != nil {
					return err
				}
				if err := p.Click(ctx, uiAlertSilence(t.Unique())); err != nil {
					return err
				}
				// The form takes the alert's labels as its matchers.
				if err := p.WaitText(ctx, uiMatchers, fmt.Sprintf("jg_key=%q", t.Unique())); err != nil {
					return err
				}
				var cleared bool
				if err := p.Eval(ctx, fmt.Sprintf(clearInput, uiDuration), &cleared); err != nil {
					return err
				}
				if !cleared {
					return journey.Failf("the silence form has no duration field (%s)", uiDuration)
				}
				if err := p.Type(ctx, uiDuration, uiSilenceDuration); err != nil {
					return err
				}
				if err := p.Type(ctx, uiCreator, uiCreatedBy); err != nil {
					return err
				}
				if err := p.Type(ctx, uiComment, "silenced through the web UI by journeygate, run "+t.RunID()); err != nil {
					return err
				}
				if err := p.WaitText(ctx, uiCreate, "Create"); err != nil {
					return err
				}
				var created atomic.Bool // Create was clicked: a silence may exist
				t.Cleanup("expire silences", func(ctx context.Context) error {
					if !created.Load() {
						return nil
					}
					return expireSilences(ctx, t)
				})
				created.Store(true)
				if err := p.Click(ctx, uiCreate); err != nil {
					return err
				}
				// Created, the UI shows the silence's own page.
				if err := p.WaitVisible(ctx, uiSilenceEdit); err != nil {
					return err
				}
				// The UI routes by the URL's fragment: read where it is now.
				var hash string
				if err := p.Eval(ctx, "location.hash", &hash); err != nil {
					return err
				}
				m := uiSilenceURL().FindStringSubmatch(hash)
				if m == nil {
					return journey.Failf("after Create the UI shows %s, not a silence's page (#/silences/ID)", hash)
				}
				t.Set("silence", m[1])
				return nil
			}},
			{Name: "silence active through the API", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				id, err := journey.Value[string](t, "silence")
				if err != nil {
					return err
				}
				resp, err := t.HTTP(target).Get(ctx, "/api/v2/silence/"+url.PathEscape(id))
				if err != nil {
					return err
				}
				if err := resp.Expect(200); err != nil {
					return err
				}
				var s struct {
					listedSilence
					CreatedBy string `json:"createdBy"`
				}
				if err := resp.JSON(&s); err != nil {
					return err
				}
				if !s.carries("jg_key", t.Unique()) {
					return journey.Failf("silence %s does not match jg_key=%q: matchers %+v", id, t.Unique(), s.Matchers)
				}
				if s.Status.State != "active" {
					return journey.Failf("silence %s is %s, want active", id, s.Status.State)
				}
				if s.CreatedBy != uiCreatedBy {
					// Typed values are secrets: the message does not repeat them.
					return journey.Failf("silence %s was not created by the creator the form was given", id)
				}
				return journey.Eventually(ctx, t, "the alert to be silenced by the UI's silence", func(ctx context.Context) error {
					alerts, err := listAlerts(ctx, t)
					if err != nil {
						return err
					}
					if err := expectStates(alerts, 1, "suppressed"); err != nil {
						return err
					}
					if !slices.Contains(alerts[0].Status.SilencedBy, id) {
						return fmt.Errorf("silenced by %s, not by silence %s", strings.Join(alerts[0].Status.SilencedBy, ","), id)
					}
					return nil
				})
			}},
		},
	}
}

// uiCreatedBy is the creator the UI journey types into the silence form.
// Package browser redacts every typed value from the run's text, so it is
// a value that names nothing else.
const uiCreatedBy = "jg-ui-responder"

// uiSilenceDuration is what the UI journey types into the silence form's
// duration: past its steps and cleanup, and short, should its cleanup
// fail (like silenceLifetime).
const uiSilenceDuration = "2m"
