package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/dynalite"
	"github.com/journeygate/journeygate/test/secrettest"
)

// pipelineRecorder records the results the gate reports to CodePipeline,
// failure messages included.
type pipelineRecorder struct {
	mu      sync.Mutex
	reports []string
}

func (p *pipelineRecorder) PutJobSuccessResult(_ context.Context, in *codepipeline.PutJobSuccessResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports = append(p.reports, "success "+aws.ToString(in.JobId))
	return &codepipeline.PutJobSuccessResultOutput{}, nil
}

func (p *pipelineRecorder) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports = append(p.reports, "failure "+aws.ToString(in.JobId)+": "+aws.ToString(in.FailureDetails.Message))
	return &codepipeline.PutJobFailureResultOutput{}, nil
}

// noCodeDeploy fails every call: these runs report to CodePipeline.
type noCodeDeploy struct{}

func (noCodeDeploy) PutLifecycleEventHookExecutionStatus(context.Context, *codedeploy.PutLifecycleEventHookExecutionStatusInput, ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	return nil, errors.New("unexpected CodeDeploy call")
}

// leasedCloud is the cloud path on one dynalite table: the runner Lambda
// with a lease manager, the gate Lambda reporting to CodePipeline.
type leasedCloud struct {
	client  *dynamodb.Client
	table   string
	st      *dynamo.Store
	runner  lambda.Handler
	gate    lambda.Handler
	leases  *lease.Manager
	logs    *bytes.Buffer
	emf     *bytes.Buffer
	events  *fakeEvents
	pipe    *pipelineRecorder
	envs    *envconfig.Config
	gateLog *bytes.Buffer
}

