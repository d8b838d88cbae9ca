package contract

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	hookhandler "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/awslocal"
)

// A CodeDeploy Lambda deployment at BeforeAllowTraffic tests the version
// about to get traffic (the environment's test target), not the live one:
// a broken new version fails the hook while the live version is healthy,
// and a healthy new version passes.
func TestCodeDeployBeforeAllowTrafficTestsTheNewVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		newVersion, want string
	}{{"drop-notifications", "Failed"}, {"healthy", "Succeeded"}} {
		t.Run(tc.newVersion, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, options{newVersion: tc.newVersion, apiOnly: true})
			hookID := "hook-" + tc.newVersion
			w.cd.AddDeployment(deploymentID, awslocal.Deployment{
				Application: "incident-pipeline", Group: "alertmanager-prod",
				FunctionName: "alertmanager", Alias: "live", CurrentVersion: "41", TargetVersion: "42",
				HookExecutionIDs: []string{hookID}, Stage: "BeforeAllowTraffic",
			})
			resp, err := w.invokeHook(codeDeployEvent(t, hookID))
			if err != nil {
				t.Fatal(err)
			}
			out := gateOutput(t, w.waitExecutions(1)[0])
			expectOneHookReport(t, w, hookID, tc.want)
			if out.Status != tc.want {
				t.Fatalf("verdict %s, want %s: %s", out.Status, tc.want, out.Summary)
			}
			if tc.want == "Failed" && !strings.Contains(out.Summary, "alert-to-notification") {
				t.Errorf("verdict summary does not name the failing journey: %s", out.Summary)
			}
			rec, err := w.store.GetRun(t.Context(), resp.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Trigger.Stage != trigger.BeforeAllowTraffic || rec.Trigger.TargetVersion != "42" {
				t.Errorf("recorded trigger %+v, want stage BeforeAllowTraffic and version 42", rec.Trigger)
			}
		})
	}
}

// The same broken new version is not blamed after traffic moved back:
// at AfterAllowTraffic the journeys run against the live targets, healthy.
func TestCodeDeployAfterAllowTrafficTestsTheLiveVersion(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{newVersion: "drop-notifications", apiOnly: true})
	w.cd.AddDeployment(deploymentID, awslocal.Deployment{
		Application: "incident-pipeline", Group: "alertmanager-prod", FunctionName: "alertmanager",
		HookExecutionIDs: []string{"hook-after"}, Stage: "AfterAllowTraffic",
	})
	if _, err := w.invokeHook(codeDeployEvent(t, "hook-after")); err != nil {
		t.Fatal(err)
	}
	if out := gateOutput(t, w.waitExecutions(1)[0]); out.Status != "Succeeded" {
		t.Fatalf("verdict %s against the healthy live version: %s", out.Status, out.Summary)
	}
	expectOneHookReport(t, w, "hook-after", "Succeeded")
}

// ecsDeployment drives an Amazon ECS service deployment's lifecycle hook
// the way ECS does: at each configured stage it invokes the hook, and
// while the answer is IN_PROGRESS it invokes again after the answer's
// callBackDelay (scaled down here, never below interval) with the
// answer's hookDetails, until SUCCEEDED or FAILED. It stops at the first
// FAILED stage, as ECS rolls back then, and returns each stage's answers.
func (w *world) ecsDeployment(stages []trigger.Stage, deployment string, interval time.Duration, max int) map[trigger.Stage][]hookhandler.ECSAnswer {
	w.t.Helper()
	answers := map[trigger.Stage][]hookhandler.ECSAnswer{}
	for _, stage := range stages {
		ev := map[string]any{}
		if err := json.Unmarshal(event(w.t, "ecs/"+strings.ToLower(strings.ReplaceAll(string(stage), "_", "-"))+".json"), &ev); err != nil {
			w.t.Fatal(err)
		}
		ev["resourceArn"] = strings.Replace(ev["resourceArn"].(string), "EZe5RNVLH6PPzHXINuP28", deployment, 1)
		for n := 0; ; n++ {
			if n == max {
				w.t.Fatalf("stage %s still IN_PROGRESS after %d invocations", stage, max)
			}
			b, _ := json.Marshal(ev)
			out, err := w.invokeRaw(b)
			if err != nil {
				w.t.Fatalf("stage %s: the hook returned an error, which ECS reads as a rollback without reason: %v", stage, err)
			}
			var a hookhandler.ECSAnswer
			if err := json.Unmarshal(out, &a); err != nil || a.HookStatus == "" {
				w.t.Fatalf("stage %s: answer %s has no hookStatus (%v)", stage, out, err)
			}
			answers[stage] = append(answers[stage], a)
			if a.HookStatus != hookhandler.ECSInProgress {
				break
			}
			if a.CallBackDelay < 1 {
				w.t.Fatalf("stage %s: IN_PROGRESS with callBackDelay %d", stage, a.CallBackDelay)
			}
			ev["hookDetails"] = a.HookDetails
			time.Sleep(interval)
		}
		if last := answers[stage][len(answers[stage])-1]; last.HookStatus == hookhandler.ECSFailed {
			break
		}
	}
	return answers
}

