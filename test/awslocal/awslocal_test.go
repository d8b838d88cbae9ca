package awslocal_test

//lint:file-ignore SA1019 the stand-in serves the deprecated String revision type because older deployments still carry it

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/smithy-go"

	"github.com/journeygate/journeygate/test/awslocal"
)

// noBackoff keeps the SDK's standard retryer (its retryable and throttle
// classification, 3 attempts) without the waits.
func noBackoff(o *retry.StandardOptions) {
	o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCodeDeployGetDeployment(t *testing.T) {
	cd := awslocal.StartCodeDeploy(t)
	cd.AddDeployment("d-LAMBDA", awslocal.Deployment{
		Application: "checkout", Group: "checkout-prod",
		FunctionName: "checkout-api", Alias: "live", CurrentVersion: "6", TargetVersion: "7",
	})
	cd.AddDeployment("d-STRING", awslocal.Deployment{
		Application: "checkout", Group: "checkout-prod", RevisionType: "String", AppSpec: `{"version":0.0}`,
	})
	cd.AddDeployment("d-SERVER", awslocal.Deployment{Application: "legacy", Group: "fleet", ComputePlatform: "Server", Status: "Succeeded"})
	client := cd.Client()

	tests := []struct {
		id        string
		wantErr   any // pointer to the typed error wanted, nil for success
		check     func(t *testing.T, info *cdtypes.DeploymentInfo)
		wantInApp string
	}{
		{id: "d-LAMBDA", check: func(t *testing.T, info *cdtypes.DeploymentInfo) {
			if aws.ToString(info.ApplicationName) != "checkout" || aws.ToString(info.DeploymentGroupName) != "checkout-prod" {
				t.Errorf("application, group = %q, %q", aws.ToString(info.ApplicationName), aws.ToString(info.DeploymentGroupName))
			}
			if info.ComputePlatform != cdtypes.ComputePlatformLambda || info.Status != cdtypes.DeploymentStatusInProgress {
				t.Errorf("platform, status = %s, %s", info.ComputePlatform, info.Status)
			}
			if info.CreateTime == nil || time.Since(*info.CreateTime) > time.Hour {
				t.Errorf("createTime = %v", info.CreateTime)
			}
			rev := info.Revision
			if rev == nil || rev.RevisionType != cdtypes.RevisionLocationTypeAppSpecContent || rev.AppSpecContent == nil {
				t.Fatalf("revision = %+v, want AppSpecContent", rev)
			}
			var spec struct {
				Resources []map[string]struct {
					Type       string
					Properties map[string]string
				}
			}
			if err := json.Unmarshal([]byte(aws.ToString(rev.AppSpecContent.Content)), &spec); err != nil {
				t.Fatalf("appspec: %v", err)
			}
			fn := spec.Resources[0]["checkout-api"]
			if fn.Type != "AWS::Lambda::Function" || fn.Properties["TargetVersion"] != "7" || fn.Properties["CurrentVersion"] != "6" || fn.Properties["Alias"] != "live" {
				t.Errorf("appspec resource = %+v", fn)
			}
		}},
		{id: "d-STRING", check: func(t *testing.T, info *cdtypes.DeploymentInfo) {
			if info.Revision == nil || info.Revision.RevisionType != cdtypes.RevisionLocationTypeString || aws.ToString(info.Revision.String_.Content) != `{"version":0.0}` {
				t.Errorf("revision = %+v, want String with the AppSpec", info.Revision)
			}
		}},
		{id: "d-SERVER", check: func(t *testing.T, info *cdtypes.DeploymentInfo) {
			if info.ComputePlatform != cdtypes.ComputePlatformServer || info.Status != cdtypes.DeploymentStatusSucceeded || info.Revision != nil {
				t.Errorf("platform, status, revision = %s, %s, %+v", info.ComputePlatform, info.Status, info.Revision)
			}
		}},
		{id: "d-UNKNOWN", wantErr: new(*cdtypes.DeploymentDoesNotExistException)},
		{id: "", wantErr: new(*cdtypes.DeploymentIdRequiredException)},
	}
	for _, tt := range tests {
		t.Run("id "+tt.id, func(t *testing.T) {
			out, err := client.GetDeployment(ctx(t), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(tt.id)})
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err = %v, want %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetDeployment: %v", err)
			}
			tt.check(t, out.DeploymentInfo)
		})
	}
}

