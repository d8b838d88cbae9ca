package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	gatehandler "github.com/journeygate/journeygate/functions/gate/handler"
	hookhandler "github.com/journeygate/journeygate/functions/hook/handler"
	runnerhandler "github.com/journeygate/journeygate/functions/runner/handler"
	sinkhandler "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/paging"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/awslocal"
	"github.com/journeygate/journeygate/test/dynalite"
	"github.com/journeygate/journeygate/test/repo"
	"github.com/journeygate/journeygate/test/sfnlocal"
)

const (
	stateMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:journeygate"
	sinkToken       = "contract-test-sink-token"
)

// world is one deployment of journeygate, run locally with real parts.
type world struct {
	t     *testing.T
	store *dynamo.Store
	// db is the DynamoDB stand-in, for tests that stop it mid-run.
	db   *dynalite.Server
	cd   *awslocal.CodeDeploy
	cp   *awslocal.CodePipeline
	sf   *awslocal.StepFunctions
	hook func(context.Context, json.RawMessage) (hookhandler.Response, error)
	// events records what the gate publishes (Run Completed, with the
	// verdict's reasons) in place of EventBridge.
	events *eventRecorder
	// def is the deployed state machine definition; schedules the deployed
	// schedules' inputs per tier.
	def       string
	schedules map[journey.Tier]string

	mu      sync.Mutex
	invoked map[string]int // invocations per handler name
	// ran lists, per handler name, the journeys it was invoked to run.
	ran       map[string][]string
	handlers  map[string]sfnlocal.Handler
	sfnOpts   []sfnlocal.Option
	finished  map[string]sfnlocal.Result
	finishedC chan string
}

// options adjust a world before it starts.
type options struct {
	fault string
	// wrapRunner replaces the runner's Lambda handler, e.g. to crash it;
	// wrapGate the gate's; wrapBrowserRunner the browser runner's.
	wrapRunner, wrapGate, wrapBrowserRunner func(sfnlocal.Handler) sfnlocal.Handler
	sfnOpts                                 []sfnlocal.Option
	// target, when set, is given Alertmanager's URL and returns the URL
	// the environments name as the alertmanager target instead, e.g. a
	// faulty front for it. Alertmanager still delivers to the sink.
	target func(amURL string) string
	// hookServices are the services the hook adds to every deployment;
	// nil means [alertmanager], so every journey runs. An empty, non-nil
	// slice adds none: a deployment whose AppSpec covers no journey's
	// service then runs only the global journeys.
	hookServices []string
	// newVersion, when set, starts a second Alertmanager as the version
	// about to get traffic, the environments' test target: "healthy", or
	// the fault it has. The first stays the live version.
	newVersion string
	// runnerEvents, when set, is where the runners publish their Journey
	// Failed events (the default bus), as deployed.
	runnerEvents runnerhandler.EventsAPI
	// paging, when not nil, configures the runners' pager (package
	// paging) over the world's store, e.g. its reminder interval.
	paging []paging.Option
	// apiOnly leaves the journeys that drive a browser out of the world's
	// catalogue: for tests of what starts and answers a run (deployment
	// stages), where a Chromium per run only loads a shared machine. The
	// browser runner's path has tests of its own (browser_test.go).
	apiOnly bool
}

