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

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	hook "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/shared/flow"
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
	statuses []string
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
	f.statuses = append(f.statuses, aws.ToString(in.DeploymentId)+":"+string(in.Status))
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{LifecycleEventHookExecutionId: in.LifecycleEventHookExecutionId}, nil
}

// fakeCodePipeline records failure reports.
type fakeCodePipeline struct {
	mu       sync.Mutex
	failures []string
}

func (f *fakeCodePipeline) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, aws.ToString(in.JobId)+": "+aws.ToString(in.FailureDetails.Message))
	return &codepipeline.PutJobFailureResultOutput{}, nil
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
	sfn *fakeSFN
	cd  *fakeCodeDeploy
	cp  *fakeCodePipeline
	lh  lambda.Handler
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
	h, err := hook.New(hook.Config{StateMachineArn: stateMachine, Environment: "staging", Services: []string{"alertmanager"}},
		f.sfn, f.cd, f.cp, hook.WithNewID(func() string { return "20260115T100000Z-abc123" }))
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
			if !strings.HasPrefix(r.RunID, "cd-d-7GW8E5HQ2-") || r.Trigger != flow.TriggerCodeDeploy {
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
			if !strings.HasPrefix(r.RunID, "sched-staging-20260115T100000Z-") || in.Tier != "global" || in.Trigger.Type != flow.TriggerSchedule {
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
			if len(f.cd.statuses) != 0 || len(f.cp.failures) != 0 {
				t.Errorf("a started run reports nothing itself: %v %v", f.cd.statuses, f.cp.failures)
			}
		})
	}
}

func TestFailsClosed(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform states:StartExecution"}
	tests := []struct {
		name       string
		file       string
		breakIt    func(f *fixture)
		wantType   string
		wantCD     []string
		wantCPFail string
	}{
		{"deployment lookup fails", "codedeploy-hook.json", func(f *fixture) { f.cd.err = errors.New("DeploymentDoesNotExistException") },
			"LookupError", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"codedeploy run cannot start", "codedeploy-hook.json", func(f *fixture) { f.sfn.err = denied },
			"StartError", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"codedeploy hook panics", "codedeploy-hook.json", func(f *fixture) { f.sfn.panic = true },
			"PanicError", []string{"d-7GW8E5HQ2:Failed"}, ""},
		{"pipeline run cannot start", "codepipeline-job.json", func(f *fixture) { f.sfn.err = denied },
			"StartError", nil, "not authorized"},
		{"schedule cannot start reports nowhere", "schedule.json", func(f *fixture) { f.sfn.err = denied },
			"StartError", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.breakIt(f)
			_, err := f.invoke(t, event(t, tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errorType(err); got != tt.wantType {
				t.Errorf("error type %s (%v), want %s", got, err, tt.wantType)
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
			if tt.wantCD != nil || tt.wantCPFail != "" {
				if !strings.Contains(err.Error(), "Failed reported: true") {
					t.Errorf("error %q should say Failed was reported", err)
				}
			}
		})
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
		{"job with bad parameters", `{"CodePipeline.job":{"id":"j-1","data":{"actionConfiguration":{"configuration":{"UserParameters":"staging please"}}}}}`, "UserParameters is not a JSON object", true},
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

func TestRunID(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name  string
		parts []string
		want  string // exact when not ""
	}{
		{"clean parts kept", []string{"cp", "c0d5e8b2-4a7f"}, "cp-c0d5e8b2-4a7f"},
		{"sanitised and hashed", []string{"manual", "ops drill/1"}, ""},
		{"long cut and hashed", []string{"manual", long}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hook.RunID(tt.parts...)
			if !validName.MatchString(got) {
				t.Fatalf("RunID = %q: not a valid execution name", got)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("RunID = %q, want %q", got, tt.want)
			}
			if again := hook.RunID(tt.parts...); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
		})
	}
	if a, b := hook.RunID("manual", "a/b"), hook.RunID("manual", "a b"); a == b {
		t.Errorf("distinct inputs share a name: %q", a)
	}
	if a, b := hook.RunID("m", long+"1"), hook.RunID("m", long+"2"); a == b {
		t.Errorf("distinct long inputs share a name: %q", a)
	}
}

func TestNewRequiresConfig(t *testing.T) {
	_, err := hook.New(hook.Config{}, nil, nil, nil)
	for _, want := range []string{"no state machine ARN", "no environment", "no Step Functions client", "no CodeDeploy client", "no CodePipeline client"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}
