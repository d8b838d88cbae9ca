package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/faultproxy"
)

// environmentsFile writes an environments file whose local environment
// targets target, sets quiet_window and runs the sink at sinkAddr, and
// returns its path; edit changes the text first (nil: none).
func environmentsFile(t *testing.T, target, quietWindow, sinkAddr string, edit func(string) string) string {
	t.Helper()
	text := fmt.Sprintf(`environments:
  local:
    targets:
      alertmanager: %s
    settings:
      quiet_window: %s
    sink:
      listen: %s
      correlate: [/groupLabels/jg_run, /commonLabels/jg_run]
`, target, quietWindow, sinkAddr)
	if edit != nil {
		text = edit(text)
	}
	path := filepath.Join(t.TempDir(), "envs.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsonRun is what `journeygate run --json` prints.
type jsonRun struct {
	Results  []journey.Result      `json:"results"`
	Verdict  gate.Verdict          `json:"verdict"`
	Journeys []report.JourneyClass `json:"journeys"`
	proc     procResult
}

// class returns the class of journey name.
func (r jsonRun) class(name string) journey.Outcome {
	for _, j := range r.Journeys {
		if j.Journey == name {
			return j.Class
		}
	}
	return ""
}

// attempts returns the attempts of journey name, oldest first.
func (r jsonRun) attempts(name string) []journey.Result {
	var out []journey.Result
	for _, res := range r.Results {
		if res.Journey == name {
			out = append(out, res)
		}
	}
	return out
}

// gateRun runs `journeygate run --json` of the example API journeys
// (apiExampleArgs) with the environments file config and a fresh store,
// and decodes what it prints.
func gateRun(t *testing.T, cli, config string, args ...string) jsonRun {
	t.Helper()
	args = append(append([]string{"run", "--json", "--config", config, "--store", filepath.Join(t.TempDir(), "results.db")}, apiExampleArgs(t)...), args...)
	p := runProc(t, nil, cli, args...)
	r := jsonRun{proc: p}
	if err := json.Unmarshal([]byte(p.stdout), &r); err != nil {
		t.Fatalf("exit %d; stdout is not the JSON report (%v)\nstdout:\n%s\nstderr:\n%s", p.code, err, p.stdout, p.stderr)
	}
	return r
}

// apiExampleArgs selects the examples that call Alertmanager's API alone,
// leaving out the UI journeys (Journey.Browser): the tests through a fault
// proxy count and break the journeys' own API calls, and a browser's
// requests for the web UI through the same proxy (its scripts, its own
// GET /api/v2/alerts) would be counted and broken too. How a UI journey
// meets a broken target is package browser's tests' concern.
func apiExampleArgs(t *testing.T) []string {
	t.Helper()
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, j := range reg.All() {
		if !j.Browser {
			args = append(args, "--journey", j.Name)
		}
	}
	return args
}

// startProxy starts a fault proxy in front of am.
func startProxy(t *testing.T, am *alertmanager.Instance, cfg faultproxy.Config) *faultproxy.Proxy {
	t.Helper()
	cfg.Upstream = am.URL
	p, err := faultproxy.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// listAlerts is the request both example journeys poll inside Eventually.
const listAlerts = "GET /api/v2/alerts"

// A wrong answer ends the step at once as failed, not as an sla-breach
// after polling it until the SLA: the target answers the alert listing
// that alert-to-notification and silence-suppresses poll in
// journey.Eventually (5 s steps) with malformed JSON, an HTML login page,
// a body far over the 1 MiB read limit, or a 403. Through `journeygate
// run` against a real Alertmanager behind a fault proxy; the journeys
// that never list alerts pass.
func TestWrongAnswersFailAtOnce(t *testing.T) {
	t.Parallel()
	cli, _ := binaries(t)
	rows := []struct {
		name  string
		fault faultproxy.Config
		msg   string
	}{
		{"malformed JSON", faultproxy.Config{Body: []byte(`[{"labels": {"alertname": `), ContentType: "application/json"}, "not the expected JSON: unexpected end of JSON input"},
		{"an HTML page", faultproxy.Config{Body: []byte("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action=/login>...</form></body></html>"), ContentType: "text/html; charset=utf-8"}, "not the expected JSON but an HTML page (status 200"},
		{"an oversized body", faultproxy.Config{BodySize: 8 << 20}, "body exceeds 1048576 bytes"},
		{"a 4xx inside Eventually", faultproxy.Config{Status: 403}, "status 403, expected 200"},
	}
	polled := map[string]string{"alert-to-notification": "alert listed by API", "silence-suppresses": "alert suppressed by the silence"}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			sinkAddr := freeAddr(t)
			am := startAlertmanager(t, "", "http://"+sinkAddr+"/")
			row.fault.Only = []string{listAlerts}
			proxy := startProxy(t, am, row.fault)
			r := gateRun(t, cli, environmentsFile(t, proxy.URL, "1s", sinkAddr, nil))
			if r.proc.code != 1 || r.Verdict.Status != gate.Failed {
				t.Fatalf("exit %d, verdict %s (%s); want 1, Failed\nstderr:\n%s", r.proc.code, r.Verdict.Status, r.Verdict.Summary, r.proc.stderr)
			}
			for name, step := range polled {
				if c := r.class(name); c != journey.Failed {
					t.Errorf("%s: class %s, want failed", name, c)
				}
				as := r.attempts(name)
				if len(as) != 1 {
					t.Errorf("%s: %d attempts, want 1 (a failed journey is not retried)", name, len(as))
					continue
				}
				i := as[0].FailedStep()
				if i < 0 || as[0].Steps[i].Name != step {
					t.Errorf("%s: failed at step %d, want %q: %s", name, i+1, step, as[0].Message)
					continue
				}
				s := as[0].Steps[i]
				if !strings.Contains(s.Message, row.msg) {
					t.Errorf("%s: message %q, want it to contain %q", name, s.Message, row.msg)
				}
				if s.Elapsed >= s.SLA/2 {
					t.Errorf("%s: step %q took %s, want it over well before half its %s SLA", name, step, s.Elapsed, s.SLA)
				}
			}
			for _, name := range []string{"alert-grouping", "resolve-lifecycle"} {
				if c := r.class(name); c != journey.Passed {
					t.Errorf("%s (lists no alerts): class %s, want passed", name, c)
				}
			}
			if n := proxy.Requests(listAlerts); n != len(polled) {
				t.Errorf("the alert listing was asked %d times, want %d: once per journey, never again", n, len(polled))
			}
		})
	}
}

