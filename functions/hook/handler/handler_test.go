package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	hook "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

const stateMachine = "arn:aws:states:eu-west-1:123456789012:stateMachine:journeygate"

// fakeSFN behaves like Step Functions' StartExecution for names: a second
// start of a name fails with ExecutionAlreadyExists.
type fakeSFN struct {
	mu      sync.Mutex
	started map[string]flow.Input
	calls   int
	err     error
	panic   bool
	// status answers DescribeExecution for started runs (default RUNNING).
	status sfntypes.ExecutionStatus
}

func (f *fakeSFN) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.ExecutionArn)
	name := arn[strings.LastIndex(arn, ":")+1:]
	if _, ok := f.started[name]; !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no " + arn)}
	}
	status := f.status
	if status == "" {
		status = sfntypes.ExecutionStatusRunning
	}
	out := &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: status}
	if status == sfntypes.ExecutionStatusFailed {
		out.Error, out.Cause = aws.String("VerdictUnreported"), aws.String("the gate and the last resort both failed to report")
	}
	return out, nil
}

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.panic {
		panic("sfn client exploded")
	}
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.StateMachineArn) != stateMachine {
		return nil, errors.New("wrong state machine " + aws.ToString(in.StateMachineArn))
	}
	name := aws.ToString(in.Name)
	if _, ok := f.started[name]; ok {
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists: " + name)}
	}
	var input flow.Input
	if err := json.Unmarshal([]byte(aws.ToString(in.Input)), &input); err != nil {
		return nil, err
	}
	if f.started == nil {
		f.started = map[string]flow.Input{}
	}
	f.started[name] = input
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:aws:states:eu-west-1:123456789012:execution:journeygate:" + name)}, nil
}

// fakeCodeDeploy answers GetDeployment and records status reports.
type fakeCodeDeploy struct {
	mu       sync.Mutex
	info     *cdtypes.DeploymentInfo
	err      error
	putErr   error
	statuses []string
	// stage is the lifecycle event in progress (default AfterAllowTraffic)
	// and version the Lambda target's version GetDeploymentTarget gives.
	stage, version string
	targetErr      error
}

func (f *fakeCodeDeploy) ListDeploymentTargets(_ context.Context, in *codedeploy.ListDeploymentTargetsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{"fn:live"}}, nil
}

func (f *fakeCodeDeploy) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	if f.targetErr != nil {
		return nil, f.targetErr
	}
	stage := f.stage
	if stage == "" {
		stage = "AfterAllowTraffic"
	}
	return hook.LambdaTarget(stage, f.version), nil
}

func (f *fakeCodeDeploy) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	info := *f.info
	info.DeploymentId = in.DeploymentId
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: &info}, nil
}

func (f *fakeCodeDeploy) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return nil, f.putErr
	}
	f.statuses = append(f.statuses, aws.ToString(in.DeploymentId)+":"+string(in.Status))
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{LifecycleEventHookExecutionId: in.LifecycleEventHookExecutionId}, nil
}

// fakeCodePipeline records results like CodePipeline: one per job, a
// second is InvalidJobStateException.
type fakeCodePipeline struct {
	mu        sync.Mutex
	failures  []string // "job: message"
	types     []cptypes.FailureType
	success   []string // "job: summary"
	continued []string // "job: token"
	done      map[string]bool
}

func (f *fakeCodePipeline) settle(job string) error {
	if f.done == nil {
		f.done = map[string]bool{}
	}
	if f.done[job] {
		return &cptypes.InvalidJobStateException{Message: aws.String("job " + job + " is not in progress")}
	}
	f.done[job] = true
	return nil
}

func (f *fakeCodePipeline) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.settle(aws.ToString(in.JobId)); err != nil {
		return nil, err
	}
	f.failures = append(f.failures, aws.ToString(in.JobId)+": "+aws.ToString(in.FailureDetails.Message))
	f.types = append(f.types, in.FailureDetails.Type)
	return &codepipeline.PutJobFailureResultOutput{}, nil
}

