package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
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

// runThrough runs js through the local runner, with the real sink and
// store, against the Alertmanager at target (the instance itself, or a
// proxy in front of it); fault configures the Alertmanager when am is nil.
// It returns the outcome and when each journey's last step finished.
func runThrough(t *testing.T, target func(am *alertmanager.Instance) string, fault string, js ...journey.Journey) (runner.Outcome, *alertmanager.Instance, map[string]time.Time) {
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
	if err := journey.Validate(js); err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "results.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var mu sync.Mutex
	lastStep := map[string]time.Time{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := runner.Run(ctx, runner.Plan{
		RunID: runner.NewRunID(time.Now()), Environment: "local",
		Targets: map[string]string{"alertmanager": target(am)}, Settings: local.Settings,
		Journeys: js, Concurrency: 4, Trigger: trigger.Trigger{Type: trigger.Manual},
	}, runner.Deps{Store: st, Sink: sk, Observe: func(e journey.Event) {
		if e.Kind == journey.StepFinished {
			mu.Lock()
			lastStep[e.Journey] = time.Now()
			mu.Unlock()
		}
	}})
	return out, am, lastStep
}

func direct(am *alertmanager.Instance) string { return am.URL }

// A cleanup that hangs (ignoring its context) delays the verdict by the
// journey's cleanup budget at most, through the local runner against a
// real Alertmanager; the cleanups before it still run, the failure is in
// the result and the verdict's notes, and the journey's duration leaves
// the cleanup time out.
func TestHangingCleanupDelaysTheVerdictByTheBudgetAtMost(t *testing.T) {
	t.Parallel()
	const budget = time.Second
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	j := journey.Journey{
		Name: "hanging-cleanup", Description: "a cleanup that never returns", Tier: journey.TierGlobal,
		Owner: "test", Mode: journey.ModeEnforce, Targets: []string{"alertmanager"}, CleanupBudget: budget,
		Steps: []journey.Step{{Name: "alert posted", SLA: 3 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
			// Registered first, so it runs last: the cleanup before it works.
			t.Cleanup("hang", func(context.Context) error { <-hang; return nil })
			alert := []map[string]any{{"labels": map[string]string{"alertname": "JourneygateHangingCleanup", "jg_key": t.Unique(), "jg_run": t.RunID()}}}
			t.Cleanup("resolve alert", func(ctx context.Context) error {
				now := time.Now().UTC()
				alert[0]["endsAt"] = now
				resp, err := t.HTTP("alertmanager").Post(ctx, "/api/v2/alerts", alert)
				if err != nil {
					return err
				}
				return resp.Expect(200)
			})
			resp, err := t.HTTP("alertmanager").Post(ctx, "/api/v2/alerts", alert)
			if err != nil {
				return err
			}
			return resp.Expect(200)
		}}},
	}
	out, _, lastStep := runThrough(t, direct, "", j)
	verdictAt := time.Now()
	if out.Verdict.Status != gate.Succeeded {
		t.Fatalf("verdict %s: %s (a failed cleanup never changes it)", out.Verdict.Status, out.Verdict.Summary)
	}
	if delay := verdictAt.Sub(lastStep[j.Name]); delay > budget+500*time.Millisecond {
		t.Errorf("the verdict came %s after the last step: more than the %s cleanup budget", delay, budget)
	}
	res := gate.LatestAttempts(out.Results)[0]
	if res.Elapsed >= budget {
		t.Errorf("journey duration %s includes its cleanup (CleanupElapsed %s)", res.Elapsed, res.CleanupElapsed)
	}
	if res.CleanupElapsed < budget || res.CleanupElapsed > budget+500*time.Millisecond {
		t.Errorf("CleanupElapsed %s, want about the %s budget", res.CleanupElapsed, budget)
	}
	if len(res.Cleanup) != 2 || res.Cleanup[0].Name != "resolve alert" || res.Cleanup[0].Error != "" {
		t.Fatalf("cleanups %+v: want resolve alert to pass first", res.Cleanup)
	}
	if !strings.HasPrefix(res.Cleanup[1].Error, "the cleanup budget of 1s ran out") {
		t.Errorf("hanging cleanup recorded as %q", res.Cleanup[1].Error)
	}
	if len(out.Verdict.Notes) != 1 || out.Verdict.Notes[0].Cleanup != "hang" || !strings.Contains(out.Verdict.Summary, "1 cleanup failed: hanging-cleanup attempt 1 (hang)") {
		t.Errorf("verdict notes %+v, summary %q: want the hanging cleanup named", out.Verdict.Notes, out.Verdict.Summary)
	}
}

