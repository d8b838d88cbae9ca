package journeys

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// target is the environment target every example calls.
const target = "alertmanager"

// covers is the service the examples cover; domain journeys run when a
// deployment touches it.
var covers = []string{"alertmanager"}

// alert is an Alertmanager v2 API alert as posted.
type alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     *time.Time        `json:"startsAt,omitempty"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// listedAlert is an alert as GET /api/v2/alerts lists it.
type listedAlert struct {
	Labels      map[string]string `json:"labels"`
	Fingerprint string            `json:"fingerprint"`
	Status      struct {
		State       string   `json:"state"`
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// notification is Alertmanager's webhook payload (version 4).
type notification struct {
	Status       string            `json:"status"`
	Receiver     string            `json:"receiver"`
	GroupLabels  map[string]string `json:"groupLabels"`
	CommonLabels map[string]string `json:"commonLabels"`
	Alerts       []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// labels returns the run-unique labels of one journey attempt's alerts.
func labels(t *journey.T, alertname string, extra ...string) map[string]string {
	l := map[string]string{
		"alertname":  alertname,
		"jg_run":     t.RunID(),
		"jg_key":     t.Unique(),
		"jg_journey": t.Journey(),
		"severity":   "page",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

// postAlerts sends alerts through the v2 API.
func postAlerts(ctx context.Context, t *journey.T, alerts ...alert) error {
	resp, err := t.HTTP(target).Post(ctx, "/api/v2/alerts", alerts)
	if err != nil {
		return err
	}
	return resp.Expect(200)
}

// resolveAlerts ends alerts now, which Alertmanager notifies as resolved.
func resolveAlerts(ctx context.Context, t *journey.T, alerts ...alert) error {
	now := time.Now().UTC()
	ended := make([]alert, len(alerts))
	for i, a := range alerts {
		a.EndsAt = &now
		ended[i] = a
	}
	return postAlerts(ctx, t, ended...)
}

// fireAndCleanUp registers the alerts' resolution as cleanup, then posts
// them: a post that outlives its step's SLA may still have made them. Only
// a post that provably never reached Alertmanager (journey.NotSent) leaves
// nothing to resolve.
func fireAndCleanUp(ctx context.Context, t *journey.T, alerts ...alert) error {
	var notSent atomic.Bool
	t.Cleanup("resolve alerts", func(ctx context.Context) error {
		if notSent.Load() {
			return nil
		}
		return resolveAlerts(ctx, t, alerts...)
	})
	err := postAlerts(ctx, t, alerts...)
	notSent.Store(journey.NotSent(err))
	return err
}

// silenceLifetime is how long an example's silence lasts: past the
// journey's steps and cleanup, and short, should its cleanup fail.
const silenceLifetime = 2 * time.Minute

// listedSilence is a silence as GET /api/v2/silences lists it.
type listedSilence struct {
	ID       string `json:"id"`
	Matchers []struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
	} `json:"matchers"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

// carries reports whether the silence matches exactly label=value.
func (s listedSilence) carries(label, value string) bool {
	for _, m := range s.Matchers {
		if m.Name == label && m.Value == value && !m.IsRegex {
			return true
		}
	}
	return false
}

// expireSilences expires every silence that carries this attempt's key
// (jg_key = T.Unique) and has not expired, whoever made it and whether or
// not its create call returned: a cleanup that finds what to undo by its
// label, registered before the create call.
func expireSilences(ctx context.Context, t *journey.T) error {
	q := url.Values{"filter": {fmt.Sprintf("jg_key=%q", t.Unique())}}
	resp, err := t.HTTP(target).Get(ctx, "/api/v2/silences?"+q.Encode())
	if err != nil {
		return err
	}
	if err := resp.Expect(200); err != nil {
		return err
	}
	var silences []listedSilence
	if err := resp.JSON(&silences); err != nil {
		return err
	}
	var errs []error
	for _, s := range silences {
		if s.Status.State == "expired" || !s.carries("jg_key", t.Unique()) {
			continue
		}
		resp, err := t.HTTP(target).Delete(ctx, "/api/v2/silence/"+url.PathEscape(s.ID))
		if err == nil {
			err = resp.Expect(200)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// listAlerts returns the alerts carrying this attempt's jg_key.
func listAlerts(ctx context.Context, t *journey.T) ([]listedAlert, error) {
	q := url.Values{"filter": {fmt.Sprintf("jg_key=%q", t.Unique())}}
	resp, err := t.HTTP(target).Get(ctx, "/api/v2/alerts?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if err := resp.Expect(200); err != nil {
		return nil, err
	}
	var out []listedAlert
	return out, resp.JSON(&out)
}

// notificationFor matches a webhook notification of this attempt's group
// with the given status ("firing" or "resolved").
func notificationFor(t *journey.T, status string, into *notification) journey.Match {
	key := t.Unique()
	return func(d journey.Delivery) error {
		var n notification
		if err := d.JSON(&n); err != nil {
			return err
		}
		if n.GroupLabels["jg_key"] != key {
			return fmt.Errorf("group %v is another journey's", n.GroupLabels)
		}
		if n.Status != status {
			return fmt.Errorf("status %q, waiting for %q", n.Status, status)
		}
		*into = n
		return nil
	}
}

// alertLabelValues lists the values of label across a notification's alerts.
func alertLabelValues(n notification, label string) []string {
	var vs []string
	for _, a := range n.Alerts {
		vs = append(vs, a.Labels[label])
	}
	sort.Strings(vs)
	return vs
}

// quietWindow declares the quiet_window setting: how long a journey waits
// to be sure no notification comes, in the step named step, whose SLA it
// must fit (checked for every environment before the run).
func quietWindow(step string) journey.Setting {
	return journey.Setting{Name: "quiet_window", Kind: journey.SettingDuration, Default: "2s", Within: []string{step}}
}

// expectStates asserts every listed alert is in state.
func expectStates(alerts []listedAlert, n int, state string) error {
	if len(alerts) != n {
		return fmt.Errorf("listed %d alerts, want %d", len(alerts), n)
	}
	var states []string
	for _, a := range alerts {
		states = append(states, a.Status.State)
	}
	if slices.ContainsFunc(states, func(s string) bool { return s != state }) {
		return fmt.Errorf("states %s, want all %q", strings.Join(states, ","), state)
	}
	return nil
}