// ecsStages are the stages the tests' service configures its hook for:
// one before the new version runs (live targets), the one after test
// traffic moved to it (test targets), and one after production traffic
// moved (live targets).
var ecsStages = []trigger.Stage{trigger.PreScaleUp, trigger.PostTestTrafficShift, trigger.PostProductionTrafficShift}

// An ECS blue/green deployment of a healthy revision passes every
// configured stage; a broken revision passes PRE_SCALE_UP (the live
// version) and fails at POST_TEST_TRAFFIC_SHIFT, reached through the test
// listener. However often ECS invokes,
// each stage has one run.
func TestECSDeploymentThroughLifecycleHooks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		newVersion string
		wantLast   trigger.Stage
		wantStatus string
	}{
		{"healthy", trigger.PostProductionTrafficShift, hookhandler.ECSSucceeded},
		{"drop-notifications", trigger.PostTestTrafficShift, hookhandler.ECSFailed},
	} {
		t.Run(tc.newVersion, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, options{newVersion: tc.newVersion, apiOnly: true})
			answers := w.ecsDeployment(ecsStages, "DEPLOY-"+strings.ToUpper(tc.newVersion[:4]), time.Second, 240)
			reached := ecsStages[len(answers)-1]
			last := answers[reached][len(answers[reached])-1]
			if reached != tc.wantLast || last.HookStatus != tc.wantStatus {
				t.Fatalf("deployment ended at %s with %s, want %s at %s (answers %+v)", reached, last.HookStatus, tc.wantStatus, tc.wantLast, answers)
			}
			runs := map[string]bool{}
			for stage, as := range answers {
				for _, a := range as[:len(as)-1] {
					if a.HookStatus != hookhandler.ECSInProgress {
						t.Errorf("stage %s answered %s before its last answer", stage, a.HookStatus)
					}
				}
				if len(as) < 2 {
					t.Errorf("stage %s answered at once (%+v): its run cannot have finished within one invocation", stage, as)
				}
				id, _ := as[0].HookDetails["journeygateRunId"].(string)
				runs[id] = true
				rec, err := w.store.GetRun(t.Context(), id)
				if err != nil {
					t.Fatalf("stage %s: run %q: %v", stage, id, err)
				}
				if rec.Trigger.Type != trigger.ECS || rec.Trigger.Stage != stage || rec.ReportedAt.IsZero() {
					t.Errorf("stage %s: recorded %+v, want an answered ECS run at that stage", stage, rec.Trigger)
				}
			}
			if n := len(w.sf.Executions()); n != len(answers) || len(runs) != len(answers) {
				t.Fatalf("%d executions, %d runs for %d stages: want one each however often ECS invokes", n, len(runs), len(answers))
			}
			// The hook answers from the recorded verdict, which the gate
			// writes before its execution ends: wait for every execution,
			// so none is still running when the test stops its harness,
			// and each ends as its stage's answer says.
			failed := 0
			for _, res := range w.waitExecutions(len(answers)) {
				if gateOutput(t, res).Status == "Failed" {
					failed++
				}
			}
			if want := map[string]int{hookhandler.ECSSucceeded: 0, hookhandler.ECSFailed: 1}[tc.wantStatus]; failed != want {
				t.Errorf("%d executions ended Failed, want %d", failed, want)
			}
		})
	}
}