func (f *fakeCodePipeline) PutJobSuccessResult(_ context.Context, in *codepipeline.PutJobSuccessResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.settle(aws.ToString(in.JobId)); err != nil {
		return nil, err
	}
	if in.ContinuationToken != nil {
		f.continued = append(f.continued, aws.ToString(in.JobId)+": "+aws.ToString(in.ContinuationToken))
	} else {
		f.success = append(f.success, aws.ToString(in.JobId)+": "+aws.ToString(in.ExecutionDetails.Summary))
	}
	return &codepipeline.PutJobSuccessResultOutput{}, nil
}

const lambdaAppSpec = `version: 0.0
Resources:
  - incidentApi:
      Type: AWS::Lambda::Function
      Properties:
        Name: "incident-api"
        Alias: "live"
        CurrentVersion: "6"
        TargetVersion: 7
Hooks:
  - BeforeAllowTraffic: "journeygate-hook"
`

type fixture struct {
	sfn  *fakeSFN
	cd   *fakeCodeDeploy
	cp   *fakeCodePipeline
	runs *embedded.Store
	lh   lambda.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		sfn: &fakeSFN{},
		cd: &fakeCodeDeploy{info: &cdtypes.DeploymentInfo{
			ApplicationName:     aws.String("incident-pipeline"),
			DeploymentGroupName: aws.String("incident-api-staging"),
			ComputePlatform:     cdtypes.ComputePlatformLambda,
			Revision: &cdtypes.RevisionLocation{
				RevisionType:   cdtypes.RevisionLocationTypeAppSpecContent,
				AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(lambdaAppSpec)},
			},
		}},
		cp: &fakeCodePipeline{},
	}
	runs, err := embedded.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runs.Close() })
	f.runs = runs
	h, err := hook.New(hook.Config{StateMachineArn: stateMachine, Environment: "staging", Services: []string{"alertmanager"}, ReportBucket: "reports-bucket", Region: "eu-west-1"},
		f.sfn, f.cd, f.cp, runs, hook.WithNewID(func() string { return "20260115T100000Z-abc123" }))
	if err != nil {
		t.Fatal(err)
	}
	f.lh = lambda.NewHandler(h.Handle)
	return f
}

func event(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) invoke(t *testing.T, payload []byte) (hook.Response, error) {
	t.Helper()
	b, err := f.lh.Invoke(context.Background(), payload)
	if err != nil {
		return hook.Response{}, err
	}
	var r hook.Response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	return r, nil
}

func errorType(err error) string {
	typ := reflect.TypeOf(err)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return typ.Name()
}

var validName = regexp.MustCompile(`^[0-9A-Za-z_-]{1,80}$`)

