package functions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	gatehandler "github.com/journeygate/journeygate/functions/gate/handler"
	runnerhandler "github.com/journeygate/journeygate/functions/runner/handler"
	sinkhandler "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/dynalite"
)

// calls counts DynamoDB requests on the wire by their X-Amz-Target
// operation; a Query of a sink partition (SINK#) counts as "Query(sink)",
// the await's polling, which depends on timing rather than on the code.
type calls map[string]int

// writes is the number of write requests among c.
func (c calls) writes() int {
	return c["PutItem"] + c["UpdateItem"] + c["DeleteItem"] + c["BatchWriteItem"]
}

func (c calls) String() string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, c[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// counter is one function's DynamoDB client with its request count.
type counter struct {
	mu sync.Mutex
	n  calls
}

// take returns the requests since the last take.
func (c *counter) take() calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = calls{}
	return n
}

// RoundTrip counts r by its X-Amz-Target and sends it on.
func (c *counter) roundTrip(base http.RoundTripper, r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if op == "Query" && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(`"SINK#`)) {
			op = "Query(sink)"
		}
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = calls{}
	}
	c.n[op]++
	c.mu.Unlock()
	return base.RoundTrip(r)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// client returns a DynamoDB client for db whose requests c counts.
func (c *counter) client(db *dynalite.Server) *dynamodb.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return dynamodb.New(dynamodb.Options{
		Region:       dynalite.Region,
		BaseEndpoint: aws.String(db.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("dummy", "dummy", ""),
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			return c.roundTrip(base, r)
		})},
	})
}

// callJourneys is the known journey set whose calls are pinned: one that
// gets a notification through the sink Lambda, one without, and one that
// errs on its first attempt and passes on its retry.
func callJourneys() []journey.Journey {
	one := func(name string, steps ...journey.Step) journey.Journey {
		return journey.Journey{Name: name, Tier: journey.TierGlobal, Owner: "bench", Mode: journey.ModeEnforce, Sink: name == "notified", Steps: steps}
	}
	return []journey.Journey{
		one("notified",
			journey.Step{Name: "notification sent", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Sink().URL(), strings.NewReader(`{"status":"firing"}`))
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+callsSinkToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					return journey.Failf("sink answered %d", resp.StatusCode)
				}
				return nil
			}},
			journey.Step{Name: "notification delivered", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				_, err := t.Sink().Await(ctx, "the notification", func(journey.Delivery) error { return nil })
				return err
			}}),
		one("plain", journey.Step{Name: "passes", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}),
		one("retried", journey.Step{Name: "passes on its retry", SLA: time.Second, Do: func(_ context.Context, t *journey.T) error {
			if t.Attempt() == 1 {
				return errors.New("a fault that a retry rides out")
			}
			return nil
		}}),
	}
}

const callsSinkToken = "storecalls-sink-token"

// runCalls is what one run asked of DynamoDB, per function invocation.
type runCalls struct {
	Plan     calls
	Journeys map[string]calls // each runner "run" invocation, a fresh process
	Sink     calls            // the sink Lambda, for all deliveries of the run
	Gate     calls
	Results  int // results stored: attempts of all journeys
}

// callWorld is the cloud flow's functions against dynalite, each with its
// own counted client: the runner (plan, then one invocation per journey,
// each as a fresh process), the sink Lambda behind a loopback "function
// URL", and the gate.
type callWorld struct {
	db                *dynalite.Server
	table             string
	reg               *journey.Registry
	envs              *envconfig.Config
	run, sink, gateFn counter
	sinkURL           string
}

