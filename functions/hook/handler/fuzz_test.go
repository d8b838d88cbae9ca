package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/fuzzcheck"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/trigger"
)

// badEvents are known-bad hook events: not JSON, not objects, shapes
// missing their required fields or with fields of the wrong type.
var badEvents = []string{
	``, `null`, `[]`, `"DeploymentId"`, `{}`, `{"foo":1,"bar\nbaz":2}`, "\xff\xfe{", `{"DeploymentId":`,
	`{"DeploymentId":""}`, `{"DeploymentId":7,"LifecycleEventHookExecutionId":"x"}`,
	`{"LifecycleEventHookExecutionId":"x"}`, `{"DeploymentId":"d-1","LifecycleEventHookExecutionId":null}`,
	`{"CodePipeline.job":null}`, `{"CodePipeline.job":{}}`, `{"CodePipeline.job":{"id":5}}`,
	`{"CodePipeline.job":{"id":"j","data":{"actionConfiguration":{"configuration":{"UserParameters":"{\"tier\":\"bogus\"}"}}}}}`,
	`{"CodePipeline.job":{"id":"j","data":{"actionConfiguration":{"configuration":{"UserParameters":"not json"}}}}}`,
	`{"journeygate":null}`, `{"journeygate":{}}`, `{"journeygate":{"trigger":"schedule"}}`,
	`{"journeygate":{"trigger":"manual","extra":1}}`, `{"journeygate":{"trigger":"%!v"}}`,
	`{"journeygate":{"trigger":"manual","tier":"bogus"}}`, `{"journeygate":{"trigger":"manual","environment":"` + strings.Repeat("e", 300) + `"}}`,
	`{"journeygate":{"trigger":"manual","requestId":"` + strings.Repeat("é/", 100) + `"}}`,
	`{"journeygate":{"trigger":"schedule","scheduledTime":"2026-13-45T99:00:00Z"}}`,
}

// hookSeeds adds the sample events and the known-bad ones.
func hookSeeds(f *testing.F, add func(raw []byte)) {
	for name, b := range fuzzcheck.Samples(f, "events/*.json") {
		if !strings.HasPrefix(name, "events/gate-") && !strings.HasPrefix(name, "events/runner-") {
			add(b)
		}
	}
	for _, s := range badEvents {
		add([]byte(s))
	}
}

// FuzzParse feeds raw events to the hook's recogniser: every event is
// either recognised with its required fields, or rejected with an
// InvalidEventError that says what is wrong and what shapes are accepted.
func FuzzParse(f *testing.F) {
	hookSeeds(f, func(raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := parse(raw)
		if err != nil {
			var inv *InvalidEventError
			if !errors.As(err, &inv) {
				t.Fatalf("rejection %v is a %T, want *InvalidEventError (Step Functions and callers match it)", err, err)
			}
			msg := fuzzcheck.Error(t, err, string(raw))
			fuzzcheck.Mentions(t, msg, "CodeDeploy", "CodePipeline", "request", "want ")
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q as %+v", raw, ev)
		}
		switch ev.kind {
		case kindCodeDeploy:
			if ev.deploy.DeploymentID == "" || ev.deploy.LifecycleEventHookExecutionID == "" {
				t.Fatalf("CodeDeploy event accepted without its IDs: %+v", ev.deploy)
			}
		case kindCodePipeline:
			if ev.pipeline.ID == "" {
				t.Fatal("CodePipeline job accepted without its ID")
			}
		case kindRequest:
			switch trigger.Type(ev.request.Trigger) {
			case trigger.Schedule:
				if ev.request.ScheduledTime == "" {
					t.Fatal("schedule request accepted without scheduledTime")
				}
			case trigger.Manual:
			default:
				t.Fatalf("request accepted with trigger %q", ev.request.Trigger)
			}
		default:
			t.Fatalf("accepted with kind %d", ev.kind)
		}
	})
}

// FuzzPipelineParameters feeds a CodePipeline action's UserParameters: a
// JSON object of known fields, or a rejection naming them.
func FuzzPipelineParameters(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `{"environment":"staging","services":["alertmanager"]}`, `{"tier":"global","journeys":["a","b"]}`,
		`{"environment":1}`, `{"envirnoment":"staging"}`, `[]`, `null`, `{"services":"alertmanager"}`, `{} {}`, "{\"x\n\":1}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pipelineParameters(s)
		if err != nil {
			msg := fuzzcheck.Error(t, err, s)
			fuzzcheck.Mentions(t, msg, "UserParameters")
			return
		}
		if trimmed := strings.TrimSpace(s); trimmed != "" && (!json.Valid([]byte(trimmed)) || !strings.HasPrefix(trimmed, "{")) {
			t.Fatalf("accepted %q (not one JSON object) as %+v", s, p)
		}
	})
}