func TestCodeDeployHookReports(t *testing.T) {
	put := func(c *codedeploy.Client, ctx context.Context, dep, hook string, status cdtypes.LifecycleEventStatus) error {
		_, err := c.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
			DeploymentId: aws.String(dep), LifecycleEventHookExecutionId: aws.String(hook), Status: status,
		})
		return err
	}
	type call struct {
		dep, hook string
		status    cdtypes.LifecycleEventStatus
		throttle  int
		wantErr   any // pointer to a typed error; nil for success
		wantCode  string
	}
	tests := []struct {
		name         string
		calls        []call
		wantReports  []awslocal.HookReport
		wantRequests int
	}{
		{
			name:         "one Succeeded report",
			calls:        []call{{dep: "d-1", hook: "h-1", status: cdtypes.LifecycleEventStatusSucceeded}},
			wantReports:  []awslocal.HookReport{{DeploymentID: "d-1", HookExecutionID: "h-1", Status: "Succeeded"}},
			wantRequests: 1,
		},
		{
			name: "second report for the same hook is LifecycleEventAlreadyCompleted",
			calls: []call{
				{dep: "d-1", hook: "h-1", status: cdtypes.LifecycleEventStatusFailed},
				{dep: "d-1", hook: "h-1", status: cdtypes.LifecycleEventStatusSucceeded, wantErr: new(*cdtypes.LifecycleEventAlreadyCompletedException)},
				{dep: "d-1", hook: "h-2", status: cdtypes.LifecycleEventStatusSucceeded},
			},
			wantReports: []awslocal.HookReport{
				{DeploymentID: "d-1", HookExecutionID: "h-1", Status: "Failed"},
				{DeploymentID: "d-1", HookExecutionID: "h-2", Status: "Succeeded"},
			},
			wantRequests: 3,
		},
		{
			name:         "unknown deployment",
			calls:        []call{{dep: "d-404", hook: "h-1", status: cdtypes.LifecycleEventStatusSucceeded, wantErr: new(*cdtypes.DeploymentDoesNotExistException)}},
			wantRequests: 1,
		},
		{
			name:         "hook ID the deployment does not know",
			calls:        []call{{dep: "d-hooks", hook: "h-other", status: cdtypes.LifecycleEventStatusSucceeded, wantErr: new(*cdtypes.InvalidLifecycleEventHookExecutionIdException)}},
			wantRequests: 1,
		},
		{
			name:         "status other than Succeeded or Failed",
			calls:        []call{{dep: "d-1", hook: "h-1", status: cdtypes.LifecycleEventStatusInProgress, wantErr: new(*cdtypes.InvalidLifecycleEventHookExecutionStatusException)}},
			wantRequests: 1,
		},
		{
			name:         "throttled twice, the SDK retries and the report lands once",
			calls:        []call{{dep: "d-1", hook: "h-1", status: cdtypes.LifecycleEventStatusSucceeded, throttle: 2}},
			wantReports:  []awslocal.HookReport{{DeploymentID: "d-1", HookExecutionID: "h-1", Status: "Succeeded"}},
			wantRequests: 3,
		},
		{
			name:         "throttled beyond the SDK's 3 attempts",
			calls:        []call{{dep: "d-1", hook: "h-1", status: cdtypes.LifecycleEventStatusSucceeded, throttle: 5, wantErr: new(*retry.MaxAttemptsError), wantCode: "ThrottlingException"}},
			wantRequests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cd := awslocal.StartCodeDeploy(t)
			cd.AddDeployment("d-1", awslocal.Deployment{Application: "a", Group: "g"})
			cd.AddDeployment("d-hooks", awslocal.Deployment{Application: "a", Group: "g", HookExecutionIDs: []string{"h-known"}})
			client := cd.Client(func(o *codedeploy.Options) { o.Retryer = retry.NewStandard(noBackoff) })
			for i, c := range tt.calls {
				cd.ThrottleNext(c.throttle)
				err := put(client, ctx(t), c.dep, c.hook, c.status)
				if c.wantErr == nil {
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					continue
				}
				if err == nil || !errors.As(err, c.wantErr) {
					t.Fatalf("call %d: err = %v, want %T", i, err, c.wantErr)
				}
				var apiErr smithy.APIError
				if c.wantCode != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != c.wantCode) {
					t.Errorf("call %d: error code of %v, want %s", i, err, c.wantCode)
				}
			}
			if got := cd.Reports(); !reflect.DeepEqual(got, tt.wantReports) {
				t.Errorf("reports = %+v, want %+v", got, tt.wantReports)
			}
			reqs := cd.Requests()
			if len(reqs) != tt.wantRequests {
				t.Errorf("%d requests, want %d: %+v", len(reqs), tt.wantRequests, reqs)
			}
			for _, r := range reqs {
				if r.Operation != "PutLifecycleEventHookExecutionStatus" {
					t.Errorf("operation = %q", r.Operation)
				}
			}
		})
	}
}