func newCallWorld(tb testing.TB) *callWorld {
	tb.Helper()
	w := &callWorld{db: dynalite.Start(tb), table: "journeygate"}
	if err := dynamo.CreateTable(tb.Context(), w.db.Client(), w.table); err != nil {
		tb.Fatal(err)
	}
	var err error
	if w.reg, err = journey.NewRegistry(callJourneys()...); err != nil {
		tb.Fatal(err)
	}
	if w.envs, err = envconfig.Parse("calls.yaml", []byte("environments:\n  staging: {}\n"), func(string) string { return "" }); err != nil {
		tb.Fatal(err)
	}
	sinkH, err := sinkhandler.New(sinkhandler.Config{Token: callsSinkToken}, dynamo.New(w.sink.client(w.db), w.table))
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		headers := map[string]string{}
		for k, v := range r.Header {
			headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		resp, err := sinkH.Handle(r.Context(), events.LambdaFunctionURLRequest{
			RawPath: r.URL.Path, Headers: headers, Body: string(body),
			RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path}},
		})
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		rw.WriteHeader(resp.StatusCode)
		io.WriteString(rw, resp.Body)
	}))
	tb.Cleanup(srv.Close)
	w.sinkURL = srv.URL
	return w
}

// runOnce plans, runs and decides one run started by trigger, and returns
// its requests. The plan and the gate count under their own counters.
func (w *callWorld) runOnce(tb testing.TB, runID string, trigger trigger.Trigger) runCalls {
	tb.Helper()
	ctx := tb.Context()
	var planCount counter
	in := flow.Input{RunID: runID, Environment: "staging", Trigger: trigger}
	planner, err := runnerhandler.New(w.reg, w.envs, dynamo.New(planCount.client(w.db), w.table))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := planner.Handle(ctx, flow.RunnerRequest{Action: flow.ActionPlan, Input: &in})
	if err != nil {
		tb.Fatalf("plan: %v", err)
	}
	plan := out.(flow.Plan)
	rc := runCalls{Plan: planCount.take(), Journeys: map[string]calls{}}
	w.sink.take()
	var items []flow.JourneySummary
	for _, p := range plan.Journeys {
		// A fresh process per journey: no cache of the run's environment.
		st := dynamo.New(w.run.client(w.db), w.table)
		reader := store.NewSinkReader(st, func(runID string) string { return w.sinkURL + "/run/" + runID }, poll.Backoff{})
		h, err := runnerhandler.New(w.reg, w.envs, st, runnerhandler.WithSink(reader))
		if err != nil {
			tb.Fatal(err)
		}
		out, err := h.Handle(ctx, flow.RunnerRequest{Action: flow.ActionRun, RunRequest: flow.RunRequest{
			RunID: runID, Environment: "staging", Journey: p.Name, Trigger: trigger, TimeoutSeconds: p.TimeoutSeconds,
		}})
		if err != nil {
			tb.Fatalf("run %s: %v", p.Name, err)
		}
		sum := out.(flow.JourneySummary)
		if !sum.Outcome.OK() {
			tb.Fatalf("journey %s: %s: %s", p.Name, sum.Outcome, sum.Message)
		}
		rc.Results += sum.Attempts
		items = append(items, sum)
		rc.Journeys[p.Name] = w.run.take()
	}
	rc.Sink = w.sink.take()
	g, err := gatehandler.New(dynamo.New(w.gateFn.client(w.db), w.table), okCodeDeploy{}, okCodePipeline{}, gatehandler.WithEnvironments(w.envs))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := g.Handle(ctx, flow.GateRequest{Input: in, Plan: &plan, Items: items})
	if err != nil || resp.Status != "Succeeded" {
		tb.Fatalf("gate: %+v, %v", resp, err)
	}
	rc.Gate = w.gateFn.take()
	return rc
}

// okCodeDeploy and okCodePipeline accept every report.
type okCodeDeploy struct{}

func (okCodeDeploy) PutLifecycleEventHookExecutionStatus(context.Context, *codedeploy.PutLifecycleEventHookExecutionStatusInput, ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{}, nil
}

type okCodePipeline struct{}

func (okCodePipeline) PutJobSuccessResult(context.Context, *codepipeline.PutJobSuccessResultInput, ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	return &codepipeline.PutJobSuccessResultOutput{}, nil
}

func (okCodePipeline) PutJobFailureResult(context.Context, *codepipeline.PutJobFailureResultInput, ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	return &codepipeline.PutJobFailureResultOutput{}, nil
}

