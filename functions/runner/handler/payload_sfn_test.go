package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/sfnlocal"
)

// TestDecideInputAtTheCap runs the state machine under
// aws-local-stepfunctions with the real runner and gate handlers, planning
// flow.MaxJourneysPerRun journeys with names as long as allowed, every one
// of which faults with a megabyte message in characters JSON escapes (half
// a store error, half a panic). Step Functions would fail such a run with
// the uncatchable States.DataLimitExceeded past flow.StateDataLimit, so
// Decide's input, as the gate receives it, must stay within
// flow.MaxDecideInput, and the verdict must still name each error and the
// cause at its end.
func TestDecideInputAtTheCap(t *testing.T) {
	var js []journey.Journey
	for i := range flow.MaxJourneysPerRun {
		name := fmt.Sprintf("%s-%03d", strings.Repeat("j", journey.MaxNameLen-4), i)
		js = append(js, journey.Journey{
			Name: name, Description: "faults at once", Tier: journey.TierGlobal, Owner: "team",
			Mode: journey.ModeEnforce, Targets: []string{"api"},
			Steps: []journey.Step{{Name: "nothing", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
		})
	}
	reg, err := journey.NewRegistry(js...)
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t)
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	panicky := func(name string) bool { return name[len(name)-1]%2 == 1 }
	rh, err := runner.New(reg, stagingEnvs(t, &fixture{target: tg}), hugeFaultStore{st, panicky})
	if err != nil {
		t.Fatal(err)
	}
	cd := &codeDeployRecorder{}
	gh, err := gatefn.New(st, cd, noPipeline{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var decideInputs []int
	gateFn := sfnlocal.LambdaHandler(gh.Handle)
	handlers := map[string]sfnlocal.Handler{
		"runner": sfnlocal.LambdaHandler(rh.Handle),
		"gate": func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
			mu.Lock()
			decideInputs = append(decideInputs, len(payload)) // the state's input, as Step Functions passes it
			mu.Unlock()
			return gateFn(ctx, payload)
		},
		"hook": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			t.Error("the last resort ran: the gate failed")
			return nil, errors.New("no last resort in this test")
		},
	}
	def, err := flow.Definition(flow.Options{RunnerArn: sfnlocal.FunctionARN("runner"), GateArn: sfnlocal.FunctionARN("gate"), HookArn: sfnlocal.FunctionARN("hook")})
	if err != nil {
		t.Fatal(err)
	}
	in := flow.Input{RunID: "cd-cap", Environment: "staging", Trigger: trigger.Trigger{
		Type: trigger.CodeDeploy, DeploymentID: "d-cap", LifecycleEventHookExecutionID: "h-cap",
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	res, err := sfnlocal.Run(ctx, t, def, in, handlers)
	if err != nil {
		t.Fatal(err)
	}

	if res.Status != sfnlocal.StatusSucceeded || len(decideInputs) != 1 {
		t.Fatalf("execution %s (%s: %.300s), Decide ran %d times; want it to succeed through Decide once", res.Status, res.Error, res.Cause, len(decideInputs))
	}
	t.Logf("Decide's input at %d journeys, each faulted with a megabyte message: %d bytes (budget %d, Step Functions' limit %d)",
		flow.MaxJourneysPerRun, decideInputs[0], flow.MaxDecideInput, flow.StateDataLimit)
	if decideInputs[0] > flow.MaxDecideInput {
		t.Errorf("Decide's input is %d bytes, over its budget of %d (Step Functions fails the run past %d)", decideInputs[0], flow.MaxDecideInput, flow.StateDataLimit)
	}
	if c := res.States[flow.StateJourneyFaulted].Entered; c != flow.MaxJourneysPerRun {
		t.Errorf("%d journeys faulted, want all %d", c, flow.MaxJourneysPerRun)
	}
	if len(cd.statuses) != 1 || cd.statuses[0] != "d-cap:Failed" {
		t.Errorf("CodeDeploy got %v, want one Failed", cd.statuses)
	}
	rec, err := st.GetRun(t.Context(), "cd-cap")
	if err != nil || rec.Verdict == nil || rec.Verdict.Status != gate.Failed || len(rec.Verdict.Reasons) == 0 {
		t.Fatalf("recorded run %+v (%v), want a Failed verdict", rec, err)
	}
	fault := rec.Verdict.Reasons[0].Message
	for _, want := range []string{
		"runner for journey " + js[0].Name + " failed: StoreError: recording result of " + js[0].Name + " attempt 1: dynamodb PutItem: ",
		": ProvisionedThroughputExceededException; ",
		"runner for journey " + js[1].Name + " failed: PanicError: runner panicked: nil map in " + js[1].Name + ": ",
		": assignment to entry in nil map",
	} {
		if !strings.Contains(fault, want) {
			t.Errorf("the verdict's fault (%d bytes) lacks %q; starts %.600q", len(fault), want, fault)
		}
	}
}
