package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

var throttle = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}

// fakeCodeDeploy accepts one status per hook execution, like CodeDeploy:
// a second report fails with LifecycleEventAlreadyCompletedException.
type fakeCodeDeploy struct {
	mu        sync.Mutex
	calls     int
	accepted  []string // "deployment:status"
	throttles int      // answer this many calls with ThrottlingException
	err       error
}

func (f *fakeCodeDeploy) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.throttles > 0 {
		f.throttles--
		return nil, throttle
	}
	if f.err != nil {
		return nil, f.err
	}
	if len(f.accepted) > 0 {
		return nil, &cdtypes.LifecycleEventAlreadyCompletedException{Message: aws.String("already completed")}
	}
	f.accepted = append(f.accepted, aws.ToString(in.DeploymentId)+":"+string(in.Status))
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{LifecycleEventHookExecutionId: in.LifecycleEventHookExecutionId}, nil
}

// fakeCodePipeline accepts one result per job, like CodePipeline: a second
// fails with InvalidJobStateException.
type fakeCodePipeline struct {
	mu       sync.Mutex
	calls    int
	accepted []string // "job:success:summary" or "job:failure:message"
}

func (f *fakeCodePipeline) record(job, kind, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.accepted) > 0 {
		return &cptypes.InvalidJobStateException{Message: aws.String("job is not in progress")}
	}
	f.accepted = append(f.accepted, job+":"+kind+":"+text)
	return nil
}

func (f *fakeCodePipeline) PutJobSuccessResult(_ context.Context, in *codepipeline.PutJobSuccessResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	return &codepipeline.PutJobSuccessResultOutput{}, f.record(aws.ToString(in.JobId), "success", aws.ToString(in.ExecutionDetails.Summary))
}

func (f *fakeCodePipeline) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	if in.FailureDetails.Type != cptypes.FailureTypeJobFailed {
		return nil, errors.New("unexpected failure type " + string(in.FailureDetails.Type))
	}
	return &codepipeline.PutJobFailureResultOutput{}, f.record(aws.ToString(in.JobId), "failure", aws.ToString(in.FailureDetails.Message))
}

// fakeEvents records published run-completed events.
type fakeEvents struct {
	mu      sync.Mutex
	details []gatefn.RunCompleted
	err     error
}

func (f *fakeEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, e := range in.Entries {
		if aws.ToString(e.Source) != gatefn.EventSource || aws.ToString(e.DetailType) != gatefn.EventDetailType || aws.ToString(e.EventBusName) != "journeygate-bus" {
			return nil, errors.New("unexpected entry")
		}
		var d gatefn.RunCompleted
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
			return nil, err
		}
		f.details = append(f.details, d)
	}
	return &eventbridge.PutEventsOutput{}, nil
}

type fixture struct {
	store  *embedded.Store
	cd     *fakeCodeDeploy
	cp     *fakeCodePipeline
	events *fakeEvents
	sleeps []time.Duration
	opts   []gatefn.Option // more options for handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{store: st, cd: &fakeCodeDeploy{}, cp: &fakeCodePipeline{}, events: &fakeEvents{}}
}