var (
	scheduleTrigger   = trigger.Trigger{Type: trigger.Schedule, Source: "storecalls"}
	codedeployTrigger = trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-CALLS0001", LifecycleEventHookExecutionID: "hook-calls-1",
		Application: "incident-pipeline", DeploymentGroup: "alertmanager-staging"}
)

// TestStoreCallsPerRun pins what one cloud run asks of DynamoDB, counted
// on the wire (X-Amz-Target) against dynalite through the real handlers,
// for the known journey set of callJourneys (issue 7; the cost model
// charges these calls). Per journey run: one Query (the run and its
// results so far), one GetItem (the run's environment, once per process)
// and one PutItem per attempt; one PutItem per delivery in the sink; per
// run: the plan's PutItem and the verdict's UpdateItem; per decision: one
// Query, and three more for a deployment (its overrides, and the
// environment's recent scheduled runs and their results, for the freeze),
// whose report is then marked with one more UpdateItem
// (costmodel.ReportWritesPerDeployment). The freeze's two Queries read
// indexes that project keys only, so each item they list is one GetItem
// from the table: here the environment's two runs (the scheduled one and
// this one) and their eight results.
// The single store operations are pinned by store's
// TestDynamoRequestCounts; this pins how the functions compose them.
func TestStoreCallsPerRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dynalite")
	}
	w := newCallWorld(t)
	perJourney := map[string]calls{
		"notified": {"Query": 1, "GetItem": 1, "PutItem": 1, "Query(sink)": 1},
		"plain":    {"Query": 1, "GetItem": 1, "PutItem": 1},
		"retried":  {"Query": 1, "GetItem": 1, "PutItem": 2},
	}
	tests := []struct {
		name    string
		trigger trigger.Trigger
		gate    calls
	}{
		// First, so that the deployment's freeze finds a scheduled run.
		{"scheduled", scheduleTrigger, calls{"Query": 1, "UpdateItem": 1}},
		{"deployment", codedeployTrigger, calls{"Query": 4, "GetItem": 2 + 2*4, "UpdateItem": 2}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := w.runOnce(t, fmt.Sprintf("calls-%d", i), tc.trigger)
			check := func(what string, got, want calls) {
				t.Helper()
				if got.String() != want.String() {
					t.Errorf("%s: requests %v, want %v", what, got, want)
				}
			}
			check("plan", rc.Plan, calls{"PutItem": 1})
			for name, want := range perJourney {
				check("run "+name, rc.Journeys[name], want)
			}
			check("sink", rc.Sink, calls{"PutItem": 1})
			check("gate", rc.Gate, tc.gate)
		})
	}
}

// BenchmarkStoreCalls reports the DynamoDB requests of one run of
// callJourneys' three journeys (four attempts, one sink delivery) per
// journey run, per run and per gate decision, counted on the wire against
// dynalite. Targets (issue 7): at most 2 writes per journey run plus 1 per
// run; 1 Query per gate decision below 1 MB of results.
func BenchmarkStoreCalls(b *testing.B) {
	w := newCallWorld(b)
	var sched, deploy runCalls
	i := 0
	for b.Loop() {
		i++
		sched = w.runOnce(b, fmt.Sprintf("bench-s-%d", i), scheduleTrigger)
		deploy = w.runOnce(b, fmt.Sprintf("bench-d-%d", i), codedeployTrigger)
	}
	var journeyWrites, journeyReads int
	for _, c := range sched.Journeys {
		journeyWrites += c.writes()
		journeyReads += c["Query"] + c["GetItem"]
	}
	journeyWrites += sched.Sink.writes()
	n := float64(len(sched.Journeys))
	b.ReportMetric(float64(journeyWrites)/n, "writes-per-journey-run")
	b.ReportMetric(float64(journeyReads)/n, "reads-per-journey-run")
	b.ReportMetric(float64(sched.Plan.writes()+sched.Gate.writes()), "writes-per-run")
	b.ReportMetric(float64(sched.Gate["Query"]), "queries-per-scheduled-decision")
	b.ReportMetric(float64(deploy.Gate["Query"]), "queries-per-deployment-decision")
	b.ReportMetric(float64(deploy.Gate["GetItem"]), "item-reads-per-deployment-decision")
}
