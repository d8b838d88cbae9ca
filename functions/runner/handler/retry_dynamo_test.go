package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/metrics/metricstest"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/dynalite"
)

// codeDeployRecorder records the statuses the gate reports.
type codeDeployRecorder struct {
	mu       sync.Mutex
	statuses []string
}

func (c *codeDeployRecorder) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statuses = append(c.statuses, aws.ToString(in.DeploymentId)+":"+string(in.Status))
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{}, nil
}

// noPipeline fails every call: these runs report to CodeDeploy only.
type noPipeline struct{}

func (noPipeline) PutJobSuccessResult(context.Context, *codepipeline.PutJobSuccessResultInput, ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	return nil, errors.New("unexpected CodePipeline call")
}

func (noPipeline) PutJobFailureResult(context.Context, *codepipeline.PutJobFailureResultInput, ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	return nil, errors.New("unexpected CodePipeline call")
}

// executions counts how often each journey's first step ran.
type executions struct {
	mu sync.Mutex
	n  map[string]int
}

func (e *executions) inc(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n[name]++
	return e.n[name]
}

func (e *executions) get(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[name]
}

// retryRegistry: steady passes; flaky's target resets the connection on
// its first call only; down's target never answers; watched is an
// observe-mode journey whose assertion fails every time.
func retryRegistry(t *testing.T, ex *executions) *journey.Registry {
	t.Helper()
	mk := func(name string, mode journey.Mode, do journey.StepFunc) journey.Journey {
		return journey.Journey{
			Name: name, Description: name, Tier: journey.TierGlobal, Owner: "team", Mode: mode, Targets: []string{"api"},
			Steps: []journey.Step{{Name: name + " answers", SLA: 2 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				ex.inc(name)
				return do(ctx, t)
			}}},
		}
	}
	reg, err := journey.NewRegistry(
		mk("steady", journey.ModeEnforce, get("/login")),
		mk("flaky", journey.ModeEnforce, func(ctx context.Context, t *journey.T) error {
			if ex.get("flaky") == 1 {
				return journey.Infra(errors.New("connection reset by peer"))
			}
			return get("/login")(ctx, t)
		}),
		mk("down", journey.ModeEnforce, func(context.Context, *journey.T) error {
			return journey.Infra(errors.New("dial tcp: connection refused"))
		}),
		mk("watched", journey.ModeObserve, get("/search")),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// cloudRun plans names as a CodeDeploy deployment through the runner
// Lambda, runs each planned journey through it (one invocation each, as
// the Map does) and decides through the gate Lambda, all on st.
type cloudRun struct {
	runner  lambda.Handler
	gate    lambda.Handler
	summary map[string]flow.JourneySummary
	resp    flow.GateResponse
}

func runInCloud(t *testing.T, rh *runner.Handler, gh *gatefn.Handler, runID string, names []string) cloudRun {
	t.Helper()
	c := cloudRun{runner: lambda.NewHandler(rh.Handle), gate: lambda.NewHandler(gh.Handle), summary: map[string]flow.JourneySummary{}}
	trigger := trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-" + runID, LifecycleEventHookExecutionID: "h-" + runID}
	in := flow.Input{RunID: runID, Environment: "staging", Trigger: trigger, Journeys: names}
	var plan flow.Plan
	invokeJSON(t, c.runner, flow.RunnerRequest{Action: flow.ActionPlan, Input: &in}, &plan)
	var items []flow.JourneySummary
	for _, pj := range plan.Journeys {
		var sum flow.JourneySummary
		invokeJSON(t, c.runner, flow.RunnerRequest{Action: flow.ActionRun, RunRequest: flow.RunRequest{
			RunID: runID, Environment: "staging", Journey: pj.Name, Trigger: trigger, TimeoutSeconds: pj.TimeoutSeconds,
		}}, &sum)
		c.summary[pj.Name] = sum
		items = append(items, sum)
	}
	invokeJSON(t, c.gate, flow.GateRequest{Input: in, Plan: &plan, Items: items}, &c.resp)
	return c
}

func invokeJSON(t *testing.T, h lambda.Handler, in, out any) {
	t.Helper()
	payload, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("invoke %s: %v", payload, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
}

// TestRetriesThroughTheLambdasOnDynamoDB runs the cloud path (runner Lambda
// plan and run, gate Lambda) on the DynamoDB store served by dynalite: only
// the failed journey runs again, within its one Task; a pass after a retry
// is passed-flaky and lets the deployment through with the flake named;
// an observe-mode failure never blocks; an error on every attempt fails.
func TestRetriesThroughTheLambdasOnDynamoDB(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := "journeygate-retries"
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table)
	tg := newTarget(t)
	envs, err := envconfig.Parse("envs.yaml", []byte("environments:\n  staging:\n    targets:\n      api: "+tg.URL+"\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ex := &executions{n: map[string]int{}}
	var emf bytes.Buffer
	events := &fakeEvents{}
	rh, err := runner.New(retryRegistry(t, ex), envs, st,
		runner.WithMetrics(&metrics.Emitter{W: &emf}), runner.WithEvents(events, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	cd := &codeDeployRecorder{}
	gh, err := gatefn.New(st, cd, noPipeline{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("flaky passes, observe never blocks", func(t *testing.T) {
		c := runInCloud(t, rh, gh, "cd-flaky", []string{"steady", "flaky", "watched"})
		if got := []int{ex.get("steady"), ex.get("flaky"), ex.get("watched")}; got[0] != 1 || got[1] != 2 || got[2] != 1 {
			t.Errorf("executions steady/flaky/watched = %v, want 1/2/1: only the journey that errored runs again", got)
		}
		if s := c.summary["flaky"]; s.Outcome != journey.PassedFlaky || s.Attempt != 2 || s.Attempts != 2 {
			t.Errorf("flaky's Map item %+v, want passed-flaky on attempt 2 after 2 attempts", s)
		}
		if s := c.summary["watched"]; s.Outcome != journey.Failed || s.Attempts != 1 {
			t.Errorf("watched's Map item %+v, want failed after one attempt (assertions are not retried)", s)
		}
		if c.resp.Status != string(gate.Succeeded) || !strings.HasPrefix(c.resp.Summary, "Succeeded: 2/3 journeys passed (1 flaky: flaky passed on attempt 2 after error at step 1/1 (flaky answers)); 1 observe-mode journey failed (not blocking)") {
			t.Errorf("gate answered %s: %q", c.resp.Status, c.resp.Summary)
		}
		if len(cd.statuses) != 1 || cd.statuses[0] != "d-cd-flaky:Succeeded" {
			t.Errorf("CodeDeploy got %v, want one Succeeded", cd.statuses)
		}

		rec, results, err := store.LoadRun(t.Context(), st, "cd-flaky")
		if err != nil {
			t.Fatal(err)
		}
		var flakyAttempts []journey.Outcome
		for _, r := range results {
			if r.Journey == "flaky" {
				flakyAttempts = append(flakyAttempts, r.Outcome)
			}
		}
		if len(flakyAttempts) != 2 || flakyAttempts[0] != journey.Errored || flakyAttempts[1] != journey.Passed || len(results) != 4 {
			t.Errorf("DynamoDB holds %d results, flaky's attempts %v; want 4 with flaky's error then passed", len(results), flakyAttempts)
		}
		v := rec.Verdict
		if v == nil || v.Flaky != 1 || len(v.Flakes) != 1 || v.Flakes[0].Journey != "flaky" || v.Flakes[0].Earlier[0].Outcome != journey.Errored ||
			!strings.Contains(v.Flakes[0].Earlier[0].Message, "connection reset by peer") {
			t.Fatalf("recorded verdict %+v: want the flake with its earlier attempt's class and message", v)
		}
		if len(v.Reasons) != 1 || v.Reasons[0].Journey != "watched" || v.Reasons[0].Blocking || v.Reasons[0].Outcome != journey.Failed {
			t.Errorf("reasons %+v: want watched's failure reported, not blocking", v.Reasons)
		}

		var records []string
		for _, r := range metricstest.Parse(t, emf.Bytes()) {
			if _, ok := r.Values[metrics.JourneySuccess]; ok && r.Dim(metrics.DimJourney) == "flaky" {
				records = append(records, fmt.Sprintf("success %v flaky %v", r.Values[metrics.JourneySuccess], r.Values[metrics.FlakyPasses]))
			}
		}
		if strings.Join(records, ",") != "success 1 flaky 1" {
			t.Errorf("flaky's journey records %v, want one: success 1 flaky 1 (the attempt that counts, with its attempts)", records)
		}
		var failedEvents []string
		for _, e := range events.take() {
			var d flow.JourneyFailed
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
				t.Fatal(err)
			}
			failedEvents = append(failedEvents, d.Journey)
		}
		if strings.Join(failedEvents, ",") != "watched" {
			t.Errorf("Journey Failed events for %v, want watched only: a flaky pass pages nobody", failedEvents)
		}
	})

	t.Run("an error on every attempt fails the gate", func(t *testing.T) {
		c := runInCloud(t, rh, gh, "cd-down", []string{"steady", "down"})
		if ex.get("down") != 2 || ex.get("steady") != 2 {
			t.Errorf("executions down/steady = %d/%d, want 2 (both attempts) and 2 (once per run)", ex.get("down"), ex.get("steady"))
		}
		if c.resp.Status != string(gate.Failed) || c.resp.Summary != "Failed: down step 1/1 (down answers): error on attempt 2: dial tcp: connection refused" {
			t.Errorf("gate answered %s: %q", c.resp.Status, c.resp.Summary)
		}
		_, results, err := store.LoadRun(t.Context(), st, "cd-down")
		if err != nil || len(results) != 3 {
			t.Errorf("DynamoDB holds %d results (%v), want steady's one and down's two", len(results), err)
		}
	})
}
