package handler_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	hook "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// ecsInvoke invokes the hook as Amazon ECS does and decodes what ECS reads.
func (f *fixture) ecsInvoke(t *testing.T, payload []byte) (hook.ECSAnswer, map[string]any) {
	t.Helper()
	b, err := f.lh.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("ECS invocation returned an error, which ECS reads as a rollback without reason: %v", err)
	}
	var a hook.ECSAnswer
	var raw map[string]any
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	_ = json.Unmarshal(b, &raw)
	return a, raw
}

// withHookDetails is payload as ECS sends it again after an IN_PROGRESS
// answer: with the answer's hookDetails.
func withHookDetails(t *testing.T, payload []byte, details map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	ev["hookDetails"] = details
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every documented stage's sample event starts one run at that stage,
// against the targets its traffic calls for, answered IN_PROGRESS with the
// run ID in hookDetails and nothing else ECS does not read.
func TestECSSampleEventsStartOneRunPerStage(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "events", "ecs", "*.json"))
	if err != nil || len(files) != len(trigger.ECSStages) {
		t.Fatalf("sample events %v, %v: want one per ECS stage (%d)", files, err, len(trigger.ECSStages))
	}
	f := newFixture(t)
	runs := map[string]bool{}
	for _, file := range files {
		payload, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		a, raw := f.ecsInvoke(t, payload)
		if a.HookStatus != hook.ECSInProgress || a.CallBackDelay < int(hook.MinCallBack/time.Second) || a.CallBackDelay > int(hook.MaxCallBack/time.Second) {
			t.Errorf("%s: answer %+v, want IN_PROGRESS with a callBackDelay within bounds", file, a)
		}
		for k := range raw {
			if k != "hookStatus" && k != "callBackDelay" && k != "hookDetails" {
				t.Errorf("%s: answer has %q, which ECS does not read", file, k)
			}
		}
		runID, _ := a.HookDetails["journeygateRunId"].(string)
		in, ok := f.sfn.started[runID]
		if !ok {
			t.Fatalf("%s: hookDetails %v name no started run", file, a.HookDetails)
		}
		runs[runID] = true
		var ev hook.ECSHookEvent
		_ = json.Unmarshal(payload, &ev)
		tr := in.Trigger
		if tr.Type != trigger.ECS || string(tr.Stage) != ev.LifecycleStage || tr.DeploymentID != ev.ResourceArn ||
			tr.TargetVersion != ev.ExecutionDetails.TargetServiceRevisionArn || tr.Traffic() != tr.Stage.Traffic() {
			t.Errorf("%s: trigger %+v", file, tr)
		}
		if in.Environment != "staging" || len(in.Services) == 0 || in.Services[0] != "my-service" {
			t.Errorf("%s: input %+v, want the hook's environment and the ECS service", file, in)
		}
	}
	if len(runs) != len(files) || f.sfn.calls != len(files) {
		t.Errorf("%d runs from %d starts for %d stages, want one each", len(runs), f.sfn.calls, len(files))
	}
}