// handler builds a gate over st (the fixture's store when nil).
func (f *fixture) handler(t *testing.T, st store.Store) lambda.Handler {
	t.Helper()
	if st == nil {
		st = f.store
	}
	opts := append([]gatefn.Option{
		gatefn.WithEvents(f.events, "journeygate-bus"),
		gatefn.WithRetry(3, 100*time.Millisecond, func(_ context.Context, d time.Duration) error {
			f.sleeps = append(f.sleeps, d)
			return nil
		}),
	}, f.opts...)
	h, err := gatefn.New(st, f.cd, f.cp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return lambda.NewHandler(h.Handle)
}

func (f *fixture) invoke(t *testing.T, st store.Store, payload []byte) (flow.GateResponse, error) {
	t.Helper()
	b, err := f.handler(t, st).Invoke(context.Background(), payload)
	if err != nil {
		return flow.GateResponse{}, err
	}
	var r flow.GateResponse
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	return r, nil
}

func event(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeEvent reads an event file as a request, for tests that vary it.
func decodeEvent(t *testing.T, name string) flow.GateRequest {
	t.Helper()
	var r flow.GateRequest
	if err := json.Unmarshal(event(t, name), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func encode(t *testing.T, r flow.GateRequest) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func errorType(err error) string {
	typ := reflect.TypeOf(err)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return typ.Name()
}

func passed(runID, name string) journey.Result {
	return journey.Result{
		RunID: runID, Journey: name, Environment: "staging", Tier: journey.TierGlobal, Mode: journey.ModeEnforce,
		Attempt: 1, StartedAt: time.Now().UTC(), Outcome: journey.Passed,
		Steps: []journey.StepResult{{Name: "alert posted", SLA: 2 * time.Second, Elapsed: 20 * time.Millisecond, Outcome: journey.Passed}},
	}
}

func failedAtStep2(runID, name string) journey.Result {
	r := passed(runID, name)
	r.Outcome = journey.Failed
	r.Message = "step 2/2 (notification delivered): no webhook arrived"
	r.Steps = append(r.Steps, journey.StepResult{Name: "notification delivered", SLA: 10 * time.Second, Elapsed: time.Second, Outcome: journey.Failed, Message: "no webhook arrived"})
	return r
}

// record stores the run of req with results.
func (f *fixture) record(t *testing.T, req flow.GateRequest, results ...journey.Result) {
	t.Helper()
	ctx := context.Background()
	var planned []gate.Planned
	for _, j := range req.Plan.Journeys {
		planned = append(planned, gate.Planned{Name: j.Name, Mode: j.Mode})
	}
	if err := f.store.CreateRun(ctx, store.RunRecord{ID: req.Input.RunID, Environment: req.Input.Environment, Trigger: req.Input.Trigger, StartedAt: time.Now().UTC(), Planned: planned}); err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if err := f.store.PutResult(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCodeDeployVerdicts(t *testing.T) {
	const run = "cd-d-7GW8E5HQ2-001dad003480"
	tests := []struct {
		name        string
		file        string
		mutate      func(*flow.GateRequest)
		results     []journey.Result
		noRun       bool
		wantStatus  string
		wantSummary string
	}{
		{"healthy", "gate-decide.json", nil,
			[]journey.Result{passed(run, "alert-to-notification"), passed(run, "resolve-lifecycle")},
			false, "Succeeded", "Succeeded: 2/2 journeys passed"},
		{"broken journey names journey and step", "gate-decide.json", nil,
			[]journey.Result{passed(run, "alert-to-notification"), failedAtStep2(run, "resolve-lifecycle")},
			false, "Failed", "resolve-lifecycle step 2/2 (notification delivered): failed: no webhook arrived"},
		{"runner crashed", "gate-decide.json", func(r *flow.GateRequest) {
			r.Items[1] = flow.JourneySummary{Journey: "resolve-lifecycle", Outcome: journey.Errored, Error: &flow.TaskError{Error: "Runtime.ExitError", Cause: `{"errorMessage":"panic: nil map","errorType":"string"}`}}
		}, []journey.Result{passed(run, "alert-to-notification")},
			false, "Failed", "run fault: runner for journey resolve-lifecycle failed: Runtime.ExitError: panic: nil map"},
		{"runner timed out after recording a pass", "gate-decide.json", func(r *flow.GateRequest) {
			r.Items[0] = flow.JourneySummary{Journey: "alert-to-notification", Outcome: journey.Errored, Error: &flow.TaskError{Error: "States.Timeout"}}
		}, []journey.Result{passed(run, "alert-to-notification"), passed(run, "resolve-lifecycle")},
			false, "Failed", "runner for journey alert-to-notification failed: States.Timeout"},
		{"missing result", "gate-decide.json", nil,
			[]journey.Result{passed(run, "alert-to-notification")},
			false, "Failed", "resolve-lifecycle: error: no result recorded"},
		{"forced failure before the run was recorded", "gate-forced-failure.json", nil, nil,
			true, "Failed", "orchestration failed before the gate: StoreError: recording run cd-d-7GW8E5HQ2-001dad003480: operation error DynamoDB: PutItem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req := decodeEvent(t, tt.file)
			if tt.mutate != nil {
				tt.mutate(&req)
			}
			if !tt.noRun {
				f.record(t, req, tt.results...)
			}
			resp, err := f.invoke(t, nil, encode(t, req))
			if err != nil {
				t.Fatalf("gate: %v", err)
			}
			if resp.Status != tt.wantStatus || !strings.Contains(resp.Summary, tt.wantSummary) || resp.Reported != "codedeploy" || resp.RunID != run {
				t.Errorf("response %+v, want %s with summary containing %q", resp, tt.wantStatus, tt.wantSummary)
			}
			if want := []string{"d-7GW8E5HQ2:" + tt.wantStatus}; !slices.Equal(f.cd.accepted, want) || f.cd.calls != 1 {
				t.Errorf("CodeDeploy got %v in %d calls, want exactly %v", f.cd.accepted, f.cd.calls, want)
			}
			rec, err := f.store.GetRun(context.Background(), run)
			if err != nil || rec.Verdict == nil || string(rec.Verdict.Status) != tt.wantStatus {
				t.Errorf("recorded verdict %+v (%v), want %s", rec.Verdict, err, tt.wantStatus)
			}
			if len(f.events.details) != 1 || f.events.details[0].Status != tt.wantStatus || f.events.details[0].RunID != run || f.events.details[0].Reported != "codedeploy" {
				t.Errorf("events %+v, want one run-completed event", f.events.details)
			}
			if len(f.cp.accepted) != 0 {
				t.Errorf("CodePipeline got %v for a CodeDeploy run", f.cp.accepted)
			}
		})
	}
}

// TestAlreadyDecided: a retried gate reports the recorded verdict, never a
// new decision, and a report CodeDeploy already has counts as done.
func TestAlreadyDecided(t *testing.T) {
	f := newFixture(t)
	req := decodeEvent(t, "gate-decide.json")
	run := req.Input.RunID
	f.record(t, req, passed(run, "alert-to-notification"), failedAtStep2(run, "resolve-lifecycle"))
	first, err := f.invoke(t, nil, encode(t, req))
	if err != nil || first.Status != "Failed" || first.AlreadyDecided {
		t.Fatalf("first: %+v %v", first, err)
	}
	// A later passing attempt must not turn the recorded verdict around.
	later := passed(run, "resolve-lifecycle")
	later.Attempt = 2
	if err := f.store.PutResult(context.Background(), later); err != nil {
		t.Fatal(err)
	}
	again, err := f.invoke(t, nil, encode(t, req))
	if err != nil {
		t.Fatalf("retried gate: %v", err)
	}
	if again.Status != "Failed" || !again.AlreadyDecided || !again.AlreadyReported || again.Summary != first.Summary {
		t.Errorf("retried gate %+v, want the recorded Failed verdict, already decided and reported", again)
	}
	if want := []string{"d-7GW8E5HQ2:Failed"}; !slices.Equal(f.cd.accepted, want) {
		t.Errorf("CodeDeploy accepted %v, want exactly %v", f.cd.accepted, want)
	}
}

// TestCodePipelineVerdictIsLeftForTheHook: a CodePipeline job was
// answered with a continuation token when its run started, so the gate
// records the verdict and reports nothing to CodePipeline itself: the
// hook answers the job's next invocation from the store.
func TestCodePipelineVerdictIsLeftForTheHook(t *testing.T) {
	const job = "c0d5e8b2-4a7f-4e0b-9d41-6f1b2c3d4e5f"
	f := newFixture(t)
	req := decodeEvent(t, "gate-decide.json")
	req.Input.RunID = "cp-" + job
	req.Input.Trigger = trigger.Trigger{Type: trigger.CodePipeline, JobID: job}
	req.Plan.Journeys = req.Plan.Journeys[:1]
	req.Items = req.Items[:1]
	f.record(t, req, failedAtStep2(req.Input.RunID, "alert-to-notification"))
	resp, err := f.invoke(t, nil, encode(t, req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "Failed" || resp.Reported != gatefn.ReportedByHook || f.cp.calls != 0 || f.cd.calls != 0 {
		t.Fatalf("response %+v, pipeline calls %d, codedeploy calls %d; want Failed left for the hook", resp, f.cp.calls, f.cd.calls)
	}
	rec, err := f.store.GetRun(t.Context(), req.Input.RunID)
	if err != nil || rec.Verdict == nil || rec.Verdict.Status != gate.Failed {
		t.Fatalf("recorded run %+v, %v: want the Failed verdict for the hook to answer from", rec, err)
	}
}

// TestLateReport: CodeDeploy answers "already completed" for a run that
// never reported (the hook timed out, or a person stopped it): the gate
// logs a late report and counts it, never "verdict reported"; a redelivery
// after a real report is "already reported" and not late.
func TestLateReport(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	f.opts = append(f.opts, gatefn.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	var emf strings.Builder
	f.opts = append(f.opts, gatefn.WithMetrics(&metrics.Emitter{W: &emf}))
	f.cd.accepted = []string{"d-7GW8E5HQ2:Failed (by its timeout)"}
	req := decodeEvent(t, "gate-decide.json")
	f.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	resp, err := f.invoke(t, nil, encode(t, req))
	if err != nil {
		t.Fatal(err)
	}
	if !resp.AlreadyReported {
		t.Errorf("response %+v: want already reported", resp)
	}
	if !strings.Contains(logs.String(), `"msg":"late report`) || strings.Contains(logs.String(), `"msg":"verdict reported"`) {
		t.Errorf("logs do not say late report (or say verdict reported):\n%s", logs.String())
	}
	if !strings.Contains(emf.String(), `"LateReports":1`) {
		t.Errorf("no LateReports metric:\n%s", emf.String())
	}

	// The same run's redelivery after a real report is not late.
	g := newFixture(t)
	var glogs strings.Builder
	g.opts = append(g.opts, gatefn.WithLogger(slog.New(slog.NewJSONHandler(&glogs, nil))))
	g.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	for range 2 {
		if _, err := g.invoke(t, nil, encode(t, req)); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(glogs.String(), "late report") || len(g.cd.accepted) != 1 {
		t.Errorf("a redelivery after a real report is not late; accepted %v, logs:\n%s", g.cd.accepted, glogs.String())
	}
	if rec, err := g.store.GetRun(t.Context(), req.Input.RunID); err != nil || rec.ReportedAt.IsZero() {
		t.Errorf("run %+v, %v: want ReportedAt set after the report", rec, err)
	}
}

func TestScheduleReportsNowhere(t *testing.T) {
	f := newFixture(t)
	req := decodeEvent(t, "gate-decide.json")
	req.Input.RunID = "sched-staging-20260115T100000Z"
	req.Input.Trigger = trigger.Trigger{Type: trigger.Schedule, Source: "hourly"}
	f.record(t, req, failedAtStep2(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	resp, err := f.invoke(t, nil, encode(t, req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "Failed" || resp.Reported != "none" || f.cd.calls+f.cp.calls != 0 {
		t.Errorf("response %+v; codedeploy %d, pipeline %d calls; want Failed reported nowhere", resp, f.cd.calls, f.cp.calls)
	}
	if len(f.events.details) != 1 || f.events.details[0].Blocking != 1 || len(f.events.details[0].Reasons) != 1 {
		t.Errorf("event %+v, want the verdict with its reason", f.events.details)
	}
}

func TestThrottledReportsAreRetried(t *testing.T) {
	tests := []struct {
		name       string
		throttles  int
		wantErr    bool
		wantSleeps []time.Duration
	}{
		{"recovers", 2, false, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{"gives up after the attempts", 10, true, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.cd.throttles = tt.throttles
			req := decodeEvent(t, "gate-decide.json")
			f.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
			_, err := f.invoke(t, nil, encode(t, req))
			if tt.wantErr {
				if err == nil || errorType(err) != "ReportError" || !strings.Contains(err.Error(), "ThrottlingException") {
					t.Fatalf("err = %v, want ReportError", err)
				}
				if len(f.events.details) != 1 || f.events.details[0].ReportError == "" {
					t.Errorf("event %+v, want the report error published", f.events.details)
				}
			} else if err != nil || !slices.Equal(f.cd.accepted, []string{"d-7GW8E5HQ2:Succeeded"}) {
				t.Fatalf("err %v, accepted %v", err, f.cd.accepted)
			}
			if !slices.Equal(f.sleeps, tt.wantSleeps) {
				t.Errorf("slept %v, want %v", f.sleeps, tt.wantSleeps)
			}
		})
	}
}

// brokenStore fails or panics where told.
type brokenStore struct {
	store.Store
	getRun     error
	putVerdict error
	panics     bool
}

func (b brokenStore) GetRun(ctx context.Context, id string) (store.RunRecord, error) {
	if b.panics {
		panic("store exploded")
	}
	if b.getRun != nil {
		return store.RunRecord{}, b.getRun
	}
	return b.Store.GetRun(ctx, id)
}

func (b brokenStore) PutVerdict(ctx context.Context, id string, v gate.Verdict, at time.Time) error {
	if b.putVerdict != nil {
		return b.putVerdict
	}
	return b.Store.PutVerdict(ctx, id, v, at)
}

func TestStoreFaultsFailClosed(t *testing.T) {
	tests := []struct {
		name     string
		broken   func(store.Store) store.Store
		wantType string // "" = no error
		want     string
	}{
		{"unreadable run", func(s store.Store) store.Store {
			return brokenStore{Store: s, getRun: errors.New("ProvisionedThroughputExceeded")}
		},
			"", "reading the run's results: ProvisionedThroughputExceeded"},
		{"verdict not recordable", func(s store.Store) store.Store {
			return brokenStore{Store: s, putVerdict: errors.New("ConditionalCheckFailed? no: AccessDenied")}
		}, "", "recording the verdict: "},
		{"store panics", func(s store.Store) store.Store { return brokenStore{Store: s, panics: true} },
			"PanicError", "store exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req := decodeEvent(t, "gate-decide.json")
			f.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
			resp, err := f.invoke(t, tt.broken(f.store), encode(t, req))
			switch {
			case tt.wantType == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantType != "" && (err == nil || errorType(err) != tt.wantType || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %s mentioning %q", err, tt.wantType, tt.want)
			case tt.wantType == "" && (resp.Status != "Failed" || !strings.Contains(resp.Summary, tt.want)):
				t.Errorf("response %+v, want Failed mentioning %q", resp, tt.want)
			}
			if want := []string{"d-7GW8E5HQ2:Failed"}; !slices.Equal(f.cd.accepted, want) {
				t.Errorf("CodeDeploy accepted %v, want %v: every fault must still report Failed", f.cd.accepted, want)
			}
		})
	}
}

func TestInvalidRequests(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*flow.GateRequest)
		want   string
	}{
		{"codedeploy without ids", func(r *flow.GateRequest) { r.Input.Trigger.LifecycleEventHookExecutionID = "" }, "nowhere to report"},
		{"pipeline without job", func(r *flow.GateRequest) { r.Input.Trigger = trigger.Trigger{Type: trigger.CodePipeline} }, "without jobId"},
		{"unknown trigger", func(r *flow.GateRequest) { r.Input.Trigger.Type = "cron" }, `trigger type "cron"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req := decodeEvent(t, "gate-decide.json")
			tt.mutate(&req)
			_, err := f.invoke(t, nil, encode(t, req))
			if err == nil || errorType(err) != "InvalidRequestError" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want InvalidRequestError mentioning %q", err, tt.want)
			}
			if f.cd.calls+f.cp.calls != 0 {
				t.Error("an invalid request reported something")
			}
		})
	}
}

func TestBadRunIDStillReportsFailed(t *testing.T) {
	f := newFixture(t)
	req := decodeEvent(t, "gate-decide.json")
	req.Input.RunID = "not a run id"
	resp, err := f.invoke(t, nil, encode(t, req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "Failed" || !strings.Contains(resp.Summary, "cannot read the run") || !slices.Equal(f.cd.accepted, []string{"d-7GW8E5HQ2:Failed"}) {
		t.Errorf("response %+v, accepted %v", resp, f.cd.accepted)
	}
}

func TestPublishFailureKeepsTheVerdict(t *testing.T) {
	f := newFixture(t)
	f.events.err = errors.New("AccessDeniedException")
	req := decodeEvent(t, "gate-decide.json")
	f.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	resp, err := f.invoke(t, nil, encode(t, req))
	if err != nil || resp.Status != "Succeeded" || !slices.Equal(f.cd.accepted, []string{"d-7GW8E5HQ2:Succeeded"}) {
		t.Fatalf("response %+v, err %v, accepted %v", resp, err, f.cd.accepted)
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	_, err := gatefn.New(nil, nil, nil)
	for _, want := range []string{"no store", "no CodeDeploy client", "no CodePipeline client"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}

// TestShortInvocationStillDecides: the reporting reserve shrinks with a
// short function timeout instead of starving the store reads.
func TestShortInvocationStillDecides(t *testing.T) {
	f := newFixture(t)
	req := decodeEvent(t, "gate-decide.json")
	f.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	b, err := f.handler(t, nil).Invoke(ctx, encode(t, req))
	if err != nil {
		t.Fatal(err)
	}
	var resp flow.GateResponse
	if err := json.Unmarshal(b, &resp); err != nil || resp.Status != "Succeeded" {
		t.Fatalf("response %s (%v), want Succeeded within a 3s invocation", b, err)
	}
}

// TestErrorsAreBounded: whatever the gate returns reaches Decide's state
// through the Catch (flow.MaxDecideInput), so a huge panic value or report
// error is cut, its start and end kept.
func TestErrorsAreBounded(t *testing.T) {
	huge := "start " + strings.Repeat("x", 1<<20) + " end"
	for name, err := range map[string]error{
		"panic":  &gatefn.PanicError{Value: huge},
		"report": &reporter.ReportError{Target: "CodeDeploy deployment d-1", Status: "Failed", Attempts: 5, Err: errors.New(huge)},
	} {
		msg := err.Error()
		if len(msg) > 2*flow.MaxErrorMessage || !strings.Contains(msg, "start ") || !strings.Contains(msg, " end") {
			t.Errorf("%s: %d bytes (%.80q…); want at most %d, start and end kept", name, len(msg), msg, 2*flow.MaxErrorMessage)
		}
	}
}