// FuzzParseAppSpec feeds a revision's AppSpec content, which the hook reads
// for the deployment's functions and target version but never judges: it
// must not panic, and a rejection says it is the AppSpec.
func FuzzParseAppSpec(f *testing.F) {
	for _, s := range []string{
		fuzzAppSpec,
		`{"version":0.0,"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"api","TargetVersion":"2"}}}]}`,
		"Resources:\n  - svc:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:eu-west-1:1:task-definition/api:9\n",
		"Resources: [", "Resources: {a: 1}", "Resources:\n  - fn:\n      Type: [1]\n", "Resources:\n  - fn:\n      Properties: 5\n",
		"a: &a [*a, *a]\nResources: *a\n", "Resources:\n  - \"\":\n      Type: AWS::Lambda::Function\n      Properties:\n        TargetVersion: {x: 1}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		info, err := parseAppSpec(content)
		if err != nil {
			msg := fuzzcheck.Lines(t, err, content)
			fuzzcheck.Mentions(t, msg[0], "AppSpec")
			return
		}
		for _, fn := range info.Functions {
			if strings.ContainsRune(fn, 0) {
				t.Fatalf("function name %q with NUL", fn)
			}
		}
	})
}

const fuzzAppSpec = `version: 0.0
Resources:
  - incidentApi:
      Type: AWS::Lambda::Function
      Properties:
        Name: "incident-api"
        Alias: "live"
        CurrentVersion: "6"
        TargetVersion: 7
`

// fuzzClients are the hook's three clients in one: Step Functions starts
// executions by name, CodeDeploy answers one deployment whose AppSpec the
// fuzzer writes, and both deployment services record Failed reports.
// fault makes one call fail.
type fuzzClients struct {
	mu       sync.Mutex
	appSpec  string
	fault    fuzzFault
	starts   []*sfn.StartExecutionInput
	reports  []string
	lookedUp int
}

type fuzzFault uint8

const (
	faultNone fuzzFault = iota
	faultLookup
	faultNoDeployment
	faultStart
	faultAlreadyStarted
	fuzzFaults
)

func (c *fuzzClients) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.starts = append(c.starts, in)
	switch c.fault {
	case faultStart:
		return nil, errors.New("start refused by the fake")
	case faultAlreadyStarted:
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("exists")}
	}
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:aws:states:eu-west-1:123456789012:execution:jg:" + aws.ToString(in.Name))}, nil
}

func (c *fuzzClients) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookedUp++
	switch c.fault {
	case faultLookup:
		return nil, errors.New("no such deployment")
	case faultNoDeployment:
		return &codedeploy.GetDeploymentOutput{}, nil
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: &cdtypes.DeploymentInfo{
		DeploymentId: in.DeploymentId, ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("group"),
		Revision: &cdtypes.RevisionLocation{AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(c.appSpec)}},
	}}, nil
}

func (c *fuzzClients) ListDeploymentTargets(_ context.Context, in *codedeploy.ListDeploymentTargetsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{"fn:live"}}, nil
}

func (c *fuzzClients) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	return lambdaTarget("AfterAllowTraffic", ""), nil
}

func (c *fuzzClients) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, "codedeploy "+aws.ToString(in.DeploymentId)+" "+string(in.Status))
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{}, nil
}

func (c *fuzzClients) PutJobSuccessResult(_ context.Context, in *codepipeline.PutJobSuccessResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kind := "success"
	if in.ContinuationToken != nil {
		kind = "continue"
	}
	c.reports = append(c.reports, "codepipeline "+aws.ToString(in.JobId)+" "+kind)
	return &codepipeline.PutJobSuccessResultOutput{}, nil
}

func (c *fuzzClients) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: sfntypes.ExecutionStatusRunning}, nil
}

// memRuns is an in-memory Runs that knows no run.
type memRuns struct{}

func (memRuns) GetRun(_ context.Context, id string) (store.RunRecord, error) {
	return store.RunRecord{}, fmt.Errorf("run %q: %w", id, store.ErrNotFound)
}
func (memRuns) MarkReported(context.Context, string, time.Time) error { return store.ErrNotFound }
func (memRuns) PutVerdict(context.Context, string, gate.Verdict, time.Time) error {
	return store.ErrNotFound
}

func (c *fuzzClients) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, "codepipeline "+aws.ToString(in.JobId)+" "+string(in.FailureDetails.Type))
	return &codepipeline.PutJobFailureResultOutput{}, nil
}