// ECS invokes again while IN_PROGRESS: the same run, no second start, and
// then the verdict, Failed answering FAILED and Succeeded SUCCEEDED.
func TestECSAnswersFromTheVerdict(t *testing.T) {
	payload := event(t, filepath.Join("ecs", "post-test-traffic-shift.json"))
	for _, status := range []gate.Status{gate.Failed, gate.Succeeded} {
		t.Run(string(status), func(t *testing.T) {
			f := newFixture(t)
			first, _ := f.ecsInvoke(t, payload)
			run, _ := first.HookDetails["journeygateRunId"].(string)
			for range 3 {
				again, _ := f.ecsInvoke(t, withHookDetails(t, payload, first.HookDetails))
				if again.HookStatus != hook.ECSInProgress || again.HookDetails["journeygateRunId"] != run {
					t.Fatalf("re-invoked while running: %+v", again)
				}
			}
			// ECS may also invoke without the details (a retried invocation).
			if plain, _ := f.ecsInvoke(t, payload); plain.HookStatus != hook.ECSInProgress {
				t.Fatalf("re-invoked without hookDetails: %+v", plain)
			}
			if f.sfn.calls != 1 && f.sfn.calls != 2 || len(f.sfn.started) != 1 {
				t.Fatalf("%d runs; want one however often ECS invokes", len(f.sfn.started))
			}
			ctx := t.Context()
			if err := f.runs.CreateRun(ctx, store.RunRecord{ID: run, Environment: "staging", Trigger: f.sfn.started[run].Trigger, StartedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			outcome := journey.Failed
			if status == gate.Succeeded {
				outcome = journey.Passed
			}
			v := gate.Decide(gate.Input{Planned: []gate.Planned{{Name: "checkout", Mode: journey.ModeEnforce}}, Results: []journey.Result{{RunID: run, Journey: "checkout", Attempt: 1, Outcome: outcome, Mode: journey.ModeEnforce}}})
			if err := f.runs.PutVerdict(ctx, run, v, time.Now()); err != nil {
				t.Fatal(err)
			}
			final, _ := f.ecsInvoke(t, withHookDetails(t, payload, first.HookDetails))
			want := hook.ECSFailed
			if status == gate.Succeeded {
				want = hook.ECSSucceeded
			}
			if final.HookStatus != want || final.CallBackDelay != 0 {
				t.Errorf("after a %s verdict: %+v, want %s", status, final, want)
			}
			if rec, err := f.runs.GetRun(ctx, run); err != nil || rec.ReportedAt.IsZero() {
				t.Errorf("run %+v, %v: want it marked answered", rec, err)
			}
		})
	}
}

// Every fault answers FAILED, never an error: a start refused, a run that
// ended without a verdict, a stage journeygate does not know, a malformed
// event, a panic.
func TestECSFailsClosed(t *testing.T) {
	payload := event(t, filepath.Join("ecs", "post-test-traffic-shift.json"))
	tests := []struct {
		name    string
		payload []byte
		breakIt func(f *fixture)
		want    string
	}{
		{"start refused", payload, func(f *fixture) { f.sfn.err = &sfntypes.StateMachineDoesNotExist{} }, "StateMachineDoesNotExist"},
		{"panic", payload, func(f *fixture) { f.sfn.panic = true }, "sfn client exploded"},
		{"unknown stage", []byte(strings.Replace(string(payload), "POST_TEST_TRAFFIC_SHIFT", "BAKE_TIME", 1)), func(*fixture) {}, `ecs stage "BAKE_TIME" is not one of`},
		{"no deployment", []byte(`{"lifecycleStage":"POST_SCALE_UP","executionDetails":{}}`), func(*fixture) {}, "needs deploymentId"},
		{"malformed", []byte(`{"lifecycleStage":7}`), func(*fixture) {}, "unreadable event"},
		{"environment not a name", withHookDetails(t, payload, map[string]any{"environment": 3}), func(*fixture) {}, `hookDetails "environment" is 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.breakIt(f)
			b, err := f.lh.Invoke(t.Context(), tt.payload)
			if err != nil {
				t.Fatalf("error %v: ECS would roll back without a reason", err)
			}
			if string(b) != `{"hookStatus":"FAILED"}` {
				t.Errorf("answer %s, want FAILED alone", b)
			}
			var resp hook.Response
			h, _ := hook.New(hook.Config{StateMachineArn: stateMachine, Environment: "staging"}, f.sfn, f.cd, f.cp, f.runs)
			if h != nil {
				resp, _ = h.Handle(t.Context(), tt.payload)
			}
			if !resp.FailedReported || !strings.Contains(resp.Reason, tt.want) {
				t.Errorf("reason %q, want it to say %q", resp.Reason, tt.want)
			}
		})
	}
	// A run that ended without a verdict.
	f := newFixture(t)
	first, _ := f.ecsInvoke(t, payload)
	f.sfn.status = sfntypes.ExecutionStatusFailed
	if a, _ := f.ecsInvoke(t, withHookDetails(t, payload, first.HookDetails)); a.HookStatus != hook.ECSFailed {
		t.Errorf("a run that ended without a verdict: %+v, want FAILED", a)
	}
}

// The hook entry's own hookDetails pick the environment and the services,
// so one hook serves several services.
func TestECSHookDetailsPickEnvironmentAndServices(t *testing.T) {
	f := newFixture(t)
	payload := withHookDetails(t, event(t, filepath.Join("ecs", "post-test-traffic-shift.json")), map[string]any{"environment": "production", "services": []any{"orders", "payments"}})
	a, _ := f.ecsInvoke(t, payload)
	in := f.sfn.started[a.HookDetails["journeygateRunId"].(string)]
	if in.Environment != "production" || strings.Join(in.Services, ",") != "orders,payments" {
		t.Errorf("input %+v, want environment production and services orders, payments from hookDetails", in)
	}
}