// An undefined target, a quiet_window of -2s, one that cannot fit the
// 5 s step that waits it out, and a YAML indentation error are exit 2
// from `journeygate run`, naming the file, the line and (for the first
// three) the journey, before any request: not one connection reaches the
// proxy in front of the real Alertmanager.
func TestConfigErrorsExitTwoBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	cli, _ := binaries(t)
	sinkAddr := freeAddr(t)
	am := startAlertmanager(t, "", "http://"+sinkAddr+"/")
	proxy := startProxy(t, am, faultproxy.Config{})
	rows := []struct {
		name   string
		window string
		edit   func(string) string
		want   []string // with FILE for the file's path
	}{
		{
			name: "undefined target", window: "1s",
			edit: func(s string) string { return strings.Replace(s, "alertmanager: ", "alertmgr: ", 1) },
			want: []string{`FILE:3: environments.local.targets: missing target "alertmanager" used by journey "alert-to-notification" (defined: alertmgr)`},
		},
		{
			name: "negative quiet_window", window: "-2s",
			want: []string{
				`FILE:6: environments.local.settings.quiet_window: journey "alert-grouping": "-2s" is not a positive duration`,
				`FILE:6: environments.local.settings.quiet_window: journey "silence-suppresses": "-2s" is not a positive duration`,
			},
		},
		{
			name: "quiet_window that cannot fit its step", window: "6s",
			want: []string{`FILE:6: environments.local.settings.quiet_window: journey "alert-grouping": 6s does not fit in step 3/3 (no second notification), whose SLA is 5s: it must be shorter`},
		},
		{
			name: "indentation error", window: "1s",
			edit: func(s string) string { return strings.Replace(s, "    settings:", "   settings:", 1) },
			want: []string{`FILE:5: did not find expected key (check its indentation`},
		},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			config := environmentsFile(t, proxy.URL, row.window, sinkAddr, row.edit)
			p := runProc(t, nil, cli, append([]string{"run", "--config", config, "--store", filepath.Join(t.TempDir(), "results.db")}, alertmanager.ExampleArgs()...)...)
			if p.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", p.code, p.stdout, p.stderr)
			}
			for _, w := range row.want {
				if w = strings.ReplaceAll(w, "FILE", config); !strings.Contains(p.stderr, w) {
					t.Errorf("stderr lacks\n  %s\nstderr:\n%s", w, p.stderr)
				}
			}
			if strings.Contains(p.stdout, "journeygate run ") {
				t.Errorf("the run started:\n%s", p.stdout)
			}
		})
	}
	if n := proxy.Connections(); n != 0 {
		t.Errorf("%d connections reached the target's proxy (%d requests), want none: configuration is checked before any request", n, proxy.Requests(""))
	}
}

