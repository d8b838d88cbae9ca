package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/secrettest"
)

func noEnv(string) string { return "" }

// TestSecretsNeverLeakThroughTheLocalRunner runs a journey that uses a
// leased API key the target echoes back in a response and in an error
// message, and searches every output of the local runner for the key:
// the stored results and the store file itself (bbolt), the verdict, the
// JSON report, JUnit, the summary, the progress lines and the logs.
func TestSecretsNeverLeakThroughTheLocalRunner(t *testing.T) {
	secret := secrettest.NewSecret()
	target := secrettest.Target(t)
	cfg, err := envconfig.Parse("envs.yaml", []byte(secrettest.Environments("local", target.URL, time.Second)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "s.db")
	st, err := embedded.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	res := secrets.New(secrets.WithGetenv(func(k string) string {
		if k == secrettest.EnvVar {
			return secret
		}
		return ""
	}))
	leases, err := lease.NewManager(st, cfg, res)
	if err != nil {
		t.Fatal(err)
	}
	var logs, progressOut bytes.Buffer
	progress := report.NewProgress(&progressOut, false)
	env := cfg.Environments["local"]
	out := runner.Run(t.Context(), runner.Plan{
		RunID: "run-secret", Environment: "local", Targets: env.Targets, Settings: env.Settings,
		Journeys: []journey.Journey{secrettest.Journey("order-as-tenant")}, Trigger: trigger.Trigger{Type: trigger.CLI},
	}, runner.Deps{
		Store: st, Observe: progress.Observe, Leases: leases,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	progress.Stop()
	target.AssertUsed(t, secret)

	if out.Verdict.Status != gate.Failed || len(out.Results) != 1 || out.Results[0].Outcome != journey.Failed {
		t.Fatalf("verdict %s, results %+v: want the order step to fail", out.Verdict.Status, out.Results)
	}
	if msg := out.Results[0].Message; !strings.Contains(msg, "creating an order with key [REDACTED]") || !strings.Contains(msg, "api key [REDACTED] may not create orders") {
		t.Errorf("message %q: want the key redacted where the target echoed it", msg)
	}

	rep := report.Run{RunID: "run-secret", Environment: "local", StartedAt: out.Run.StartedAt, Elapsed: time.Second, Results: out.Results, Verdict: out.Verdict}
	var jsonOut, junit, summary bytes.Buffer
	if err := report.WriteJSON(&jsonOut, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteSummary(&summary, rep); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Results(t.Context(), "run-secret")
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored results %v, %v", stored, err)
	}
	storedJSON, _ := json.Marshal(stored)
	run, err := st.GetRun(t.Context(), "run-secret")
	if err != nil || run.Verdict == nil {
		t.Fatalf("stored run %+v, %v", run, err)
	}
	runJSON, _ := json.Marshal(run)
	st.Close()
	file, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		what     string
		b        []byte
		redacted bool
	}{
		{"the stored result", storedJSON, true},
		{"the stored run and verdict", runJSON, true},
		{"the store file", file, true},
		{"the JSON report", jsonOut.Bytes(), true},
		{"the JUnit report", junit.Bytes(), true},
		{"the summary", summary.Bytes(), true},
		{"the progress lines", progressOut.Bytes(), false},
		{"the logs", logs.Bytes(), true},
	} {
		secrettest.AssertClean(t, o.what, o.b, secret, o.redacted)
	}
	// Evidence of the passing step: the echoed body, redacted.
	if ev := stored[0].Steps[0].Evidence; len(ev) == 0 || !strings.Contains(ev[0].Detail, `"api_key":"[REDACTED]"`) {
		t.Errorf("evidence of the passing step: %+v", ev)
	}
	if c := stored[0].Cleanup; len(c) != 1 || !strings.Contains(c[0].Error, "key [REDACTED]: 409") {
		t.Errorf("cleanup: %+v", c)
	}
}

// leaseEnvs is an environment with a pool of n tenants.
func leaseEnvs(t *testing.T, n int, wait time.Duration) *envconfig.Config {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "environments:\n  local:\n    targets: {api: \"http://127.0.0.1:1\"}\n    pools:\n      tenants:\n        wait: %s\n        resources:\n", wait)
	for i := range n {
		fmt.Fprintf(&b, "          - {id: tenant-%d, values: {api_key: key-of-tenant-%d}}\n", i, i)
	}
	cfg, err := envconfig.Parse("envs.yaml", []byte(b.String()), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestParallelRunsNeverShareAResource: several runs at once, each of
// several journeys needing a tenant from a pool smaller than the number of
// journeys, over many rounds: no tenant is ever used by two journeys at
// once, and every journey gets one.
func TestParallelRunsNeverShareAResource(t *testing.T) {
	rounds := 5
	if testing.Short() {
		rounds = 1
	}
	cfg := leaseEnvs(t, 2, 30*time.Second)
	st := openEmbedded(t)
	leases, err := lease.NewManager(st, cfg, nil, lease.WithBackoff(poll.Backoff{First: time.Millisecond, Max: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	var inUse sync.Map
	var js []journey.Journey
	for i := range 3 {
		js = append(js, journey.Journey{
			Name: fmt.Sprintf("uses-tenant-%d", i), Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Needs: []string{"tenants"},
			Steps: []journey.Step{{Name: "exclusive", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				id := t.Resource("tenants").ID()
				if other, taken := inUse.LoadOrStore(id, t.Unique()); taken {
					return journey.Failf("%s is used by %s too", id, other)
				}
				defer inUse.Delete(id)
				time.Sleep(2 * time.Millisecond)
				return nil
			}}},
		})
	}
	for round := range rounds {
		var wg sync.WaitGroup
		for r := range 3 {
			wg.Go(func() {
				runID := fmt.Sprintf("round-%d-run-%d", round, r)
				out := runner.Run(t.Context(), runner.Plan{RunID: runID, Environment: "local", Journeys: js, Trigger: trigger.Trigger{Type: trigger.CLI}, Concurrency: 3}, runner.Deps{Store: st, Leases: leases})
				if out.Verdict.Status != gate.Succeeded {
					t.Errorf("%s: %s", runID, out.Verdict.Summary)
				}
			})
		}
		wg.Wait()
	}
	if left, err := st.Leases(t.Context(), "local", "tenants"); err != nil || len(left) != 0 {
		t.Errorf("leases left: %+v, %v", left, err)
	}
}

// TestExhaustedPoolFailsTheJourneyAsError: every tenant is held elsewhere;
// the journey waits the pool's wait, then fails with class error naming
// the pool, and the gate says so.
func TestExhaustedPoolFailsTheJourneyAsError(t *testing.T) {
	cfg := leaseEnvs(t, 1, 200*time.Millisecond)
	st := openEmbedded(t)
	leases, err := lease.NewManager(st, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	held, err := lease.Acquire(t.Context(), st, "local", cfg.Environments["local"].Pools["tenants"], "another-run")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(context.Background())
	ran := false
	j := journey.Journey{Name: "needs-tenant", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Needs: []string{"tenants"},
		Retry: journey.Retry{MaxAttempts: 1},
		Steps: []journey.Step{{Name: "uses it", SLA: time.Second, Do: func(context.Context, *journey.T) error { ran = true; return nil }}}}
	out := runner.Run(t.Context(), runner.Plan{RunID: "run-exhausted", Environment: "local", Journeys: []journey.Journey{j}, Trigger: trigger.Trigger{Type: trigger.CLI}}, runner.Deps{Store: st, Leases: leases})
	if ran {
		t.Error("the step ran without a resource")
	}
	const want = "pool tenants: no resource free within 200ms (1 leased)"
	if len(out.Results) != 1 || out.Results[0].Outcome != journey.Errored || out.Results[0].Message != want {
		t.Fatalf("results %+v: want one error %q", out.Results, want)
	}
	if out.Verdict.Status != gate.Failed || !strings.Contains(out.Verdict.Summary, want) {
		t.Errorf("verdict %s: %q", out.Verdict.Status, out.Verdict.Summary)
	}
}

func openEmbedded(t *testing.T) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