func TestCodeDeployDefaultRetryerRetriesThrottling(t *testing.T) {
	// The client as the gate builds it: no retry options at all.
	cd := awslocal.StartCodeDeploy(t)
	cd.AddDeployment("d-1", awslocal.Deployment{Application: "a", Group: "g"})
	cd.ThrottleNext(1)
	_, err := cd.Client().PutLifecycleEventHookExecutionStatus(ctx(t), &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String("d-1"), LifecycleEventHookExecutionId: aws.String("h-1"), Status: cdtypes.LifecycleEventStatusSucceeded,
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	reqs := cd.Requests()
	if len(reqs) != 2 || reqs[0].ErrorCode != "ThrottlingException" || reqs[1].ErrorCode != "" {
		t.Errorf("requests = %+v, want a throttled one then a success", reqs)
	}
	if n := len(cd.Reports()); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
}

func TestCodePipelineJobResults(t *testing.T) {
	type call struct {
		job      string
		success  bool
		message  string
		ftype    cptypes.FailureType
		throttle int
		wantErr  any
	}
	tests := []struct {
		name         string
		calls        []call
		wantResults  []awslocal.JobResult
		wantRequests int
	}{
		{
			name:         "success with a summary",
			calls:        []call{{job: "job-1", success: true, message: "3/3 journeys passed"}},
			wantResults:  []awslocal.JobResult{{JobID: "job-1", Success: true, Summary: "3/3 journeys passed", ExternalExecutionID: "run-1"}},
			wantRequests: 1,
		},
		{
			name:         "failure naming journey and step",
			calls:        []call{{job: "job-1", message: "checkout: step 2/4 (incident created): timed out", ftype: cptypes.FailureTypeJobFailed}},
			wantResults:  []awslocal.JobResult{{JobID: "job-1", FailureType: "JobFailed", Message: "checkout: step 2/4 (incident created): timed out", ExternalExecutionID: "run-1"}},
			wantRequests: 1,
		},
		{
			name: "second result for the same job is InvalidJobState",
			calls: []call{
				{job: "job-1", message: "broken", ftype: cptypes.FailureTypeJobFailed},
				{job: "job-1", success: true, message: "fine after all", wantErr: new(*cptypes.InvalidJobStateException)},
				{job: "job-1", message: "again", ftype: cptypes.FailureTypeJobFailed, wantErr: new(*cptypes.InvalidJobStateException)},
			},
			wantResults:  []awslocal.JobResult{{JobID: "job-1", FailureType: "JobFailed", Message: "broken", ExternalExecutionID: "run-1"}},
			wantRequests: 3,
		},
		{
			name:         "unknown job",
			calls:        []call{{job: "job-404", success: true, wantErr: new(*cptypes.JobNotFoundException)}},
			wantRequests: 1,
		},
		{
			name:         "failure type outside the enum is a ValidationException",
			calls:        []call{{job: "job-1", message: "x", ftype: cptypes.FailureType("Bogus"), wantErr: new(*cptypes.ValidationException)}},
			wantRequests: 1,
		},
		{
			name:         "throttled once, retried, recorded once",
			calls:        []call{{job: "job-1", success: true, message: "ok", throttle: 1}},
			wantResults:  []awslocal.JobResult{{JobID: "job-1", Success: true, Summary: "ok", ExternalExecutionID: "run-1"}},
			wantRequests: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := awslocal.StartCodePipeline(t)
			cp.AddJob("job-1", awslocal.Job{Pipeline: "shop", Stage: "Verify", Action: "journeygate", FunctionName: "journeygate-hook"})
			client := cp.Client(func(o *codepipeline.Options) { o.Retryer = retry.NewStandard(noBackoff) })
			for i, c := range tt.calls {
				cp.ThrottleNext(c.throttle)
				var err error
				if c.success {
					_, err = client.PutJobSuccessResult(ctx(t), &codepipeline.PutJobSuccessResultInput{
						JobId:            aws.String(c.job),
						ExecutionDetails: &cptypes.ExecutionDetails{Summary: aws.String(c.message), ExternalExecutionId: aws.String("run-1")},
					})
				} else {
					fd := &cptypes.FailureDetails{Type: c.ftype, ExternalExecutionId: aws.String("run-1")}
					if c.message != "" {
						fd.Message = aws.String(c.message)
					}
					_, err = client.PutJobFailureResult(ctx(t), &codepipeline.PutJobFailureResultInput{JobId: aws.String(c.job), FailureDetails: fd})
				}
				if c.wantErr == nil {
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					continue
				}
				if err == nil || !errors.As(err, c.wantErr) {
					t.Fatalf("call %d: err = %v, want %T", i, err, c.wantErr)
				}
			}
			if got := cp.Reports(); !reflect.DeepEqual(got, tt.wantResults) {
				t.Errorf("results = %+v, want %+v", got, tt.wantResults)
			}
			if n := len(cp.Requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestCodePipelineGetJobDetails(t *testing.T) {
	cp := awslocal.StartCodePipeline(t)
	cp.AddJob("job-1", awslocal.Job{Pipeline: "shop", Stage: "Verify", Action: "journeygate", FunctionName: "journeygate-hook", UserParameters: `{"environment":"staging"}`})
	client := cp.Client()
	tests := []struct {
		job     string
		wantErr any
	}{
		{job: "job-1"},
		{job: "job-404", wantErr: new(*cptypes.JobNotFoundException)},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			out, err := client.GetJobDetails(ctx(t), &codepipeline.GetJobDetailsInput{JobId: aws.String(tt.job)})
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err = %v, want %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetJobDetails: %v", err)
			}
			d := out.JobDetails
			pc := d.Data.PipelineContext
			if aws.ToString(d.Id) != "job-1" || aws.ToString(pc.PipelineName) != "shop" || aws.ToString(pc.Stage.Name) != "Verify" || aws.ToString(pc.Action.Name) != "journeygate" {
				t.Errorf("job details = %+v, context %+v", d, pc)
			}
			if got := d.Data.ActionConfiguration.Configuration["UserParameters"]; got != `{"environment":"staging"}` {
				t.Errorf("UserParameters = %q", got)
			}
		})
	}
}

func TestUnknownOperationAndUnsignedRequests(t *testing.T) {
	cd := awslocal.StartCodeDeploy(t)
	// A CodePipeline client aimed at the CodeDeploy endpoint: wrong target.
	cfg := cd.Config()
	_, err := codepipeline.NewFromConfig(cfg).GetJobDetails(ctx(t), &codepipeline.GetJobDetailsInput{JobId: aws.String("j")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
		t.Errorf("err = %v, want UnknownOperationException", err)
	}
	// Anonymous credentials: the request is not signed.
	cfg.Credentials = aws.AnonymousCredentials{}
	_, err = codedeploy.NewFromConfig(cfg).GetDeployment(ctx(t), &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d")})
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorCode(), "MissingAuthenticationToken") {
		t.Errorf("err = %v, want MissingAuthenticationTokenException", err)
	}
}