// A target answering 503 for its first second: every journey's first
// call meets it, the retry waits about a second and passes, so the run
// ends Succeeded with the journeys passed-flaky and the 503 in the flaky
// notes.
func TestUnavailableForItsFirstSecondIsFlaky(t *testing.T) {
	t.Parallel()
	cli, _ := binaries(t)
	sinkAddr := freeAddr(t)
	am := startAlertmanager(t, "", "http://"+sinkAddr+"/")
	proxy := startProxy(t, am, faultproxy.Config{UnavailableFor: time.Second})
	r := gateRun(t, cli, environmentsFile(t, proxy.URL, "1s", sinkAddr, nil))
	if r.proc.code != 0 || r.Verdict.Status != gate.Succeeded {
		t.Fatalf("exit %d, verdict %s (%s); want 0, Succeeded\nstderr:\n%s", r.proc.code, r.Verdict.Status, r.Verdict.Summary, r.proc.stderr)
	}
	if n := len(apiExampleArgs(t)) / 2; len(r.Journeys) != n || r.Verdict.Flaky != n {
		t.Errorf("%d journeys, %d flaky; want all %d passed-flaky: %s", len(r.Journeys), r.Verdict.Flaky, n, r.Verdict.Summary)
	}
	for _, j := range r.Journeys {
		if j.Class != journey.PassedFlaky {
			t.Errorf("%s: class %s, want passed-flaky", j.Journey, j.Class)
		}
		as := r.attempts(j.Journey)
		if len(as) != 2 {
			t.Errorf("%s: %d attempts, want 2", j.Journey, len(as))
			continue
		}
		if gap := as[1].StartedAt.Sub(as[0].StartedAt.Add(as[0].Elapsed)); gap < journey.DefaultRetryDelay {
			t.Errorf("%s: the retry started %s after the first attempt, want a wait of at least %s", j.Journey, gap, journey.DefaultRetryDelay)
		}
	}
	for _, f := range r.Verdict.Flakes {
		if len(f.Earlier) == 0 || !strings.Contains(f.Earlier[0].Message, "status 503") {
			t.Errorf("%s: flaky note %+v does not name the 503", f.Journey, f.Earlier)
		}
	}
}

// A target resetting every tenth connection: ten runs in a row against it
// each end Succeeded, a journey a reset met passing on its retry as
// passed-flaky with the reset named in the flaky notes.
func TestResetEveryTenthConnectionIsRiddenOut(t *testing.T) {
	t.Parallel()
	cli, _ := binaries(t)
	sinkAddr := freeAddr(t)
	am := startAlertmanager(t, "", "http://"+sinkAddr+"/")
	proxy := startProxy(t, am, faultproxy.Config{ResetEvery: 10})
	config := environmentsFile(t, proxy.URL, "1s", sinkAddr, nil)
	flaky, succeeded := 0, 0
	for i := range 10 {
		r := gateRun(t, cli, config)
		if r.proc.code != 0 || r.Verdict.Status != gate.Succeeded {
			t.Errorf("run %d: exit %d, verdict %s: %s\nstderr:\n%s", i+1, r.proc.code, r.Verdict.Status, r.Verdict.Summary, r.proc.stderr)
			continue
		}
		succeeded++
		for _, f := range r.Verdict.Flakes {
			flaky++
			if len(f.Earlier) == 0 || !strings.Contains(f.Earlier[len(f.Earlier)-1].Message, "connection reset by peer") {
				t.Errorf("run %d: %s is flaky for another cause than the reset: %+v", i+1, f.Journey, f.Earlier)
			}
		}
	}
	t.Logf("%d of 10 runs Succeeded; %d connections, %d reset, %d journeys passed-flaky", succeeded, proxy.Connections(), proxy.Resets(), flaky)
	if proxy.Resets() == 0 || flaky == 0 {
		t.Errorf("%d connections, %d reset, %d flaky journeys: the resets never met a journey", proxy.Connections(), proxy.Resets(), flaky)
	}
}