func newWorld(t *testing.T, o options) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, finished: map[string]sfnlocal.Result{}, finishedC: make(chan string, 16), sfnOpts: o.sfnOpts}

	// DynamoDB on dynalite.
	db := dynalite.Start(t)
	w.db = db
	table := "journeygate"
	if err := dynamo.CreateTable(ctx, db.Client(), table); err != nil {
		t.Fatal(err)
	}
	w.store = dynamo.New(db.Client(), table)

	// The sink Lambda behind a function-URL-like loopback endpoint.
	cfg, err := envconfig.Parse(journeys.EnvironmentsPath, journeys.EnvironmentsFile, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	local, err := cfg.Get("local")
	if err != nil {
		t.Fatal(err)
	}
	sinkH, err := sinkhandler.New(sinkhandler.Config{Token: sinkToken, Correlate: local.Sink.Correlate}, w.store)
	if err != nil {
		t.Fatal(err)
	}
	sinkURL := serveFunctionURL(t, func() lambda.Handler { return lambda.NewHandler(sinkH.Handle) })

	// The system under test, delivering to the sink Lambda.
	bin, err := alertmanager.EnsureBinary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	am, err := alertmanager.Start(ctx, alertmanager.Options{Binary: bin, Webhooks: []string{sinkURL + "/"}, Fault: o.fault, BearerToken: sinkToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(am.Stop)

	targetURL := am.URL
	if o.target != nil {
		targetURL = o.target(am.URL)
	}
	testTargets := ""
	if o.newVersion != "" {
		fault := o.newVersion
		if fault == "healthy" {
			fault = ""
		}
		next, err := alertmanager.Start(ctx, alertmanager.Options{Binary: bin, Webhooks: []string{sinkURL + "/"}, Fault: fault, BearerToken: sinkToken})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(next.Stop)
		testTargets = "\n    test_targets:\n      alertmanager: " + next.URL
	}
	// local for hook-started runs; staging for the deployed schedules' inputs.
	envs, err := envconfig.Parse("contract.yaml", []byte(fmt.Sprintf(`environments:
  local:
    targets:
      alertmanager: %[1]s%[2]s
    settings:
      quiet_window: 2s
    sink:
      correlate: [/groupLabels/jg_run, /commonLabels/jg_run]
  staging:
    targets:
      alertmanager: %[1]s%[2]s
    settings:
      quiet_window: 2s
    sink:
      correlate: [/groupLabels/jg_run, /commonLabels/jg_run]
`, targetURL, testTargets)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// The examples Alertmanager serves, by name: a journey added to the
	// catalogue (against another target) is no part of this world.
	reg, err := alertmanager.ExampleRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if o.apiOnly {
		var api []journey.Journey
		for _, j := range reg.All() {
			if !j.Browser {
				api = append(api, j)
			}
		}
		if reg, err = journey.NewRegistry(api...); err != nil {
			t.Fatal(err)
		}
	}
	reader := store.NewSinkReader(w.store, func(run string) string { return sinkURL + "/run/" + run }, poll.DefaultBackoff)
	runnerOpts := []runnerhandler.Option{runnerhandler.WithSink(reader)}
	if o.runnerEvents != nil {
		runnerOpts = append(runnerOpts, runnerhandler.WithEvents(o.runnerEvents, ""))
	}
	if o.paging != nil {
		pager, err := paging.New(w.store, o.paging...)
		if err != nil {
			t.Fatal(err)
		}
		runnerOpts = append(runnerOpts, runnerhandler.WithPager(pager))
	}
	runnerH, err := runnerhandler.New(reg, envs, w.store, runnerOpts...)
	if err != nil {
		t.Fatal(err)
	}

	// CodeDeploy, CodePipeline and Step Functions endpoints for the real SDK clients.
	w.cd = awslocal.StartCodeDeploy(t)
	w.cp = awslocal.StartCodePipeline(t)
	w.events = &eventRecorder{}
	// Reports retry as deployed, from a shorter first wait: the rows
	// count calls, and a shared machine need not sleep out the backoff.
	gateH, err := gatehandler.New(w.store, w.cd.Client(), w.cp.Client(), gatehandler.WithEvents(w.events, ""),
		gatehandler.WithRetry(reporter.DefaultAttempts, reportBackoff, nil))
	if err != nil {
		t.Fatal(err)
	}
	runner := sfnlocal.LambdaHandler(runnerH.Handle)
	if o.wrapRunner != nil {
		runner = o.wrapRunner(runner)
	}
	gateFn := sfnlocal.LambdaHandler(gateH.Handle)
	if o.wrapGate != nil {
		gateFn = o.wrapGate(gateFn)
	}
	// The browser runner: the same handler, a function of its own, which
	// the state machine sends the journeys that drive a browser. Its
	// Chromium is the one the deployed function ships (TestMain).
	browserH, err := runnerhandler.New(reg, envs, w.store, runnerOpts...)
	if err != nil {
		t.Fatal(err)
	}
	browser := sfnlocal.LambdaHandler(browserH.Handle)
	if o.wrapBrowserRunner != nil {
		browser = o.wrapBrowserRunner(browser)
	}
	w.handlers = map[string]sfnlocal.Handler{"runner": runner, "gate": gateFn, infra.FunctionBrowserRunner: browser}
	// What is deployed is what is tested: the definition from the
	// synthesized staging stack, with the functions' placeholder ARNs.
	deployed, err := infratest.StagingDeployment()
	if err != nil {
		t.Fatal(err)
	}
	w.def, w.schedules = deployed.Definition, deployed.ScheduleInputs
	if infra.PlaceholderFunctionARN(infra.FunctionRunner) != sfnlocal.FunctionARN("runner") || infra.PlaceholderFunctionARN(infra.FunctionGate) != sfnlocal.FunctionARN("gate") ||
		infra.PlaceholderFunctionARN(infra.FunctionBrowserRunner) != sfnlocal.FunctionARN(infra.FunctionBrowserRunner) ||
		infra.PlaceholderFunctionARN(infra.HookFunctionName(infra.DefaultNamePrefix, "staging")) != sfnlocal.FunctionARN(hookFunction) {
		t.Fatal("the deployed definition's function ARNs do not name the handlers below")
	}
	w.sf = awslocal.StartStepFunctions(t, w.execute)

	services := o.hookServices
	if services == nil {
		services = []string{"alertmanager"}
	}
	hookH, err := hookhandler.New(hookhandler.Config{StateMachineArn: stateMachineARN, Environment: "local", Services: services},
		w.sf.Client(), w.cd.Client(), w.cp.Client(), w.store, hookhandler.WithRetry(reporter.DefaultAttempts, reportBackoff, nil))
	if err != nil {
		t.Fatal(err)
	}
	w.hook = hookH.Handle
	// The state machine's last resort reports through the hook, which it
	// names by the deployed hook's fixed name.
	w.handlers[hookFunction] = sfnlocal.LambdaHandler(hookH.Handle)
	w.invoked, w.ran = map[string]int{}, map[string][]string{}
	for name, h := range w.handlers {
		w.handlers[name] = func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
			var req flow.RunnerRequest
			_ = json.Unmarshal(p, &req) // only runner payloads name a journey
			w.mu.Lock()
			w.invoked[name]++
			if req.Action == flow.ActionRun {
				w.ran[name] = append(w.ran[name], req.Journey)
			}
			w.mu.Unlock()
			return h(ctx, p)
		}
	}
	return w
}

// execute runs a started execution's definition under aws-local-stepfunctions.
func (w *world) execute(e awslocal.Execution) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := append([]sfnlocal.Option{sfnlocal.WithContextObject(map[string]any{"Execution": map[string]any{"Name": e.Name, "Id": e.ARN}})}, w.sfnOpts...)
	res, err := sfnlocal.Run(ctx, w.t, w.def, json.RawMessage(e.Input), w.handlers, opts...)
	if err != nil {
		w.t.Errorf("execution %s: harness: %v", e.Name, err)
		res.Status = "HARNESS-ERROR"
	}
	w.sf.Finish(e.Name, res.Status)
	w.mu.Lock()
	w.finished[e.Name] = res
	w.mu.Unlock()
	w.finishedC <- e.Name
}

// invokeHook delivers an event to the hook through aws-lambda-go's JSON
// path, one lambda.Handler per delivery as separate instances would.
func (w *world) invokeHook(event []byte) (hookhandler.Response, error) {
	out, err := lambda.NewHandler(w.hook).Invoke(context.Background(), event)
	var resp hookhandler.Response
	if err == nil {
		err = json.Unmarshal(out, &resp)
	}
	return resp, err
}

// invokeRaw delivers an event to the hook and returns its JSON answer as
// the invoker reads it.
func (w *world) invokeRaw(event []byte) ([]byte, error) {
	return lambda.NewHandler(w.hook).Invoke(context.Background(), event)
}

// hookFunction is the deployed staging hook's name, by which the state
// machine invokes it.
var hookFunction = infra.HookFunctionName(infra.DefaultNamePrefix, "staging")

// calls returns how often the state machine invoked the named handler
// ("runner", "gate", hookFunction).
func (w *world) calls(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.invoked[name]
}

// journeysRun returns the journeys the state machine invoked the named
// handler to run, in order.
func (w *world) journeysRun(name string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.ran[name]...)
}

// reportBackoff is the reporters' first wait between attempts here.
const reportBackoff = 50 * time.Millisecond

// pipelineJob is what CodePipeline knows of the jobs the tests run.
var pipelineJob = awslocal.Job{Pipeline: "incident-pipeline", Stage: "Gate", Action: "journeys", FunctionName: "CodeDeployHook_journeygate-staging"}

// answerJob drives a CodePipeline action the way CodePipeline does once
// the hook answered job firstJob "in progress" with a continuation token:
// every interval it invokes the hook again, as a new job carrying the
// token, until a job gets a final result. It returns the answers, the
// first job's included, and fails the test after max invocations.
func (w *world) answerJob(first hookhandler.Response, firstJob string, interval time.Duration, max int) []hookhandler.Response {
	w.t.Helper()
	answers := []hookhandler.Response{first}
	for n := 1; answers[len(answers)-1].Pipeline == hookhandler.PipelineInProgress; n++ {
		if n > max {
			w.t.Fatalf("job %s still in progress after %d invocations", firstJob, max)
		}
		time.Sleep(interval)
		job := fmt.Sprintf("%s-%d", firstJob, n)
		w.cp.AddJob(job, pipelineJob)
		ev, _ := json.Marshal(map[string]any{"CodePipeline.job": map[string]any{
			"id": job, "accountId": awslocal.AccountID,
			"data": map[string]any{"continuationToken": first.RunID, "actionConfiguration": map[string]any{"configuration": map[string]any{
				"FunctionName": pipelineJob.FunctionName, "UserParameters": `{"environment":"local"}`,
			}}},
		}})
		resp, err := w.invokeHook(ev)
		if err != nil {
			w.t.Fatalf("re-invoking the hook for job %s: %v", job, err)
		}
		answers = append(answers, resp)
	}
	return answers
}

// waitExecutions waits until n executions have finished.
func (w *world) waitExecutions(n int) []sfnlocal.Result {
	w.t.Helper()
	deadline := time.After(4 * time.Minute)
	var out []sfnlocal.Result
	for len(out) < n {
		select {
		case name := <-w.finishedC:
			w.mu.Lock()
			out = append(out, w.finished[name])
			w.mu.Unlock()
		case <-deadline:
			w.t.Fatalf("only %d of %d executions finished", len(out), n)
		}
	}
	return out
}

// scheduledEvent is the event the deployed tier's schedule sends the hook
// at tick (RFC 3339), its context attributes filled in as the Scheduler
// does.
func scheduledEvent(t *testing.T, w *world, tier journey.Tier, tick string) []byte {
	t.Helper()
	tmpl, ok := w.schedules[tier]
	if !ok {
		t.Fatalf("the staging stack has no %s schedule", tier)
	}
	ev := strings.NewReplacer(
		"<aws.scheduler.scheduled-time>", tick,
		"<aws.scheduler.schedule-arn>", "arn:aws:scheduler:us-east-1:123456789012:schedule/default/journeygate-staging-JourneyGate"+string(tier)+"-1A2B3C4D5E6F",
	).Replace(tmpl)
	if strings.Contains(ev, "<aws.scheduler.") {
		t.Fatalf("schedule event uses a context attribute this test does not fill in: %s", ev)
	}
	return []byte(ev)
}

// event reads a sample event from events/ and applies replacements.
func event(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(data)))
}