func TestEventFilesStartOneRun(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, r hook.Response, in flow.Input)
	}{
		{"codedeploy-hook.json", func(t *testing.T, r hook.Response, in flow.Input) {
			if !strings.HasPrefix(r.RunID, "cd-d-7GW8E5HQ2-") || r.Trigger != trigger.CodeDeploy {
				t.Errorf("response %+v", r)
			}
			tr := in.Trigger
			if tr.DeploymentID != "d-7GW8E5HQ2" || !strings.HasPrefix(tr.LifecycleEventHookExecutionID, "eyJ") ||
				tr.Application != "incident-pipeline" || tr.DeploymentGroup != "incident-api-staging" || tr.TargetVersion != "7" {
				t.Errorf("trigger %+v: want the deployment's application, group and AppSpec TargetVersion 7", tr)
			}
			if want := []string{"incident-pipeline", "incident-api-staging", "incident-api", "alertmanager"}; !slices.Equal(in.Services, want) {
				t.Errorf("services %v, want %v", in.Services, want)
			}
			if in.Environment != "staging" {
				t.Errorf("environment %q, want the configured staging", in.Environment)
			}
		}},
		{"codepipeline-job.json", func(t *testing.T, r hook.Response, in flow.Input) {
			if r.RunID != "cp-c0d5e8b2-4a7f-4e0b-9d41-6f1b2c3d4e5f" || in.Trigger.JobID != "c0d5e8b2-4a7f-4e0b-9d41-6f1b2c3d4e5f" {
				t.Errorf("response %+v, trigger %+v", r, in.Trigger)
			}
			if !slices.Equal(in.Services, []string{"alertmanager"}) || in.Environment != "staging" {
				t.Errorf("input %+v: want UserParameters' environment and services", in)
			}
		}},
		{"schedule.json", func(t *testing.T, r hook.Response, in flow.Input) {
			if !strings.HasPrefix(r.RunID, "sched-staging-20260115T100000Z-") || in.Tier != "global" || in.Trigger.Type != trigger.Schedule {
				t.Errorf("response %+v, input %+v", r, in)
			}
			if !strings.Contains(in.Trigger.Source, "journeygate-staging-global") {
				t.Errorf("trigger source %q, want the schedule", in.Trigger.Source)
			}
		}},
		{"manual.json", func(t *testing.T, r hook.Response, in flow.Input) {
			if r.RunID != "manual-ops-2026-01-15-incident-drill" || !slices.Equal(in.Journeys, []string{"alert-to-notification", "silence-suppresses"}) {
				t.Errorf("response %+v, input %+v", r, in)
			}
			if in.Trigger.Source != "alice@example.com" {
				t.Errorf("source %q", in.Trigger.Source)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := newFixture(t)
			payload := event(t, tt.file)
			first, err := f.invoke(t, payload)
			if err != nil {
				t.Fatalf("first delivery: %v", err)
			}
			if first.AlreadyStarted || !strings.HasSuffix(first.ExecutionArn, ":"+first.RunID) {
				t.Errorf("first delivery %+v", first)
			}
			if !validName.MatchString(first.RunID) {
				t.Errorf("run ID %q is not a valid execution name", first.RunID)
			}
			// A redelivered event starts no second run and is not an error.
			again, err := f.invoke(t, payload)
			if err != nil {
				t.Fatalf("redelivery: %v", err)
			}
			if !again.AlreadyStarted || again.RunID != first.RunID || again.ExecutionArn != first.ExecutionArn {
				t.Errorf("redelivery %+v, want the same run, already started", again)
			}
			if len(f.sfn.started) != 1 || f.sfn.calls != 2 {
				t.Fatalf("%d executions from %d starts, want 1 from 2", len(f.sfn.started), f.sfn.calls)
			}
			in := f.sfn.started[first.RunID]
			if err := in.Validate(); err != nil {
				t.Errorf("started with an invalid input: %v", err)
			}
			if in.RunID != first.RunID {
				t.Errorf("input runId %q, execution %q: they must be equal", in.RunID, first.RunID)
			}
			tt.check(t, first, in)
			if len(f.cd.statuses) != 0 || len(f.cp.failures) != 0 || len(f.cp.success) != 0 {
				t.Errorf("a started run reports no verdict itself: %v %v %v", f.cd.statuses, f.cp.failures, f.cp.success)
			}
			if in.Trigger.Type == trigger.CodePipeline {
				// The job is answered "in progress" once; the redelivery's
				// second answer meets a settled job and changes nothing.
				if first.Pipeline != hook.PipelineInProgress || !slices.Equal(f.cp.continued, []string{in.Trigger.JobID + ": " + first.RunID}) {
					t.Errorf("response %+v, continuations %v; want one with the run ID as token", first, f.cp.continued)
				}
			} else if len(f.cp.continued) != 0 {
				t.Errorf("continuation tokens for a %s run: %v", in.Trigger.Type, f.cp.continued)
			}
		})
	}
}

