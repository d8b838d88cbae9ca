package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	hookhandler "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/awslocal"
	"github.com/journeygate/journeygate/test/repo"
	"github.com/journeygate/journeygate/test/sfnlocal"
)

const deploymentID = "d-CONTRACT01"

func codeDeployEvent(t *testing.T, hookID string) []byte {
	return event(t, "codedeploy-hook.json",
		"d-7GW8E5HQ2", deploymentID,
		"eyJlbmNyeXB0ZWREYXRhIjoiWjJ4dmRtVnVZMlZmYTJWNUxtbGtMbVY0WVcxd2JHVT0iLCJpdlBhcmFtZXRlclNwZWMiOiJtVDZ1dlZwQ1NGTnBHckZBIiwibWF0ZXJpYWxTZXRTZXJpYWwiOjF9", hookID)
}

func addDeployment(w *world, hookID string) {
	w.cd.AddDeployment(deploymentID, awslocal.Deployment{
		Application: "incident-pipeline", Group: "alertmanager-prod",
		FunctionName: "alertmanager", Alias: "live", CurrentVersion: "41", TargetVersion: "42",
		HookExecutionIDs: []string{hookID},
	})
}

// gateOutput decodes the execution's output: the gate's response.
func gateOutput(t *testing.T, r sfnlocal.Result) flow.GateResponse {
	t.Helper()
	if r.Status != sfnlocal.StatusSucceeded {
		t.Fatalf("execution %s (%s: %s); the gate must always end the execution", r.Status, r.Error, r.Cause)
	}
	var out flow.GateResponse
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("execution output %s: %v", r.Output, err)
	}
	t.Logf("verdict %s after %d state transitions: %s", out.Status, r.Transitions, out.Summary)
	return out
}

func expectOneHookReport(t *testing.T, w *world, hookID, status string) {
	t.Helper()
	reports := w.cd.Reports()
	if len(reports) != 1 {
		t.Fatalf("%d reports reached CodeDeploy, want exactly 1: %+v", len(reports), reports)
	}
	if r := reports[0]; r.DeploymentID != deploymentID || r.HookExecutionID != hookID || r.Status != status {
		t.Fatalf("report %+v, want %s for hook %s", r, status, hookID)
	}
}

func TestCodeDeployHealthyTargetSucceeds(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	addDeployment(w, "hook-healthy")
	resp, err := w.invokeHook(codeDeployEvent(t, "hook-healthy"))
	if err != nil {
		t.Fatal(err)
	}
	out := gateOutput(t, w.waitExecutions(1)[0])
	if out.Status != "Succeeded" || out.RunID != resp.RunID {
		t.Fatalf("gate: %+v (hook started %s)", out, resp.RunID)
	}
	expectOneHookReport(t, w, "hook-healthy", "Succeeded")
	results, err := w.store.Results(context.Background(), resp.RunID)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	planned, err := reg.Select(journey.Selector{Services: []string{"alertmanager"}, Environment: "local"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(planned) {
		t.Errorf("%d results in DynamoDB, want all %d examples (the global ones and those covering alertmanager)", len(results), len(planned))
	}
}

func TestCodeDeployBrokenTargetFailsNamingJourneyAndStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{fault: "no-resolved"})
	addDeployment(w, "hook-broken")
	if _, err := w.invokeHook(codeDeployEvent(t, "hook-broken")); err != nil {
		t.Fatal(err)
	}
	out := gateOutput(t, w.waitExecutions(1)[0])
	expectOneHookReport(t, w, "hook-broken", "Failed")
	for _, want := range []string{"resolve-lifecycle", "resolved notification delivered", "sla-breach"} {
		if !strings.Contains(out.Summary, want) {
			t.Errorf("verdict summary lacks %q: %s", want, out.Summary)
		}
	}
}

// CodeDeploy may deliver a hook more than once; one run, one report.
func TestRedeliveredHookStartsOneRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{apiOnly: true})
	addDeployment(w, "hook-twice")
	ev := codeDeployEvent(t, "hook-twice")
	var wg sync.WaitGroup
	resps := make([]hookhandler.Response, 3)
	errs := make([]error, len(resps))
	for i := range resps {
		wg.Go(func() { resps[i], errs[i] = w.invokeHook(ev) })
	}
	wg.Wait()
	// Step Functions answers a StartExecution with the name and input of a
	// running execution as it answered the first (idempotent), so the
	// deliveries may or may not say already started; all name one run.
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		if resps[i].RunID != resps[0].RunID || resps[i].ExecutionArn != resps[0].ExecutionArn {
			t.Errorf("delivery %d started %s (%s), delivery 0 %s (%s)", i, resps[i].RunID, resps[i].ExecutionArn, resps[0].RunID, resps[0].ExecutionArn)
		}
	}
	gateOutput(t, w.waitExecutions(1)[0])
	if n := len(w.sf.Executions()); n != 1 {
		t.Fatalf("%d executions started, want 1", n)
	}
	// A late redelivery after the run finished starts nothing either.
	late, err := w.invokeHook(ev)
	if err != nil {
		t.Fatalf("late redelivery: %v", err)
	}
	if !late.AlreadyStarted {
		t.Errorf("the late redelivery did not answer already started: %+v", late)
	}
	if n := len(w.sf.Executions()); n != 1 {
		t.Fatalf("%d executions after a late redelivery, want 1", n)
	}
	expectOneHookReport(t, w, "hook-twice", "Succeeded")
	table := fmt.Sprintf("duplicates (test/contract TestRedeliveredHookStartsOneRun): one CodeDeploy hook event\n"+
		"  %-44s %d (+1 after the run finished)\n  %-44s %d\n  %-44s %d\n",
		"deliveries, concurrent", len(resps),
		"executions started", len(w.sf.Executions()), "reports to CodeDeploy", len(w.cd.Reports()))
	t.Log("\n" + table)
	if err := repo.WriteFigures("2-duplicates.txt", table); err != nil {
		t.Logf("figures not written: %v", err)
	}
}