// silenceDelay is how long the proxy holds Alertmanager's answer to a
// silence create: past the silence-suppresses step's 3 s SLA.
const silenceDelay = 4 * time.Second

// slowSilenceProxy forwards everything to am, but answers a silence create
// (POST /api/v2/silences) only silenceDelay after Alertmanager made it: a
// slow create whose silence exists though the journey never learns its ID.
func slowSilenceProxy(t *testing.T, am *alertmanager.Instance) string {
	u, err := url.Parse(am.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/silences" {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodPost, am.URL+r.URL.RequestURI(), strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		created, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		select {
		case <-time.After(silenceDelay):
		case <-r.Context().Done():
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(created)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// activeSilences lists the silences that carry run's label (jg_run, or a
// jg_key of one of its attempts) and are not expired, asking Alertmanager
// directly.
func activeSilences(t *testing.T, am *alertmanager.Instance, run string) []string {
	t.Helper()
	resp, err := http.Get(am.URL + "/api/v2/silences")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var silences []struct {
		ID       string `json:"id"`
		Matchers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"matchers"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&silences); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range silences {
		ours := false
		for _, m := range s.Matchers {
			ours = ours || m.Name == "jg_run" && m.Value == run || m.Name == "jg_key" && strings.HasPrefix(m.Value, run+".")
		}
		if ours && s.Status.State != "expired" {
			out = append(out, s.ID+" ("+s.Status.State+")")
		}
	}
	return out
}

// The example silence journey leaks nothing when the silence create is
// slow: the silence exists, the journey never got its ID, and the cleanup
// registered before the create expires it by the run's label.
func TestSlowSilenceCreateLeaksNothing(t *testing.T) {
	t.Parallel()
	out, am, _ := runThrough(t, func(am *alertmanager.Instance) string { return slowSilenceProxy(t, am) }, "", journeys.SilenceSuppresses())
	res := gate.LatestAttempts(out.Results)[0]
	if i := res.FailedStep(); i != 0 {
		t.Fatalf("%s: %s, want the slow create to fail step 1/4: %s", res.Journey, res.Outcome, res.Message)
	}
	for _, r := range out.Results {
		for _, c := range r.Cleanup {
			if c.Error != "" {
				t.Errorf("attempt %d: cleanup %q failed: %s", r.Attempt, c.Name, c.Error)
			}
		}
	}
	// The proxy answered after the cleanup ran; the silence was made before.
	time.Sleep(silenceDelay)
	if active := activeSilences(t, am, out.Run.ID); len(active) > 0 {
		t.Errorf("silences of run %s still active after the run: %v", out.Run.ID, active)
	}
}

// Against a target that refuses every connection, the examples' cleanups
// registered before their create calls find nothing to undo (journey.NotSent)
// instead of failing, so the verdict names the refused connection alone.
func TestRefusedCreateLeavesNothingToCleanUp(t *testing.T) {
	t.Parallel()
	refused := func(*alertmanager.Instance) string { return "http://" + freeAddr(t) }
	out, _, _ := runThrough(t, refused, "", journeys.AlertToNotification(), journeys.SilenceSuppresses())
	if out.Verdict.Status != gate.Failed || !strings.Contains(out.Verdict.Summary, "connection refused") {
		t.Fatalf("verdict %s: %s, want Failed naming the refused connection", out.Verdict.Status, out.Verdict.Summary)
	}
	for _, r := range out.Results {
		for _, c := range r.Cleanup {
			if c.Error != "" {
				t.Errorf("%s attempt %d: cleanup %q failed: %s", r.Journey, r.Attempt, c.Name, c.Error)
			}
		}
	}
	if len(out.Verdict.Notes) > 0 {
		t.Errorf("verdict notes %+v, want none", out.Verdict.Notes)
	}
}