// TestCodeDeployStage: the run knows the lifecycle event its hook
// execution serves, and a Lambda deployment's target version, from the
// deployment's target; at BeforeAllowTraffic it tests the new version.
func TestCodeDeployStage(t *testing.T) {
	for _, tt := range []struct {
		stage   string
		traffic trigger.Traffic
	}{{"BeforeAllowTraffic", trigger.Test}, {"AfterAllowTraffic", trigger.Live}} {
		f := newFixture(t)
		f.cd.stage, f.cd.version = tt.stage, "8"
		r, err := f.invoke(t, event(t, "codedeploy-hook.json"))
		if err != nil {
			t.Fatal(err)
		}
		in := f.sfn.started[r.RunID]
		if in.Trigger.Stage != trigger.Stage(tt.stage) || in.Trigger.TargetVersion != "8" || in.Trigger.Traffic() != tt.traffic {
			t.Errorf("%s: trigger %+v, want the stage, version 8 from the target and %s traffic", tt.stage, in.Trigger, tt.traffic)
		}
	}
}

// TestFailsClosed: a deployment whose run cannot start gets Failed, and
// the hook then returns success, so Lambda's asynchronous retries start
// nothing for a job that already failed; a request has nobody to report
// to and returns the error.
func TestFailsClosed(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform states:StartExecution"}
	tests := []struct {
		name       string
		file       string
		breakIt    func(f *fixture)
		wantReason string // "": an error of wantType
		wantType   string
		wantCD     []string
		wantCPFail string
	}{
		{"deployment lookup fails", "codedeploy-hook.json", func(f *fixture) { f.cd.err = errors.New("DeploymentDoesNotExistException") },
			"looking up deployment d-7GW8E5HQ2: DeploymentDoesNotExistException", "", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"lifecycle event unknown", "codedeploy-hook.json", func(f *fixture) {
			f.cd.targetErr = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform codedeploy:GetDeploymentTarget"}
		}, "reading deployment target fn:live: api error AccessDeniedException", "", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"codedeploy run cannot start", "codedeploy-hook.json", func(f *fixture) { f.sfn.err = denied },
			"not authorized to perform states:StartExecution", "", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"codedeploy hook panics", "codedeploy-hook.json", func(f *fixture) { f.sfn.panic = true },
			"hook panicked: sfn client exploded", "", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"pipeline run cannot start", "codepipeline-job.json", func(f *fixture) { f.sfn.err = denied },
			"not authorized", "", nil, "not authorized"},
		{"schedule cannot start reports nowhere", "schedule.json", func(f *fixture) { f.sfn.err = denied },
			"", "StartError", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.breakIt(f)
			resp, err := f.invoke(t, event(t, tt.file))
			if tt.wantReason == "" {
				if err == nil || errorType(err) != tt.wantType {
					t.Fatalf("err = %v, want a %s", err, tt.wantType)
				}
			} else if err != nil || !resp.FailedReported || !strings.Contains(resp.Reason, tt.wantReason) {
				t.Fatalf("response %+v, err %v; want success with Failed reported because %q", resp, err, tt.wantReason)
			}
			if !slices.Equal(f.cd.statuses, tt.wantCD) {
				t.Errorf("CodeDeploy reports %v, want %v", f.cd.statuses, tt.wantCD)
			}
			switch {
			case tt.wantCPFail == "" && len(f.cp.failures) > 0:
				t.Errorf("unexpected CodePipeline failure %v", f.cp.failures)
			case tt.wantCPFail != "" && (len(f.cp.failures) != 1 || !strings.Contains(f.cp.failures[0], tt.wantCPFail)):
				t.Errorf("CodePipeline failures %v, want one mentioning %q", f.cp.failures, tt.wantCPFail)
			}
			if len(f.cp.continued) != 0 {
				t.Errorf("a run that did not start answered the job in progress: %v", f.cp.continued)
			}
		})
	}
}