// TestCodePipelineJobReportsOnce drives a CodePipeline action as
// CodePipeline does: the job that starts the run is answered "in
// progress" with the run ID as continuation token, and the hook is invoked
// again, as a new job with the token, until one gets the final result.
// The run outlasts at least one re-invocation, and exactly one final
// result reaches the pipeline, on the last job.
func TestCodePipelineJobReportsOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fault   string
		success bool
	}{
		{"healthy", "", true},
		{"broken", "drop-notifications", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, options{fault: tc.fault, apiOnly: true})
			jobID := "11111111-2222-3333-4444-" + map[bool]string{true: "000000000001", false: "000000000002"}[tc.success]
			w.cp.AddJob(jobID, pipelineJob)
			ev := event(t, "codepipeline-job.json", "c0d5e8b2-4a7f-4e0b-9d41-6f1b2c3d4e5f", jobID, `\"environment\":\"staging\"`, `\"environment\":\"local\"`)
			first, err := w.invokeHook(ev)
			if err != nil || first.Pipeline != hookhandler.PipelineInProgress {
				t.Fatalf("first job: %+v, %v; want in progress", first, err)
			}
			answers := w.answerJob(first, jobID, 500*time.Millisecond, 600)
			gateOutput(t, w.waitExecutions(1)[0])
			if len(answers) < 3 {
				t.Errorf("%d answers: the run did not outlast a re-invocation", len(answers))
			}
			final := w.cp.FinalReports()
			if len(final) != 1 {
				t.Fatalf("%d final job results, want exactly 1: %+v", len(final), w.cp.Reports())
			}
			r := final[0]
			last := answers[len(answers)-1]
			if r.Success != tc.success || r.JobID != fmt.Sprintf("%s-%d", jobID, len(answers)-1) {
				t.Fatalf("final result %+v, want success=%v on the last job", r, tc.success)
			}
			if want := map[bool]string{true: hookhandler.PipelineSucceeded, false: hookhandler.PipelineFailed}[tc.success]; last.Pipeline != want || last.RunID != first.RunID {
				t.Errorf("last answer %+v, want %s for run %s", last, want, first.RunID)
			}
			if n := len(w.cp.Reports()) - 1; n != len(answers)-1 {
				t.Errorf("%d continuations for %d in-progress answers", n, len(answers)-1)
			}
			if !tc.success && (!strings.Contains(r.Message, "notification delivered") || !strings.Contains(r.Message, "journeygate show "+first.RunID)) {
				t.Errorf("failure message does not name the step and the run: %s", r.Message)
			}
			if rec, err := w.store.GetRun(context.Background(), first.RunID); err != nil || rec.ReportedAt.IsZero() {
				t.Errorf("run %+v, %v: want it marked reported", rec, err)
			}
		})
	}
}

// TestDeployedScheduleRunsGlobalJourneys starts a run the way the deployed
// global schedule does: the schedule's event, with the Scheduler's context
// attributes filled in, delivered to the hook, which starts the run.
func TestDeployedScheduleRunsGlobalJourneys(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	resp, err := w.invokeHook(scheduledEvent(t, w, journey.TierGlobal, "2026-01-15T10:05:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	out := gateOutput(t, w.waitExecutions(1)[0])
	if out.Status != "Succeeded" {
		t.Fatalf("scheduled run: %+v", out)
	}
	if out.RunID != resp.RunID {
		t.Errorf("the execution ran run %s, the hook started %s", out.RunID, resp.RunID)
	}
	if n := len(w.cd.Reports()) + len(w.cp.Reports()); n != 0 {
		t.Errorf("a scheduled run reported %d times to a deployment", n)
	}
	results, err := w.store.Results(context.Background(), out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	global, err := reg.Select(journey.Selector{Tier: journey.TierGlobal})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(global) {
		t.Errorf("%d results, want the %d global journeys", len(results), len(global))
	}
	for _, r := range results {
		if r.Tier != journey.TierGlobal {
			t.Errorf("scheduled global run ran %s journey %s", r.Tier, r.Journey)
		}
	}
}