func newLeasedCloud(t *testing.T, client *dynamodb.Client, table, envsYAML string, getenv func(string) string, js ...journey.Journey) *leasedCloud {
	t.Helper()
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	c := &leasedCloud{client: client, table: table, st: dynamo.New(client, table),
		logs: &bytes.Buffer{}, emf: &bytes.Buffer{}, gateLog: &bytes.Buffer{}, events: &fakeEvents{}, pipe: &pipelineRecorder{}}
	envs, err := envconfig.Parse("envs.yaml", []byte(envsYAML), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c.envs = envs
	reg, err := journey.NewRegistry(js...)
	if err != nil {
		t.Fatal(err)
	}
	c.leases, err = lease.NewManager(c.st, envs, secrets.New(secrets.WithGetenv(getenv)),
		lease.WithBackoff(poll.Backoff{First: time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncWriter{w: c.logs}
	rh, err := runner.New(reg, envs, c.st, runner.WithLeases(c.leases),
		runner.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		runner.WithMetrics(&metrics.Emitter{W: &syncWriter{w: c.emf}}), runner.WithEvents(c.events, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	gh, err := gatefn.New(c.st, noCodeDeploy{}, c.pipe, gatefn.WithLogger(slog.New(slog.NewJSONHandler(&syncWriter{w: c.gateLog}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	c.runner, c.gate = lambda.NewHandler(rh.Handle), lambda.NewHandler(gh.Handle)
	return c
}

// syncWriter serialises writes of concurrent invocations.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func invokeLeased(t *testing.T, h lambda.Handler, in, out any) []byte {
	t.Helper()
	payload, err := json.Marshal(in)
	if err != nil {
		t.Error(err)
		return nil
	}
	b, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Errorf("invoke %s: %v", payload, err)
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Errorf("response %s: %v", b, err)
	}
	return b
}

func pipelineTrigger(runID string) trigger.Trigger {
	return trigger.Trigger{Type: trigger.CodePipeline, JobID: "job-" + runID}
}

// plan plans runID for names and returns the planned journeys.
func (c *leasedCloud) plan(t *testing.T, runID string, names []string) (flow.Input, flow.Plan) {
	t.Helper()
	in := flow.Input{RunID: runID, Environment: "staging", Trigger: pipelineTrigger(runID), Journeys: names}
	var plan flow.Plan
	invokeLeased(t, c.runner, flow.RunnerRequest{Action: flow.ActionPlan, Input: &in}, &plan)
	return in, plan
}

// run invokes the runner Lambda for one planned journey, as a Map item.
func (c *leasedCloud) run(t *testing.T, runID string, pj flow.PlannedJourney) (flow.JourneySummary, []byte) {
	var sum flow.JourneySummary
	raw := invokeLeased(t, c.runner, flow.RunnerRequest{Action: flow.ActionRun, RunRequest: flow.RunRequest{
		RunID: runID, Environment: "staging", Journey: pj.Name, Trigger: pipelineTrigger(runID), TimeoutSeconds: pj.TimeoutSeconds,
	}}, &sum)
	return sum, raw
}

// pipelineMessage is the failure message the hook answers the run's
// CodePipeline job with: reporter.PipelineMessage of the recorded verdict.
func (c *leasedCloud) pipelineMessage(t *testing.T, runID string) string {
	t.Helper()
	rec, err := c.st.GetRun(t.Context(), runID)
	if err != nil || rec.Verdict == nil {
		t.Fatalf("run %s: %+v, %v; want a recorded verdict", runID, rec, err)
	}
	return reporter.PipelineMessage(runID, *rec.Verdict, nil)
}

// decide invokes the gate Lambda.
func (c *leasedCloud) decide(t *testing.T, in flow.Input, plan flow.Plan, items []flow.JourneySummary) (flow.GateResponse, []byte) {
	var resp flow.GateResponse
	raw := invokeLeased(t, c.gate, flow.GateRequest{Input: in, Plan: &plan, Items: items}, &resp)
	return resp, raw
}

// scan returns every item of the table as JSON: whatever the store wrote.
func (c *leasedCloud) scan(t *testing.T) []byte {
	t.Helper()
	var all []map[string]any
	var start map[string]types.AttributeValue
	for {
		out, err := c.client.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(c.table), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range out.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				t.Fatal(err)
			}
			all = append(all, m)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSecretsNeverLeakThroughTheLambdasOnDynamoDB runs a journey that uses
// a leased API key the target echoes back in a response and in an error
// message through the runner Lambda and the gate Lambda on DynamoDB
// (dynalite), and searches every output for the key: every item of the
// table, the Map item, the gate's answer, the CodePipeline failure
// message, the Journey Failed event, the EMF metrics and both Lambdas'
// logs.
func TestSecretsNeverLeakThroughTheLambdasOnDynamoDB(t *testing.T) {
	secret := secrettest.NewSecret()
	target := secrettest.Target(t)
	getenv := func(k string) string {
		if k == secrettest.EnvVar {
			return secret
		}
		return ""
	}
	c := newLeasedCloud(t, dynalite.Start(t).Client(), "journeygate-secrets",
		secrettest.Environments("staging", target.URL, 5*time.Second), getenv, secrettest.Journey("order-as-tenant"))

	in, plan := c.plan(t, "cp-secret", []string{"order-as-tenant"})
	if len(plan.Journeys) != 1 {
		t.Fatalf("plan %+v", plan)
	}
	sum, rawSum := c.run(t, "cp-secret", plan.Journeys[0])
	resp, rawResp := c.decide(t, in, plan, []flow.JourneySummary{sum})
	target.AssertUsed(t, secret)

	if sum.Outcome != journey.Failed || !strings.Contains(sum.Message, "creating an order with key [REDACTED]") {
		t.Errorf("Map item %+v: want the order step failed, the key redacted", sum)
	}
	if resp.Status != string(gate.Failed) {
		t.Errorf("gate answered %+v", resp)
	}
	var eventDetails []string
	for _, e := range c.events.take() {
		eventDetails = append(eventDetails, aws.ToString(e.Detail))
	}
	if len(eventDetails) != 1 {
		t.Errorf("%d Journey Failed events, want 1", len(eventDetails))
	}
	if len(c.pipe.reports) != 0 {
		t.Errorf("the gate reported %q to CodePipeline; the hook answers jobs", c.pipe.reports)
	}
	pipeMsg := c.pipelineMessage(t, "cp-secret")
	_, results, err := store.LoadRun(t.Context(), c.st, "cp-secret")
	if err != nil || len(results) != 1 {
		t.Fatalf("stored results %v, %v", results, err)
	}
	stored, _ := json.Marshal(results)
	for _, o := range []struct {
		what     string
		b        []byte
		redacted bool
	}{
		{"the stored result", stored, true},
		{"the DynamoDB table", c.scan(t), true},
		{"the runner's Map item", rawSum, true},
		{"the gate's answer", rawResp, false},
		{"the CodePipeline failure message", []byte(pipeMsg), true},
		{"the Journey Failed event", []byte(strings.Join(eventDetails, "\n")), true},
		{"the EMF metrics", c.emf.Bytes(), false},
		{"the runner's logs", c.logs.Bytes(), true},
		{"the gate's logs", c.gateLog.Bytes(), false},
	} {
		secrettest.AssertClean(t, o.what, o.b, secret, o.redacted)
	}
	// Released after the journey: nothing stays leased.
	if left, err := c.st.Leases(t.Context(), "staging", "tenants"); err != nil || len(left) != 0 {
		t.Errorf("leases left: %+v, %v", left, err)
	}
}

// pooledEnvs is staging with a pool of n tenants waiting wait.
func pooledEnvs(n int, wait time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "environments:\n  staging:\n    targets: {api: \"http://127.0.0.1:1\"}\n    pools:\n      tenants:\n        lease: 1m\n        wait: %s\n        resources:\n", wait)
	for i := range n {
		fmt.Fprintf(&b, "          - {id: tenant-%d, values: {api_key: key-of-tenant-%d}}\n", i, i)
	}
	return b.String()
}

// exclusive is a journey whose step fails if its tenant is in use by
// another journey at the same time.
func exclusive(name string, inUse *sync.Map) journey.Journey {
	return journey.Journey{
		Name: name, Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Needs: []string{"tenants"},
		Retry: journey.Retry{MaxAttempts: 1},
		Steps: []journey.Step{{Name: "tenant to itself", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
			id := t.Resource("tenants").ID()
			if other, taken := inUse.LoadOrStore(id, t.Unique()); taken {
				return journey.Failf("%s is used by %s too", id, other)
			}
			defer inUse.Delete(id)
			time.Sleep(3 * time.Millisecond)
			return nil
		}}},
	}
}

// TestLeasesThroughTheRunnerLambdaOnDynamoDB: concurrent runner Lambda
// invocations, more than the pool has tenants, never hold one tenant at
// once over many rounds; a pool exhausted past its wait fails the journey
// with class error naming the pool, and the gate fails; a lease whose
// holder died is reclaimed once it expires.
func TestLeasesThroughTheRunnerLambdaOnDynamoDB(t *testing.T) {
	client := dynalite.Start(t).Client()

	t.Run("concurrent invocations never share a tenant", func(t *testing.T) {
		var inUse sync.Map
		var js []journey.Journey
		var names []string
		for i := range 5 {
			js = append(js, exclusive(fmt.Sprintf("exclusive-%d", i), &inUse))
			names = append(names, js[i].Name)
		}
		c := newLeasedCloud(t, client, "journeygate-leases", pooledEnvs(2, 30*time.Second), func(string) string { return "" }, js...)
		rounds := 5
		if testing.Short() {
			rounds = 1
		}
		for round := range rounds {
			runID := fmt.Sprintf("cp-round-%d", round)
			in, plan := c.plan(t, runID, names)
			items := make([]flow.JourneySummary, len(plan.Journeys))
			var wg sync.WaitGroup
			for i, pj := range plan.Journeys {
				wg.Go(func() { items[i], _ = c.run(t, runID, pj) })
			}
			wg.Wait()
			for _, it := range items {
				if it.Outcome != journey.Passed {
					t.Errorf("round %d: %s %s: %s", round, it.Journey, it.Outcome, it.Message)
				}
			}
			if resp, _ := c.decide(t, in, plan, items); resp.Status != string(gate.Succeeded) {
				t.Errorf("round %d: gate %s: %s", round, resp.Status, resp.Summary)
			}
		}
		if left, err := c.st.Leases(t.Context(), "staging", "tenants"); err != nil || len(left) != 0 {
			t.Errorf("leases left: %+v, %v", left, err)
		}
	})

	t.Run("exhausted pool is class error naming the pool", func(t *testing.T) {
		var inUse sync.Map
		c := newLeasedCloud(t, client, "journeygate-exhausted", pooledEnvs(1, 300*time.Millisecond), func(string) string { return "" }, exclusive("needs-tenant", &inUse))
		held, err := lease.Acquire(t.Context(), c.st, "staging", c.envs.Environments["staging"].Pools["tenants"], "another-run")
		if err != nil {
			t.Fatal(err)
		}
		defer held.Release(context.Background())
		in, plan := c.plan(t, "cp-exhausted", []string{"needs-tenant"})
		start := time.Now()
		sum, _ := c.run(t, "cp-exhausted", plan.Journeys[0])
		const want = "pool tenants: no resource free within 300ms (1 leased)"
		if sum.Outcome != journey.Errored || sum.Message != want {
			t.Errorf("Map item %+v, want class error %q", sum, want)
		}
		if waited := time.Since(start); waited < 300*time.Millisecond {
			t.Errorf("gave up after %s, before the pool's wait", waited)
		}
		resp, _ := c.decide(t, in, plan, []flow.JourneySummary{sum})
		if resp.Status != string(gate.Failed) || !strings.Contains(resp.Summary, want) {
			t.Errorf("gate answered %s: %q", resp.Status, resp.Summary)
		}
		if msg := c.pipelineMessage(t, "cp-exhausted"); !strings.Contains(msg, want) {
			t.Errorf("CodePipeline failure message %q, want it naming the pool", msg)
		}
	})

	t.Run("a dead holder's lease is reclaimed after it expires", func(t *testing.T) {
		var inUse sync.Map
		c := newLeasedCloud(t, client, "journeygate-reclaim", pooledEnvs(1, 10*time.Second), func(string) string { return "" }, exclusive("needs-tenant", &inUse))
		pool := c.envs.Environments["staging"].Pools["tenants"]
		pool.Lease = 500 * time.Millisecond
		// A holder that never renews: it died holding the tenant.
		dead, err := lease.Acquire(t.Context(), c.st, "staging", pool, "crashed-invocation", lease.WithRenewEvery(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		in, plan := c.plan(t, "cp-reclaim", []string{"needs-tenant"})
		start := time.Now()
		sum, _ := c.run(t, "cp-reclaim", plan.Journeys[0])
		if sum.Outcome != journey.Passed {
			t.Fatalf("Map item %+v: the expired lease was not reclaimed", sum)
		}
		if waited := time.Since(start); waited < 400*time.Millisecond {
			t.Errorf("ran after %s, before the dead lease's 500ms were up", waited)
		}
		if err := dead.Release(t.Context()); !errors.Is(err, store.ErrNotHeld) {
			t.Errorf("release by the dead holder = %v, want store.ErrNotHeld", err)
		}
		if resp, _ := c.decide(t, in, plan, []flow.JourneySummary{sum}); resp.Status != string(gate.Succeeded) {
			t.Errorf("gate answered %s: %q", resp.Status, resp.Summary)
		}
	})
}