// serveFunctionURL exposes a Lambda function-URL handler on loopback,
// translating HTTP requests into function URL events as AWS does. Each
// request gets its own handler from newHandler, as concurrent requests get
// separate Lambda instances: one aws-lambda-go handler is not safe for
// concurrent invokes.
func serveFunctionURL(t *testing.T, newHandler func() lambda.Handler) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		headers := map[string]string{}
		for k, v := range r.Header {
			headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		ev := events.LambdaFunctionURLRequest{
			Version: "2.0", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery, Headers: headers, Body: string(body),
			RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path}},
		}
		payload, _ := json.Marshal(ev)
		out, err := newHandler().Invoke(r.Context(), payload)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			rw.Header().Set(k, v)
		}
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(rw, bytes.NewReader([]byte(resp.Body)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// eventRecorder stands in for EventBridge: it keeps the Run Completed
// details the gate publishes, which carry the verdict's reasons even when
// the store that would hold them is gone.
type eventRecorder struct {
	mu        sync.Mutex
	completed []flow.RunCompleted
}

// PutEvents records every entry; an entry that is not a Run Completed
// event with a JSON detail is rejected, as a malformed entry would be.
func (r *eventRecorder) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		var rc flow.RunCompleted
		if aws.ToString(e.DetailType) != flow.DetailRunCompleted || json.Unmarshal([]byte(aws.ToString(e.Detail)), &rc) != nil {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("MalformedDetail")})
			continue
		}
		r.mu.Lock()
		r.completed = append(r.completed, rc)
		r.mu.Unlock()
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(rc.RunID)})
	}
	return out, nil
}

// runCompleted returns the Run Completed details published so far.
func (r *eventRecorder) runCompleted() []flow.RunCompleted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flow.RunCompleted(nil), r.completed...)
}
