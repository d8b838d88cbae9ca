package integration

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/alertmanager"
)

// runAgainst runs the example journeys Alertmanager serves
// (alertmanager.Examples, by name) in-process against a fresh Alertmanager
// with the given fault, through the real sink and store.
func runAgainst(t *testing.T, fault string) runner.Outcome {
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
	t.Cleanup(func() { sk.Close() })
	am := startAlertmanager(t, fault, sinkURL+"/")

	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "results.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	targets := map[string]string{"alertmanager": am.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := runner.Run(ctx, runner.Plan{
		RunID: runner.NewRunID(time.Now()), Environment: "local",
		Targets: targets, Settings: local.Settings,
		Journeys: reg.All(), Concurrency: 4, Trigger: trigger.Trigger{Type: trigger.Manual},
	}, runner.Deps{Store: st, Sink: sk, Artifacts: dirArtifacts(t.TempDir())})

	// What the runner returned is what the store holds.
	stored, err := st.Results(context.Background(), out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Every attempt is stored (a journey that errored ran again); one
	// latest attempt per journey counts.
	if len(stored) != len(out.Results) || len(gate.LatestAttempts(stored)) != len(reg.All()) {
		t.Fatalf("store holds %d results for %d journeys, the runner returned %d; want %d journeys",
			len(stored), len(gate.LatestAttempts(stored)), len(out.Results), len(reg.All()))
	}
	rec, err := st.GetRun(context.Background(), out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Verdict == nil || rec.Verdict.Status != out.Verdict.Status {
		t.Fatalf("stored verdict %+v, returned %s", rec.Verdict, out.Verdict.Status)
	}
	return out
}

// usesBrowser reports whether the example journey name drives a browser.
func usesBrowser(t *testing.T, name string) bool {
	t.Helper()
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	j, ok := reg.Get(name)
	return ok && j.Browser
}

// expectScreenshot checks that a browser journey's failing step kept a
// screenshot: a PNG file, where its evidence says, that decodes.
func expectScreenshot(t *testing.T, name string, s journey.StepResult) {
	t.Helper()
	for _, e := range s.Evidence {
		if e.ContentType != "image/png" || e.Attachment == "" {
			continue
		}
		f, err := os.Open(e.Attachment)
		if err != nil {
			t.Errorf("%s: the screenshot of step %q is not where its evidence says: %v", name, s.Name, err)
			return
		}
		defer f.Close()
		cfg, err := png.DecodeConfig(f)
		if err != nil || cfg.Width == 0 || cfg.Height == 0 {
			t.Errorf("%s: the screenshot %s is not a PNG with pixels (%+v, %v)", name, e.Attachment, cfg, err)
		}
		return
	}
	var labels []string
	for _, e := range s.Evidence {
		labels = append(labels, e.Label+": "+e.Detail)
	}
	t.Errorf("%s: failing step %q kept no screenshot; its evidence:\n%s", name, s.Name, strings.Join(labels, "\n"))
}

func TestExampleJourneysPassAgainstHealthyAlertmanager(t *testing.T) {
	t.Parallel()
	out := runAgainst(t, "")
	for _, r := range gate.LatestAttempts(out.Results) {
		if r.Outcome != journey.Passed {
			t.Errorf("%s: %s: %s", r.Journey, r.Outcome, r.Message)
			for _, s := range r.Steps {
				for _, e := range s.Evidence {
					t.Logf("  %s / %s: %s", s.Name, e.Label, e.Detail)
				}
			}
		}
		for _, c := range r.Cleanup {
			if c.Error != "" {
				t.Errorf("%s: cleanup %q failed: %s", r.Journey, c.Name, c.Error)
			}
		}
	}
	if out.Verdict.Status != gate.Succeeded {
		t.Fatalf("verdict %s: %s", out.Verdict.Status, out.Verdict.Summary)
	}
}

// Each fault is a really broken Alertmanager setup; the gate must fail and
// name the journey and step that caught it.
func TestFaultsFailTheGateNamingTheStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault string
		// caught maps journey → the step that must fail, and its class.
		caught  map[string]string
		outcome journey.Outcome
	}{
		{"drop-notifications", map[string]string{
			"alert-to-notification": "notification delivered",
			"resolve-lifecycle":     "firing notification delivered",
			"alert-grouping":        "one notification with all three",
		}, journey.SLABreach},
		{"slow-group-wait", map[string]string{
			"alert-to-notification": "notification delivered",
			"resolve-lifecycle":     "firing notification delivered",
			"alert-grouping":        "one notification with all three",
		}, journey.SLABreach},
		{"no-resolved", map[string]string{
			"resolve-lifecycle": "resolved notification delivered",
		}, journey.SLABreach},
		// The web UI answers 404 while the API works: only the UI journey
		// fails, on opening the alerts view, with a screenshot.
		{"ui-not-routed", map[string]string{
			"silence-through-ui": "web UI opened",
		}, journey.Failed},
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			out := runAgainst(t, tc.fault)
			if out.Verdict.Status != gate.Failed {
				t.Fatalf("verdict %s under fault %s, want Failed", out.Verdict.Status, tc.fault)
			}
			for _, r := range gate.LatestAttempts(out.Results) {
				step, want := tc.caught[r.Journey]
				if !want {
					if r.Outcome != journey.Passed {
						t.Errorf("%s should be unaffected by %s, got %s: %s", r.Journey, tc.fault, r.Outcome, r.Message)
					}
					continue
				}
				i := r.FailedStep()
				if i < 0 {
					t.Errorf("%s passed under fault %s", r.Journey, tc.fault)
					continue
				}
				if r.Steps[i].Name != step || r.Steps[i].Outcome != tc.outcome {
					t.Errorf("%s failed at %q (%s), want %q (%s)", r.Journey, r.Steps[i].Name, r.Steps[i].Outcome, step, tc.outcome)
				}
				if usesBrowser(t, r.Journey) {
					expectScreenshot(t, r.Journey, r.Steps[i])
				}
			}
			if !strings.Contains(out.Verdict.Summary, "step") {
				t.Errorf("summary does not name a step: %s", out.Verdict.Summary)
			}
		})
	}
}