// FuzzHandle feeds events through Handle with fake clients, one of whose
// calls may fail: garbage never starts an execution; a deployment event
// either starts its run (a CodePipeline job also gets a continuation
// token) or reports Failed exactly once and returns no error, so Lambda
// retries nothing; a request never reports; a job re-invoked with a token
// starts nothing and gets one answer; a started run has a valid execution
// name and input.
func FuzzHandle(f *testing.F) {
	hookSeeds(f, func(raw []byte) {
		for fault := range fuzzFaults {
			f.Add(raw, fuzzAppSpec, uint8(fault))
		}
	})
	f.Add([]byte(`{"DeploymentId":"d-1","LifecycleEventHookExecutionId":"h"}`), "Resources: [", uint8(faultNone))
	f.Add([]byte(`{"CodePipeline.job":{"id":"j-2","data":{"continuationToken":"cp-j-1"}}}`), "", uint8(faultNone))
	f.Fuzz(func(t *testing.T, raw []byte, appSpec string, fault uint8) {
		c := &fuzzClients{appSpec: appSpec, fault: fuzzFault(fault % uint8(fuzzFaults))}
		h, err := New(Config{StateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:jg", Environment: "staging"}, c, c, c, memRuns{},
			WithNewID(func() string { return "20260115T100000Z-abc123" }))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := h.Handle(context.Background(), raw)
		ev, perr := parse(raw)
		deployment := perr == nil && (ev.kind == kindCodeDeploy || ev.kind == kindCodePipeline)

		var panicked *PanicError
		if errors.As(err, &panicked) {
			t.Fatalf("Handle panicked on %q: %s\n%s", raw, panicked.Value, panicked.Stack)
		}
		switch {
		case perr != nil:
			if err == nil || len(c.starts) > 0 || len(c.reports) > 0 || c.lookedUp > 0 {
				t.Fatalf("garbage %q: err %v, %d starts, reports %v, %d lookups; want rejected untouched", raw, err, len(c.starts), c.reports, c.lookedUp)
			}
		case ev.kind == kindLastResort:
			if len(c.starts) > 0 || len(c.reports) > 1 {
				t.Fatalf("last resort started %d runs, reported %v", len(c.starts), c.reports)
			}
		case ev.kind == kindCodePipeline && ev.pipeline.Data.ContinuationToken != "":
			if err != nil || len(c.starts) > 0 || len(c.reports) != 1 {
				t.Fatalf("re-invoked job: err %v, %d starts, reports %v; want one answer", err, len(c.starts), c.reports)
			}
		case err != nil:
			fuzzcheck.Error(t, err, string(raw), appSpec)
			if deployment {
				t.Fatalf("deployment event failed (%v) though every report is accepted: Lambda would retry it", err)
			}
			if len(c.starts) > 1 || len(c.reports) > 0 {
				t.Fatalf("%d starts, reports %v", len(c.starts), c.reports)
			}
		case resp.FailedReported:
			fuzzcheck.Error(t, errors.New(resp.Reason), string(raw), appSpec)
			if !deployment || len(c.reports) != 1 || !strings.Contains(c.reports[0], "Failed") && !strings.Contains(c.reports[0], "Error") {
				t.Fatalf("FailedReported for %q with reports %v; want one Failed to a deployment", raw, c.reports)
			}
			if len(c.starts) > 1 {
				t.Fatalf("%d starts", len(c.starts))
			}
		default:
			wantReports := 0
			if ev.kind == kindCodePipeline {
				wantReports = 1 // the continuation token
			}
			if len(c.reports) != wantReports || wantReports == 1 && !strings.HasSuffix(c.reports[0], " continue") {
				t.Fatalf("run started, reports %v; want %d continuation", c.reports, wantReports)
			}
			if len(c.starts) != 1 {
				t.Fatalf("Succeeded with %d starts", len(c.starts))
			}
			lookupFailed := c.fault == faultLookup || c.fault == faultNoDeployment
			if c.fault == faultStart || lookupFailed && ev.kind == kindCodeDeploy {
				t.Fatalf("fault %d, yet Handle succeeded: %+v", c.fault, resp)
			}
			if err := trigger.ValidateRunID(resp.RunID); err != nil || aws.ToString(c.starts[0].Name) != resp.RunID {
				t.Fatalf("run ID %q (started %q): %v", resp.RunID, aws.ToString(c.starts[0].Name), err)
			}
			if resp.AlreadyStarted != (c.fault == faultAlreadyStarted) {
				t.Fatalf("AlreadyStarted %t under fault %d", resp.AlreadyStarted, c.fault)
			}
			var in flow.Input
			if err := json.Unmarshal([]byte(aws.ToString(c.starts[0].Input)), &in); err != nil {
				t.Fatalf("execution input: %v", err)
			}
			if err := in.Validate(); err != nil {
				t.Fatalf("started with an invalid input: %v", err)
			}
		}
	})
}
