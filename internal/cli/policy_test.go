package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/backend"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/awslocal"
	"github.com/journeygate/journeygate/test/dynalite"
)

func TestOverrideUsage(t *testing.T) {
	st := filepath.Join(t.TempDir(), "s.db")
	if s, err := embedded.Open(st); err != nil { // show and decide read an existing store
		t.Fatal(err)
	} else {
		s.Close()
	}
	user := map[string]string{"USER": "alice"}
	cases := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"without a reason it is refused", user, []string{"override", "--deployment", "d-1", "--store", st}, `refused: an override needs --reason`},
		{"a blank reason is refused", user, []string{"override", "--deployment", "d-1", "--reason", "  ", "--store", st}, `refused: an override needs --reason`},
		{"without a deployment", user, []string{"override", "--reason", "why", "--store", st}, "--deployment ID is required"},
		{"ttl over the maximum", user, []string{"override", "--deployment", "d-1", "--reason", "why", "--ttl", "25h", "--store", st}, "at most 24h0m0s"},
		{"no ttl", user, []string{"override", "--deployment", "d-1", "--reason", "why", "--ttl", "0s", "--store", st}, "--ttl"},
		{"nobody to name", nil, []string{"override", "--deployment", "d-1", "--reason", "why", "--store", st}, "--by NAME is required: $USER is not set"},
		{"decide without a run", user, []string{"decide", "--store", st}, "--run ID is required"},
		{"decide an unknown run", user, []string{"decide", "--run", "nope", "--store", st}, `no run "nope"`},
		{"show without a run", nil, []string{"show", "--store", st}, "name the run"},
		{"show an unknown run", nil, []string{"show", "nope", "--store", st}, `no run "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := invokeCLI(t, tc.vars, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, exitUsage, tc.want, stderr)
			}
		})
	}
	// Nothing was recorded by the refused attempts.
	s, err := embedded.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Overrides(context.Background(), "d-1"); err != nil || len(got) != 0 {
		t.Errorf("overrides after refusals: %v, %v", got, err)
	}
}

func TestOverrideRecordsWhoFromUser(t *testing.T) {
	st := filepath.Join(t.TempDir(), "s.db")
	code, stdout, stderr := invokeCLI(t, map[string]string{"USER": "alice"}, "override", "--deployment", "d-1", "--reason", "INC-42: known test-data issue", "--ttl", "2h", "--store", st)
	if code != exitSucceeded {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"override recorded for deployment d-1", "by:      alice (from $USER)", "reason:  INC-42: known test-data issue", "(2h0m0s)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = invokeCLI(t, map[string]string{"USER": "alice"}, "override", "--deployment", "d-1", "--reason", "second", "--by", "bob", "--store", st)
	if code != exitSucceeded || !strings.Contains(stdout, "by:      bob (from --by)") {
		t.Errorf("--by: exit %d\n%s", code, stdout)
	}
	s, err := embedded.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Overrides(context.Background(), "d-1")
	if err != nil || len(got) != 2 || got[0].By != "alice" || got[1].By != "bob" || got[0].ExpiresAt.Sub(got[0].At) != 2*time.Hour || got[1].ExpiresAt.Sub(got[1].At) != gate.DefaultOverrideTTL {
		t.Errorf("stored %+v, %v", got, err)
	}
}

// runJSON is the part of `run --json` these tests read.
type runJSON struct {
	RunID   string       `json:"runId"`
	Verdict gate.Verdict `json:"verdict"`
}

// TestRunWithDeploymentAppliesPolicies is the local runner path: a
// failing scheduled run freezes `journeygate run --deployment`, and an
// override recorded for that deployment lets a failing run through.
func TestRunWithDeploymentAppliesPolicies(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "s.db")
	vars := map[string]string{"JOURNEYGATE_ALERTMANAGER_URL": "http://127.0.0.1:1", "JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0", "USER": "alice"}

	// A scheduled run of the global journey failed 3 minutes ago.
	s, err := embedded.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	started := time.Now().UTC().Add(-3 * time.Minute)
	if err := s.CreateRun(ctx, store.RunRecord{ID: "sched-1", Environment: "local", Trigger: trigger.Trigger{Type: trigger.Schedule}, StartedAt: started,
		Planned: []gate.Planned{{Name: "alert-to-notification", Mode: journey.ModeEnforce}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutResult(ctx, journey.Result{RunID: "sched-1", Journey: "alert-to-notification", Environment: "local", Tier: journey.TierGlobal,
		Mode: journey.ModeEnforce, Attempt: 1, StartedAt: started, Outcome: journey.SLABreach,
		Steps: []journey.StepResult{{Name: "notification delivered", SLA: 10 * time.Second, Elapsed: 10003 * time.Millisecond, Outcome: journey.SLABreach, Message: "no notification"}}}); err != nil {
		t.Fatal(err)
	}

	decide := func(args ...string) (int, runJSON) {
		t.Helper()
		code, stdout, stderr := invokeCLI(t, vars, append([]string{"run", "--journey", "alert-to-notification", "--json", "--store", st}, args...)...)
		var out runJSON
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("exit %d, stdout not JSON: %v\n%s\n%s", code, err, stdout, stderr)
		}
		return code, out
	}
	freezeOf := func(v gate.Verdict) *gate.Reason {
		for _, r := range v.Reasons {
			if r.Policy == gate.PolicyFreeze {
				return &r
			}
		}
		return nil
	}

	code, out := decide("--deployment", "d-1")
	if code != exitFailed || out.Verdict.Status != gate.Failed {
		t.Fatalf("exit %d, verdict %s", code, out.Verdict.Status)
	}
	if f := freezeOf(out.Verdict); f == nil || f.Run != "sched-1" || !strings.Contains(f.Message, "global journey alert-to-notification") {
		t.Errorf("a run gating a deployment is frozen by sched-1: %+v", out.Verdict.Reasons)
	}
	if _, plain := decide(); freezeOf(plain.Verdict) != nil {
		t.Errorf("a run gating no deployment is not frozen: %+v", plain.Verdict.Reasons)
	}

	if code, _, stderr := invokeCLI(t, vars, "override", "--deployment", "d-1", "--reason", "alertmanager maintenance, INC-9", "--store", st); code != exitSucceeded {
		t.Fatalf("override: exit %d\n%s", code, stderr)
	}
	code, out = decide("--deployment", "d-1")
	if code != exitSucceeded || out.Verdict.Status != gate.Succeeded || out.Verdict.Overridden == nil || out.Verdict.Overridden.By != "alice" {
		t.Fatalf("overridden run: exit %d, verdict %+v", code, out.Verdict)
	}
	if freezeOf(out.Verdict) == nil || len(out.Verdict.Reasons) != 2 {
		t.Errorf("the overridden verdict keeps the journey's failure and the freeze: %+v", out.Verdict.Reasons)
	}
	if rec, err := s.GetRun(ctx, out.RunID); err != nil || rec.Trigger.Deployment() != "d-1" || rec.Verdict == nil || rec.Verdict.Overridden == nil {
		t.Errorf("recorded run %+v, %v", rec, err)
	}
	if code, _ := decide("--deployment", "d-2"); code != exitFailed {
		t.Errorf("another deployment: exit %d, want %d", code, exitFailed)
	}
}

// TestDecideReportsToAWaitingHookOnce: the gate recorded Failed but its
// report never reached CodeDeploy; after an override, `journeygate decide`
// replaces the verdict (keeping the old one) and reports Succeeded once,
// with the DynamoDB store on dynalite and the local CodeDeploy endpoint.
func TestDecideReportsToAWaitingHookOnce(t *testing.T) {
	db := dynalite.Start(t)
	spec := "dynamodb://decide-test?create=true&endpoint=" + db.Endpoint
	cd := awslocal.StartCodeDeploy(t)
	cd.AddDeployment("d-9", awslocal.Deployment{Application: "incident-pipeline", Group: "alertmanager-staging", HookExecutionIDs: []string{"hook-9"}})
	vars := map[string]string{"USER": "bob"}

	ctx := context.Background()
	st, err := backend.Open(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	planned := []gate.Planned{{Name: "resolve-lifecycle", Mode: journey.ModeEnforce}}
	if err := st.CreateRun(ctx, store.RunRecord{ID: "cd-9", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-9", LifecycleEventHookExecutionID: "hook-9"},
		StartedAt: time.Now().UTC(), Planned: planned}); err != nil {
		t.Fatal(err)
	}
	failed := journey.Result{RunID: "cd-9", Journey: "resolve-lifecycle", Environment: "staging", Tier: journey.TierGlobal, Mode: journey.ModeEnforce,
		Attempt: 1, StartedAt: time.Now().UTC(), Outcome: journey.Failed,
		Steps: []journey.StepResult{{Name: "resolved notification", SLA: 10 * time.Second, Elapsed: time.Second, Outcome: journey.Failed, Message: "no resolved notification"}}}
	if err := st.PutResult(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if err := st.PutVerdict(ctx, "cd-9", gate.Decide(gate.Input{Planned: planned, Results: []journey.Result{failed}}), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}

	decideArgs := []string{"decide", "--run", "cd-9", "--store", spec, "--endpoint", "codedeploy=" + cd.URL()}
	// Without an override the verdict stands (and is what the hook gets).
	// Here the override comes first, as it would for a waiting hook.
	code, _, stderr := invokeCLI(t, vars, "override", "--deployment", "d-9", "--reason", "INC-11: resolved notifications delayed upstream", "--by", "alice", "--store", spec)
	if code != exitSucceeded {
		t.Fatalf("override: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := invokeCLI(t, vars, decideArgs...)
	if code != exitSucceeded {
		t.Fatalf("decide: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"run cd-9: verdict Failed -> Succeeded", "overridden by alice", "reported Succeeded to codedeploy", "journeygate show cd-9"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("decide output lacks %q:\n%s", want, stdout)
		}
	}
	// The Run Completed event is a dry run here: printed only with -v.
	if strings.Contains(stderr, "dry run:") {
		t.Errorf("decide without -v printed its dry-run calls:\n%s", stderr)
	}
	want := []awslocal.HookReport{{DeploymentID: "d-9", HookExecutionID: "hook-9", Status: "Succeeded"}}
	if got := cd.Reports(); !slices.Equal(got, want) {
		t.Fatalf("CodeDeploy reports %+v, want %+v", got, want)
	}
	rec, err := st.GetRun(ctx, "cd-9")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Verdict.Status != gate.Succeeded || rec.Verdict.Overridden == nil || len(rec.Revisions) != 1 || rec.Revisions[0].Verdict.Status != gate.Failed || rec.Revisions[0].By != "bob" {
		t.Errorf("recorded verdict %+v, revisions %+v", rec.Verdict, rec.Revisions)
	}

	// Deciding again sends nothing new.
	code, stdout, _ = invokeCLI(t, vars, decideArgs...)
	if code != exitSucceeded || !strings.Contains(stdout, "verdict Succeeded stands") || !strings.Contains(stdout, "not reported again") {
		t.Errorf("second decide: exit %d\n%s", code, stdout)
	}
	if got := cd.Reports(); !slices.Equal(got, want) {
		t.Errorf("CodeDeploy reports after deciding twice %+v, want %+v", got, want)
	}
	if n := len(cd.Requests()); n != 2 {
		t.Errorf("%d CodeDeploy requests, want 2 (one accepted, one answered already completed)", n)
	}

	// show prints the audit: the verdict in force and the one it replaced.
	code, stdout, _ = invokeCLI(t, nil, "show", "cd-9", "--store", spec)
	for _, want := range []string{"trigger:     codedeploy (deployment d-9, lifecycle hook hook-9)", "overridden by alice", "Replaced verdict 1/1", "by bob", "was: Failed: resolve-lifecycle step 1/1 (resolved notification): failed"} {
		if code != exitSucceeded || !strings.Contains(stdout, want) {
			t.Errorf("show: exit %d, lacks %q:\n%s", code, want, stdout)
		}
	}
}

func TestDecideUndecidedRunIsAUsageError(t *testing.T) {
	st := filepath.Join(t.TempDir(), "s.db")
	s, err := embedded.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(context.Background(), store.RunRecord{ID: "running", Environment: "local", Trigger: trigger.Trigger{Type: trigger.CLI}, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := invokeCLI(t, map[string]string{"USER": "bob"}, "decide", "--run", "running", "--store", st)
	if code != exitUsage || !strings.Contains(stderr, "run has no verdict yet") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

func TestShowPrintsTheWholeRun(t *testing.T) {
	st := filepath.Join(t.TempDir(), "s.db")
	s, err := embedded.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	started := time.Date(2026, 11, 21, 0, 55, 6, 0, time.UTC)
	planned := []gate.Planned{{Name: "alert-to-notification", Mode: journey.ModeEnforce}, {Name: "silence-suppresses", Mode: journey.ModeObserve}}
	if err := s.CreateRun(ctx, store.RunRecord{ID: "run-7", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodePipeline, JobID: "job-7"}, StartedAt: started, Planned: planned}); err != nil {
		t.Fatal(err)
	}
	res := func(attempt int, outcome journey.Outcome, last journey.StepResult) journey.Result {
		return journey.Result{
			RunID: "run-7", Journey: "alert-to-notification", Environment: "staging", Tier: journey.TierGlobal, Owner: "incident-pipeline",
			Mode: journey.ModeEnforce, Attempt: attempt, StartedAt: started.Add(time.Duration(attempt) * time.Second), Elapsed: 10 * time.Second, Outcome: outcome,
			Steps: []journey.StepResult{
				{Name: "alert accepted", SLA: 3 * time.Second, Elapsed: 935 * time.Microsecond, Outcome: journey.Passed,
					Evidence: []journey.Evidence{{Label: "POST /api/v2/alerts", Detail: "[{\"labels\":{\"jg_run\":\"run-7\"}}]\n→ 200 OK"}}},
				last,
			},
		}
	}
	first := res(1, journey.Errored, journey.StepResult{Name: "notification delivered", SLA: 10 * time.Second, Elapsed: 12 * time.Millisecond, Outcome: journey.Errored, Message: "sink unreachable"})
	second := res(2, journey.SLABreach, journey.StepResult{Name: "notification delivered", SLA: 10 * time.Second, Elapsed: 10003 * time.Millisecond, Outcome: journey.SLABreach,
		Message: "took 10.003s, over its SLA of 10s: awaiting the firing notification: condition not met",
		Evidence: []journey.Evidence{
			{Label: "sink", Detail: "awaited the firing notification for 10s; 0 deliveries for this run seen"},
			{Label: "last observation", Detail: "no delivery for this run yet"},
		}})
	for _, r := range []journey.Result{first, second} {
		if err := s.PutResult(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	v := gate.Decide(gate.Input{Planned: planned, Results: []journey.Result{first, second}})
	if err := s.PutVerdict(ctx, "run-7", v, started.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := invokeCLI(t, nil, "show", "run-7", "--store", st)
	if code != exitSucceeded {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"Run run-7", "environment: staging", "trigger:     codepipeline (job job-7)", "finished:    2026-11-21 00:55:26.000 UTC (20s)",
		"plan:        2 journeys: alert-to-notification (enforce), silence-suppresses (observe)",
		"alert-to-notification  [global, enforce, owner incident-pipeline]  class sla-breach",
		"attempt 1: error in 10s", "step 2/2 notification delivered: error, 12ms of SLA 10s", "message: sink unreachable",
		"attempt 2: sla-breach in 10s",
		"step 1/2 alert accepted: passed, 935µs of SLA 3s",
		"POST /api/v2/alerts:\n          [{\"labels\":{\"jg_run\":\"run-7\"}}]\n          → 200 OK",
		"step 2/2 notification delivered: sla-breach, 10.003s of SLA 10s (over by 3ms)",
		"message: took 10.003s, over its SLA of 10s",
		"last observation:\n          no delivery for this run yet",
		"silence-suppresses\n  no result recorded",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("show lacks %q", want)
		}
	}
	// The verdict comes first.
	if want := "VERDICT: Failed — alert-to-notification step 2/2 (notification delivered): sla-breach on attempt 2, took 10.003s, SLA 10s"; !strings.HasPrefix(stdout, want) {
		t.Errorf("show does not start with %q", want)
	}
	if t.Failed() {
		t.Logf("show output:\n%s", stdout)
	}

	code, stdout, _ = invokeCLI(t, nil, "show", "--json", "--store", st, "run-7")
	var got shownRun
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != exitSucceeded {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, stdout)
	}
	if got.Run.ID != "run-7" || len(got.Results) != 2 || got.Run.Verdict == nil || got.Results[1].Steps[1].Evidence[1].Label != "last observation" {
		t.Errorf("--json: %+v", got)
	}
}