// TestPipelineParametersAreAConfigurationError: a mistake in the action's
// UserParameters fails the job as CodePipeline's ConfigurationError,
// starts nothing, and returns success.
func TestPipelineParametersAreAConfigurationError(t *testing.T) {
	f := newFixture(t)
	resp, err := f.invoke(t, []byte(`{"CodePipeline.job":{"id":"j-1","data":{"actionConfiguration":{"configuration":{"UserParameters":"staging please"}}}}}`))
	if err != nil || !resp.FailedReported || !strings.Contains(resp.Reason, "UserParameters is not a JSON object") {
		t.Fatalf("response %+v, err %v", resp, err)
	}
	if f.sfn.calls != 0 || len(f.cp.types) != 1 || f.cp.types[0] != cptypes.FailureTypeConfigurationError {
		t.Errorf("%d starts, failure types %v; want none and one ConfigurationError", f.sfn.calls, f.cp.types)
	}
}

func TestRejectsUnrecognisedEvents(t *testing.T) {
	tests := []struct {
		name, payload, want string
		wantPipelineFailure bool
	}{
		{"not an object", `[1,2]`, "not a JSON object", false},
		{"empty object", `{}`, "unrecognised event with keys []", false},
		{"S3 event", `{"Records":[{"eventSource":"aws:s3"}]}`, "unrecognised event with keys [Records]", false},
		{"hook without execution id", `{"DeploymentId":"d-1"}`, "without LifecycleEventHookExecutionId", false},
		{"hook without deployment", `{"LifecycleEventHookExecutionId":"h"}`, "without DeploymentId", false},
		{"job without id", `{"CodePipeline.job":{"accountId":"1"}}`, `"CodePipeline.job".id`, false},
		{"request without trigger", `{"journeygate":{"environment":"staging"}}`, `without "trigger"`, false},
		{"request with unknown trigger", `{"journeygate":{"trigger":"cron"}}`, `trigger "cron"`, false},
		{"schedule without time", `{"journeygate":{"trigger":"schedule"}}`, `without "scheduledTime"`, false},
		{"request with unknown field", `{"journeygate":{"trigger":"manual","journey":"x"}}`, `unknown field "journey"`, false},
		{"request with unknown tier", `{"journeygate":{"trigger":"manual","tier":"gold"}}`, `tier "gold"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.invoke(t, []byte(tt.payload))
			if err == nil || errorType(err) != "InvalidEventError" || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (%T), want InvalidEventError mentioning %q", err, err, tt.want)
			}
			if f.sfn.calls != 0 {
				t.Errorf("a rejected event started %d executions", f.sfn.calls)
			}
			if got := len(f.cp.failures) == 1; got != tt.wantPipelineFailure {
				t.Errorf("pipeline failures %v, want reported: %t", f.cp.failures, tt.wantPipelineFailure)
			}
		})
	}
}

func TestManualWithoutRequestIDGetsFreshRun(t *testing.T) {
	f := newFixture(t)
	r, err := f.invoke(t, []byte(`{"journeygate":{"trigger":"manual"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.RunID != "manual-20260115T100000Z-abc123" || f.sfn.started[r.RunID].Environment != "staging" {
		t.Errorf("run %q input %+v: want a fresh ID and the default environment", r.RunID, f.sfn.started[r.RunID])
	}
}

func TestNewRequiresConfig(t *testing.T) {
	_, err := hook.New(hook.Config{}, nil, nil, nil, nil)
	for _, want := range []string{"no state machine ARN", "no environment", "no Step Functions client", "no CodeDeploy client", "no CodePipeline client", "no store of runs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}

// pipelineJob is a CodePipeline job event, re-invoked with token when
// token is not "".
func pipelineJob(id, token string) []byte {
	data := map[string]any{"actionConfiguration": map[string]any{"configuration": map[string]any{"UserParameters": `{"environment":"staging"}`}}}
	if token != "" {
		data["continuationToken"] = token
	}
	b, _ := json.Marshal(map[string]any{"CodePipeline.job": map[string]any{"id": id, "accountId": "123456789012", "data": data}})
	return b
}

// TestPipelineContinuation: the job that starts a run is answered with
// the run ID as continuation token; each re-invocation (a new job with
// the token) is answered with the token again while the run goes, then
// once with the recorded verdict; a redelivered re-invocation changes
// nothing; a run that ended without a verdict fails the job.
func TestPipelineContinuation(t *testing.T) {
	f := newFixture(t)
	first, err := f.invoke(t, pipelineJob("job-1", ""))
	if err != nil || first.Pipeline != hook.PipelineInProgress {
		t.Fatalf("first job: %+v, %v", first, err)
	}
	run := first.RunID
	again, err := f.invoke(t, pipelineJob("job-2", run))
	if err != nil || again.Pipeline != hook.PipelineInProgress || again.RunID != run {
		t.Fatalf("re-invoked while running: %+v, %v", again, err)
	}
	if !slices.Equal(f.cp.continued, []string{"job-1: " + run, "job-2: " + run}) || f.sfn.calls != 1 {
		t.Fatalf("continuations %v, %d starts; want one per job, one start", f.cp.continued, f.sfn.calls)
	}
	// The gate records the verdict (it ran journeys; here: recorded).
	ctx := t.Context()
	if err := f.runs.CreateRun(ctx, store.RunRecord{ID: run, Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodePipeline, JobID: "job-1"}, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	v := gate.Decide(gate.Input{Planned: []gate.Planned{{Name: "alert-to-notification", Mode: "enforce"}}, Results: []journey.Result{{
		RunID: run, Journey: "alert-to-notification", Outcome: journey.Failed, Mode: "enforce",
		Steps: []journey.StepResult{{Name: "notification delivered", Outcome: journey.Failed, Message: "no webhook arrived"}},
	}}})
	if err := f.runs.PutVerdict(ctx, run, v, time.Now()); err != nil {
		t.Fatal(err)
	}
	final, err := f.invoke(t, pipelineJob("job-3", run))
	if err != nil || final.Pipeline != hook.PipelineFailed || final.FailedReported || final.Late {
		t.Fatalf("re-invoked after the verdict: %+v, %v", final, err)
	}
	if len(f.cp.failures) != 1 || !strings.HasPrefix(f.cp.failures[0], "job-3: journeygate run "+run+" (evidence: journeygate show "+run+"; report: s3://reports-bucket/reports/staging/"+run+".html") ||
		!strings.Contains(f.cp.failures[0], "alert-to-notification") {
		t.Errorf("failures %v, want job-3 failed naming the run, its report and the journey", f.cp.failures)
	}
	if rec, err := f.runs.GetRun(ctx, run); err != nil || rec.ReportedAt.IsZero() {
		t.Errorf("run %+v, %v: want it marked reported", rec, err)
	}
	// Lambda redelivers the same job: already answered, not late.
	redo, err := f.invoke(t, pipelineJob("job-3", run))
	if err != nil || redo.Late || len(f.cp.failures) != 1 {
		t.Errorf("redelivery: %+v, %v, failures %v", redo, err, f.cp.failures)
	}

	// A run whose execution failed without a verdict fails the job.
	g := newFixture(t)
	started, err := g.invoke(t, pipelineJob("job-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	g.sfn.status = sfntypes.ExecutionStatusFailed
	ended, err := g.invoke(t, pipelineJob("job-2", started.RunID))
	if err != nil || ended.Pipeline != hook.PipelineFailed || !ended.FailedReported ||
		len(g.cp.failures) != 1 || !strings.Contains(g.cp.failures[0], "ended (FAILED) without a verdict: VerdictUnreported") {
		t.Errorf("ended run: %+v, %v, failures %v", ended, err, g.cp.failures)
	}
	// A token that names no execution fails the job too.
	bogus, err := g.invoke(t, pipelineJob("job-9", "cp-no-such-run"))
	if err != nil || bogus.Pipeline != hook.PipelineFailed || !strings.Contains(bogus.Reason, "has no execution") {
		t.Errorf("unknown token: %+v, %v", bogus, err)
	}
}

// TestLastResort: the state machine's last resort reports Failed to a
// CodeDeploy hook with the gate's error, records the verdict, and fails
// (so the execution fails and pages) only when the report cannot be made.
func TestLastResort(t *testing.T) {
	in := flow.Input{RunID: "cd-d-1-abc", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}}
	payload := func(in flow.Input) []byte {
		b, _ := json.Marshal(map[string]any{flow.LastResortKey: flow.LastResortRequest{Input: in, Error: &flow.TaskError{Error: "States.Timeout", Cause: "Task timed out after 120.00 seconds"}}})
		return b
	}
	f := newFixture(t)
	if err := f.runs.CreateRun(t.Context(), store.RunRecord{ID: in.RunID, Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodeDeploy}, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	resp, err := f.invoke(t, payload(in))
	if err != nil || !resp.FailedReported || !strings.Contains(resp.Reason, "the gate failed before reporting: States.Timeout: Task timed out") {
		t.Fatalf("response %+v, %v", resp, err)
	}
	if !slices.Equal(f.cd.statuses, []string{"d-1:Failed"}) {
		t.Errorf("CodeDeploy %v, want one Failed", f.cd.statuses)
	}
	rec, err := f.runs.GetRun(t.Context(), in.RunID)
	if err != nil || rec.Verdict == nil || rec.Verdict.Status != gate.Failed || rec.ReportedAt.IsZero() {
		t.Errorf("run %+v, %v: want the Failed verdict recorded and reported", rec, err)
	}

	broken := newFixture(t)
	broken.cd.putErr = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	if _, err := broken.invoke(t, payload(in)); err == nil || errorType(err) != "LastResortError" {
		t.Errorf("err = %v, want a LastResortError so the execution fails", err)
	}

	// A CodePipeline run is answered by the hook's next invocation.
	p := newFixture(t)
	pin := flow.Input{RunID: "cp-job-1", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodePipeline, JobID: "job-1"}}
	if resp, err := p.invoke(t, payload(pin)); err != nil || resp.FailedReported || len(p.cp.failures) != 0 {
		t.Errorf("pipeline last resort: %+v, %v, failures %v; want nothing sent", resp, err, p.cp.failures)
	}
}

// A deployment group listed in DeploymentServices runs exactly its listed
// services' journeys: no guessing from the application, group or function
// names, nor the hook's Services; an unlisted group still falls back to
// them (issue 20 item 5).
func TestDeploymentServicesAreExplicit(t *testing.T) {
	for _, tt := range []struct {
		name   string
		listed map[string][]string
		want   []string
	}{
		{"listed", map[string][]string{"incident-pipeline/incident-api-staging": {"notifier"}}, []string{"notifier"}},
		{"listed as none", map[string][]string{"incident-pipeline/incident-api-staging": {}}, nil},
		{"not listed", map[string][]string{"other-app/other-group": {"notifier"}}, []string{"incident-pipeline", "incident-api-staging", "incident-api", "alertmanager"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			runs, err := embedded.Open(filepath.Join(t.TempDir(), "runs.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { runs.Close() })
			h, err := hook.New(hook.Config{StateMachineArn: stateMachine, Environment: "staging", Services: []string{"alertmanager"}, DeploymentServices: tt.listed},
				f.sfn, f.cd, f.cp, runs)
			if err != nil {
				t.Fatal(err)
			}
			f.lh = lambda.NewHandler(h.Handle)
			r, err := f.invoke(t, event(t, "codedeploy-hook.json"))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.sfn.started[r.RunID].Services; !slices.Equal(got, tt.want) {
				t.Errorf("services %v, want %v", got, tt.want)
			}
		})
	}
}
