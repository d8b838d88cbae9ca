package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// memHistory is a store's History over results in memory: filtered,
// newest first, bounded by Limit, as store.Store promises.
type memHistory struct {
	results []journey.Result
	limits  []int // the Limit of each query
	err     error
}

func (m *memHistory) History(_ context.Context, q store.HistoryQuery) ([]journey.Result, error) {
	m.limits = append(m.limits, q.Limit)
	if m.err != nil {
		return nil, m.err
	}
	var out []journey.Result
	for _, r := range m.results {
		if (q.Journey == "" || r.Journey == q.Journey) && (q.Environment == "" || r.Environment == q.Environment) && !r.StartedAt.Before(q.Since) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// pastRuns returns n earlier runs of the fixture's journeys, an hour
// apart before t0, with a fixed pattern of classes and durations, and one
// run after the fixture's (which an old run's report must not show).
func pastRuns(n int) []journey.Result {
	var out []journey.Result
	names := []string{"alert-to-notification", "api-health", "silence-suppresses-notification", "inhibition", "grouping"}
	for k := 1; k <= n; k++ {
		for ji, name := range names {
			res := journey.Result{
				RunID: fmt.Sprintf("run-past-%02d", k), Journey: name, Environment: "staging", Attempt: 1,
				StartedAt: t0.Add(-time.Duration(k) * time.Hour), Elapsed: ms(400 + 150*((k+ji)%5)), Outcome: journey.Passed,
			}
			switch (k + ji) % 7 {
			case 3:
				res.Outcome = journey.SLABreach
			case 5:
				res.Outcome = journey.Failed
			case 6:
				res.Outcome = journey.Errored
				retry := res
				retry.Attempt, retry.Outcome, retry.StartedAt = 2, journey.Passed, res.StartedAt.Add(time.Second)
				out = append(out, retry)
			}
			out = append(out, res)
		}
	}
	later := journey.Result{RunID: "run-later", Journey: "alert-to-notification", Environment: "staging", Attempt: 1,
		StartedAt: t0.Add(2 * time.Hour), Elapsed: ms(99999), Outcome: journey.Failed}
	return append(out, later)
}

// reportHistory is the fixture's history as LoadHistory reads it.
func reportHistory(t *testing.T, r Run) *History {
	t.Helper()
	st := &memHistory{results: append(pastRuns(12), r.Results...)}
	h, err := LoadHistory(context.Background(), st, r, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func renderHTML(t *testing.T, r Run, o HTMLOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLGolden(t *testing.T) {
	failed := fixture()
	runs := []struct {
		name string
		run  Run
		opts HTMLOptions
	}{
		{"failed", failed, HTMLOptions{History: reportHistory(t, failed), Trigger: "codedeploy", Deployment: "d-7GW8E5HQ2"}},
		{"passed", passingRun(), HTMLOptions{}},
	}
	for _, rn := range runs {
		t.Run(rn.name, func(t *testing.T) {
			golden(t, rn.name+".report.html", []byte(renderHTML(t, rn.run, rn.opts)))
		})
	}
}

// TestHTMLIsSelfContained: the page loads nothing, from anywhere: no
// scripts, style sheets, images, frames, fonts or URLs other than its
// own anchors.
func TestHTMLIsSelfContained(t *testing.T) {
	r := fixture()
	out := renderHTML(t, r, HTMLOptions{History: reportHistory(t, r)})
	for _, banned := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "src=", "http://", "https://", "//fonts"} {
		if strings.Contains(strings.ToLower(out), banned) {
			t.Errorf("report contains %q", banned)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		id, ok := strings.CutPrefix(m[1], "#")
		if !ok {
			t.Errorf("link %q leaves the page", m[1])
		} else if !strings.Contains(out, `id="`+id+`"`) {
			t.Errorf("link %q points at no element", m[1])
		}
	}
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
		t.Error("not an HTML5 page with a viewport for phones")
	}
}

// TestHTMLShowsTheFailure checks what an on-call engineer looks for: the
// verdict, the failing journey and step with elapsed time against its SLA
// in text, a distinct bar (class and pattern) and the evidence, escaped.
func TestHTMLShowsTheFailure(t *testing.T) {
	r := fixture()
	out := renderHTML(t, r, HTMLOptions{History: reportHistory(t, r)})
	wants := []string{
		`<header class="verdict failed" id="verdict">`,
		`<span class="status-label">FAILED</span>`,
		// The reason on top names journey, step and timing.
		`<a href="#journey-alert-to-notification">alert-to-notification</a><span class="where">step 3/3 (notification delivered)</span><span class="blocking">[enforce, blocking]</span>`,
		`<p class="timing">15.002s of SLA 15s (over by 2ms)</p>`,
		// The table row.
		`<td data-label="Owner">incident-team</td><td data-label="Mode">enforce, blocking</td><td class="num" data-label="Duration">16.23s</td><td data-label="Failing step">step 3/3 (notification delivered)</td>`,
		// The waterfall: the breach is labelled, hatched and over its SLA marker.
		`<li class="step sla-breach failing" id="journey-alert-to-notification-a1-s3">`,
		`<span class="badge sla-breach">SLA BREACH</span><span class="timing">15.002s of SLA 15s (over by 2ms)</span>`,
		`<span class="bar sla-breach" style="left:7.42%;width:92.58%"></span><span class="sla" style="left:99.99%"></span>`,
		`<span class="badge failed">FAILED</span><span class="timing">35ms of SLA 2s</span>`,
		`<span class="badge skipped">SKIPPED</span><span class="timing">not run (SLA 10s)</span>`,
		// Evidence of the failing step, collapsed, escaped.
		`<details class="evidence failing"><summary>Evidence of the sla breach (2): last observation, GET /api/v2/alerts?filter=run=&#34;x&#34;</summary>`,
		`<pre>sink has 0 notifications matching labels {alertname=&#34;JG&lt;run&gt;&#34;, team=&#34;a&amp;b&#34;}</pre>`,
		// A flaky pass and an earlier attempt.
		`<details class="earlier"><summary>Earlier attempt 1: error at step 1/1 (status ready) in 1.001s</summary>`,
		// The history chart: success rate and the run itself ringed.
		`<figcaption><span class="rate">`,
		`class="current"/>`,
		`(this run)</title>`,
		// A journey without a result.
		`No result recorded`,
		"cleanup &#34;expire silence&#34; failed after 3ms (not affecting the outcome): DELETE /api/v2/silence/abc: 404 Not Found",
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %s", w)
		}
	}
	if strings.Contains(out, "JG<run>") || strings.Contains(out, "<error>") {
		t.Error("evidence is not escaped")
	}
	// Blocking failures come first in the table.
	first := strings.Index(out, `<tbody>`)
	rowsHTML := out[first:strings.Index(out, `</tbody>`)]
	order := regexp.MustCompile(`<th scope="row"><a href="#[^"]+">([^<]+)</a>`).FindAllStringSubmatch(rowsHTML, -1)
	var names []string
	for _, m := range order {
		names = append(names, m[1])
	}
	if want := []string{"alert-to-notification", "silence-suppresses-notification", "inhibition", "receiver-routing", "grouping", "api-health"}; !slices.Equal(names, want) {
		t.Errorf("table order %v, want %v", names, want)
	}
}

func TestHTMLHistoryChart(t *testing.T) {
	r := fixture()
	h := reportHistory(t, r)
	out := renderHTML(t, r, HTMLOptions{History: h})
	if !strings.Contains(out, "History: each journey&#39;s last 10 runs in staging within 7d before this run") {
		t.Error("the page does not say what the history covers")
	}
	for _, s := range h.Stats {
		if s.Journey == "receiver-routing" {
			if len(s.Runs) != 0 {
				t.Errorf("receiver-routing recorded no result, yet %d runs are charted", len(s.Runs))
			}
			continue
		}
		if len(s.Runs) != 10 {
			t.Errorf("%s: %d runs charted, want the newest 10", s.Journey, len(s.Runs))
		}
		for _, run := range s.Runs {
			if run.RunID == "run-later" {
				t.Errorf("%s: a run after the reported one is charted", s.Journey)
			}
		}
	}
	var a2n, health = -1, -1
	for i, s := range h.Stats {
		switch s.Journey {
		case "alert-to-notification":
			a2n = i
		case "api-health":
			health = i
		}
	}
	if a2n < 0 || health < 0 {
		t.Fatalf("stats %+v lack journeys", h.Stats)
	}
	if got := h.Stats[a2n].Runs[0]; got.RunID != r.RunID || got.Class != journey.SLABreach {
		t.Errorf("newest alert-to-notification run %+v, want this run's sla-breach", got)
	}
	if got := h.Stats[health].Runs[0]; got.Class != journey.PassedFlaky || got.Attempts != 2 {
		t.Errorf("newest api-health run %+v, want this run's flaky pass", got)
	}
	// The marks' shapes differ by class, not only colour.
	c := newChart(h.Stats[a2n], r.RunID, h.Window)
	shapes := map[string]string{}
	for _, m := range c.Marks {
		shapes[m.Class] = regexp.MustCompile(`[0-9.\-]+`).ReplaceAllString(m.D, "")
	}
	if len(shapes) < 3 || shapes["sla-breach"] == shapes["passed"] || shapes["failed"] == shapes["passed"] || shapes["error"] == shapes["sla-breach"] {
		t.Errorf("mark shapes by class %v are not distinct", shapes)
	}
	if !strings.Contains(c.Caption, "success rate "+c.Rate) || c.Rate == "" {
		t.Errorf("caption %q lacks the success rate", c.Caption)
	}
}

func TestLoadHistory(t *testing.T) {
	r := fixture()
	t.Run("newer runs fill the first page", func(t *testing.T) {
		var results []journey.Result
		// 50 newer runs: the first query's limit of 2×3 results is used
		// up by runs the report must not show.
		for k := 1; k <= 50; k++ {
			results = append(results, journey.Result{RunID: "newer-" + strconv.Itoa(k), Journey: "api-health", Environment: "staging", Attempt: 1, StartedAt: t0.Add(time.Duration(k) * time.Hour), Outcome: journey.Failed})
		}
		results = append(results, pastRuns(5)...)
		results = append(results, r.Results...)
		st := &memHistory{results: results}
		h, err := LoadHistory(context.Background(), st, r, 0, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range h.Stats {
			if s.Journey != "api-health" {
				continue
			}
			var ids []string
			for _, run := range s.Runs {
				ids = append(ids, run.RunID)
			}
			if want := []string{r.RunID, "run-past-01", "run-past-02"}; !slices.Equal(ids, want) {
				t.Errorf("api-health runs %v, want %v", ids, want)
			}
		}
		if !slices.Contains(st.limits, 24) {
			t.Errorf("limits %v: the query was not widened", st.limits)
		}
	})
	t.Run("a run cut by the limit is dropped", func(t *testing.T) {
		// Two runs of two attempts each, and a limit of 2×1: the older
		// run's first attempt would be missing.
		a := func(run string, attempt int, h time.Duration, o journey.Outcome) journey.Result {
			return journey.Result{RunID: run, Journey: "api-health", Environment: "staging", Attempt: attempt, StartedAt: t0.Add(-h), Outcome: o}
		}
		st := &memHistory{results: []journey.Result{
			a("r1", 1, 3*time.Hour, journey.Errored), a("r1", 2, 3*time.Hour-time.Second, journey.Passed),
			a("r2", 1, 2*time.Hour, journey.Errored), a("r2", 2, 2*time.Hour-time.Second, journey.Passed),
		}}
		one := Run{RunID: "r2", Environment: "staging", StartedAt: t0.Add(-2 * time.Hour), Results: st.results[2:]}
		h, err := LoadHistory(context.Background(), st, one, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Stats) != 1 || len(h.Stats[0].Runs) != 1 || h.Stats[0].Runs[0].RunID != "r2" || h.Stats[0].Runs[0].Class != journey.PassedFlaky {
			t.Errorf("stats %+v, want r2 alone, flaky", h.Stats)
		}
	})
	t.Run("store error", func(t *testing.T) {
		st := &memHistory{err: errors.New("ProvisionedThroughputExceededException")}
		h, err := LoadHistory(context.Background(), st, r, 0, 0)
		if err == nil || h == nil || !strings.Contains(h.Unavailable, "ProvisionedThroughputExceededException") {
			t.Fatalf("history %+v, err %v", h, err)
		}
		out := renderHTML(t, r, HTMLOptions{History: h})
		if !strings.Contains(out, "History unavailable: reading the history of") {
			t.Error("the page does not say the history is unavailable")
		}
	})
}

// TestHTMLRedacts: with a Redactor, a secret that reached a result is
// redacted everywhere the page shows text.
func TestHTMLRedacts(t *testing.T) {
	const secret = "tenant-secret-4711"
	r := fixture()
	r.Results[0].Steps[2].Evidence[0].Detail += " key=" + secret
	r.Results[0].Steps[2].Message += " (" + secret + ")"
	r.Results[1].Cleanup[0].Error += " " + secret
	r.Verdict.Summary += " " + secret
	r.Verdict.Reasons[0].Message += " " + secret
	r.Verdict.Overridden = &gate.Override{Deployment: "d-1", By: "alice", Reason: "INC-1 " + secret, At: t0, ExpiresAt: t0.Add(time.Hour)}
	for _, red := range []*secrets.Redactor{nil, secrets.NewRedactor(secret)} {
		out := renderHTML(t, r, HTMLOptions{Redactor: red, Deployment: "d-1 " + secret})
		if red == nil {
			if !strings.Contains(out, secret) {
				t.Fatal("the fixture does not carry the secret: the check below could not fail")
			}
			continue
		}
		if strings.Contains(out, secret) {
			t.Errorf("the secret is in the page at %d", strings.Index(out, secret))
		}
		if n := strings.Count(out, secrets.Redacted); n < 6 {
			t.Errorf("%s appears %d times, want every place", secrets.Redacted, n)
		}
	}
}

func TestHTMLOverrideAndFreeze(t *testing.T) {
	r := passingRun()
	r.Verdict = gate.Verdict{
		Status: gate.Succeeded, Summary: "Succeeded: overridden by alice until 2025-03-14T10:26:53Z (INC-42: hotfix); the gate said Failed: environment prod is frozen",
		Reasons: []gate.Reason{{Policy: gate.PolicyFreeze, Journey: "api-health", Run: "sched-prod-1", Outcome: journey.SLABreach, Blocking: true,
			Message: "environment prod is frozen: the latest scheduled run of global journey api-health did not pass"}},
		Passed:     1,
		Overridden: &gate.Override{Deployment: "d-42", By: "alice", Reason: "INC-42: hotfix", At: t0, ExpiresAt: t0.Add(time.Hour)},
	}
	out := renderHTML(t, r, HTMLOptions{})
	for _, w := range []string{
		`<header class="verdict overridden" id="verdict">`, "SUCCEEDED (OVERRIDDEN)",
		"by <b>alice</b> at 2025-03-14 09:26:53 UTC, until 2025-03-14 10:26:53 UTC, for deployment <code>d-42</code>: INC-42: hotfix",
		"<span>environment frozen (api-health)</span>", "<code>journeygate show sched-prod-1</code>",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %s", w)
		}
	}
}

// TestWaterfallGeometry: bars start where their step started and the SLA
// marker sits at the step's start plus its SLA, on one axis per attempt.
func TestWaterfallGeometry(t *testing.T) {
	a := journey.Result{Attempt: 1, StartedAt: t0, Outcome: journey.SLABreach, Steps: []journey.StepResult{
		{Name: "a", SLA: time.Second, StartedAt: t0, Elapsed: 500 * time.Millisecond, Outcome: journey.Passed},
		{Name: "b", SLA: 2 * time.Second, StartedAt: t0.Add(500 * time.Millisecond), Elapsed: 3500 * time.Millisecond, Outcome: journey.SLABreach},
		{Name: "c", SLA: time.Second, Outcome: journey.Skipped},
	}}
	pa := newAttempt(a, "j")
	want := []struct{ bar, budget, marker string }{
		{"left:0.00%;width:12.50%", "left:0.00%;width:25.00%", "left:25.00%"},
		{"left:12.50%;width:87.50%", "left:12.50%;width:50.00%", "left:62.50%"},
		{"", "", ""},
	}
	if pa.Scale != "0 to 4s" {
		t.Errorf("scale %q, want 0 to 4s", pa.Scale)
	}
	for i, w := range want {
		s := pa.Steps[i]
		if string(s.Bar) != w.bar || string(s.Budget) != w.budget || string(s.Marker) != w.marker {
			t.Errorf("step %d: bar %q budget %q marker %q, want %q %q %q", i+1, s.Bar, s.Budget, s.Marker, w.bar, w.budget, w.marker)
		}
	}
}

func TestAnchorsAndEscaping(t *testing.T) {
	for _, tc := range []struct {
		i          int
		name, want string
	}{
		{0, "alert-to-notification", "journey-alert-to-notification"},
		{2, `a b/"<x>`, "journey-a_b___x_-3"},
		{4, "", "journey--5"},
	} {
		if got := anchor(tc.i, tc.name); got != tc.want {
			t.Errorf("anchor(%d, %q) = %q, want %q", tc.i, tc.name, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		`<script>alert("x")</script> & 'y'`:             "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;y&#39;",
		"bell\x07 esc\x1b[0m nul\x00 line\r\nnext\ttab": `bell\x07 esc\x1b[0m nul\x00 line` + "\nnext\ttab",
		"bad \xff utf8": `bad \xff utf8`,
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
