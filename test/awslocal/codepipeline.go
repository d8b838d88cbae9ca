package awslocal

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
)

// CodePipelineTarget is the X-Amz-Target prefix of the CodePipeline API.
const CodePipelineTarget = "CodePipeline_20150709."

// AccountID is the account every local resource belongs to.
const AccountID = "123456789012"

// Job is a CodePipeline job for a Lambda invoke action.
type Job struct {
	Pipeline string
	Stage    string
	Action   string
	// FunctionName and UserParameters make up the action configuration.
	FunctionName   string
	UserParameters string
	// PipelineExecutionID defaults to "exec-" + the job ID.
	PipelineExecutionID string
}

// JobResult is one accepted PutJobSuccessResult or PutJobFailureResult.
type JobResult struct {
	JobID   string
	Success bool
	// Summary is executionDetails.summary of a success.
	Summary string
	// FailureType and Message are failureDetails of a failure.
	FailureType string
	Message     string
	// ExternalExecutionID is from executionDetails or failureDetails.
	ExternalExecutionID string
	// OutputVariables of a success.
	OutputVariables map[string]string
	// ContinuationToken of a success that is not final: the action is
	// still going, and CodePipeline invokes it again, as a new job, with
	// this token.
	ContinuationToken string
}

// Final reports whether r ends its action (not a continuation).
func (r JobResult) Final() bool { return r.ContinuationToken == "" }

// CodePipeline is a local CodePipeline endpoint.
type CodePipeline struct {
	*endpoint
	jobs    map[string]Job
	results []JobResult
}

// StartCodePipeline starts a CodePipeline endpoint on a free loopback port,
// stopped when t ends. It serves PutJobSuccessResult, PutJobFailureResult
// and GetJobDetails.
func StartCodePipeline(t testing.TB) *CodePipeline {
	t.Helper()
	cp := &CodePipeline{jobs: map[string]Job{}}
	cp.endpoint = startEndpoint(t, CodePipelineTarget, map[string]operation{
		"PutJobSuccessResult": cp.putSuccess,
		"PutJobFailureResult": cp.putFailure,
		"GetJobDetails":       cp.getJobDetails,
	})
	return cp
}

// URL is the endpoint's base URL.
func (cp *CodePipeline) URL() string { return cp.srv.URL }

// AddJob makes job id known; results for unknown jobs answer
// JobNotFoundException.
func (cp *CodePipeline) AddJob(id string, j Job) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.jobs[id] = j
}

// FinalReports returns the accepted results that end an action, in order.
func (cp *CodePipeline) FinalReports() []JobResult {
	var out []JobResult
	for _, r := range cp.Reports() {
		if r.Final() {
			out = append(out, r)
		}
	}
	return out
}

// Reports returns the accepted job results, in order, continuations
// included.
func (cp *CodePipeline) Reports() []JobResult {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if len(cp.results) == 0 {
		return nil
	}
	out := make([]JobResult, len(cp.results))
	for i, r := range cp.results {
		r.OutputVariables = maps.Clone(r.OutputVariables)
		out[i] = r
	}
	return out
}

// Requests returns every call received, rejected ones included.
func (cp *CodePipeline) Requests() []Request { return cp.log() }

// ThrottleNext makes the next n calls answer ThrottlingException.
func (cp *CodePipeline) ThrottleNext(n int) { cp.failNext(n, "ThrottlingException", "Rate exceeded") }

// FailNext makes the next n calls answer the error code.
func (cp *CodePipeline) FailNext(n int, code, message string) { cp.failNext(n, code, message) }

// Config returns an aws.Config for this endpoint.
func (cp *CodePipeline) Config() aws.Config { return cp.awsConfig() }

// Client returns a real CodePipeline client pointed at this endpoint.
func (cp *CodePipeline) Client(optFns ...func(*codepipeline.Options)) *codepipeline.Client {
	return codepipeline.NewFromConfig(cp.awsConfig(), optFns...)
}

var failureTypes = []string{"JobFailed", "ConfigurationError", "PermissionError", "RevisionOutOfSync", "RevisionUnavailable", "SystemUnavailable"}

func (cp *CodePipeline) job(id string) (Job, *apiError) {
	if id == "" {
		return Job{}, newError("ValidationException", "1 validation error detected: Value at 'jobId' failed to satisfy constraint: Member must not be null")
	}
	j, ok := cp.jobs[id]
	if !ok {
		return Job{}, newError("JobNotFoundException", fmt.Sprintf("Job %s not found", id))
	}
	return j, nil
}

// complete records r unless the job already has a result.
func (cp *CodePipeline) complete(r JobResult) *apiError {
	if _, aerr := cp.job(r.JobID); aerr != nil {
		return aerr
	}
	for _, prev := range cp.results {
		if prev.JobID == r.JobID {
			return newError("InvalidJobStateException", fmt.Sprintf("Job %s is not in a state that accepts a result (already %s)", r.JobID, map[bool]string{true: "Succeeded", false: "Failed"}[prev.Success]))
		}
	}
	cp.results = append(cp.results, r)
	return nil
}

func (cp *CodePipeline) putSuccess(body json.RawMessage) (any, *apiError) {
	var in struct {
		JobID            string `json:"jobId"`
		ExecutionDetails *struct {
			Summary             string `json:"summary"`
			ExternalExecutionID string `json:"externalExecutionId"`
		} `json:"executionDetails"`
		OutputVariables   map[string]string `json:"outputVariables"`
		ContinuationToken string            `json:"continuationToken"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if len(in.ContinuationToken) > 2048 {
		return nil, newError("ValidationException", "continuationToken is longer than 2048")
	}
	r := JobResult{JobID: in.JobID, Success: true, OutputVariables: in.OutputVariables, ContinuationToken: in.ContinuationToken}
	if in.ExecutionDetails != nil {
		if len(in.ExecutionDetails.Summary) > 2048 {
			return nil, newError("ValidationException", "executionDetails.summary is longer than 2048")
		}
		r.Summary, r.ExternalExecutionID = in.ExecutionDetails.Summary, in.ExecutionDetails.ExternalExecutionID
	}
	if aerr := cp.complete(r); aerr != nil {
		return nil, aerr
	}
	return struct{}{}, nil
}

func (cp *CodePipeline) putFailure(body json.RawMessage) (any, *apiError) {
	var in struct {
		JobID          string `json:"jobId"`
		FailureDetails *struct {
			Type                string `json:"type"`
			Message             string `json:"message"`
			ExternalExecutionID string `json:"externalExecutionId"`
		} `json:"failureDetails"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	fd := in.FailureDetails
	switch {
	case fd == nil:
		return nil, newError("ValidationException", "failureDetails is required")
	case !slices.Contains(failureTypes, fd.Type):
		return nil, newError("ValidationException", fmt.Sprintf("failureDetails.type %q is not one of %v", fd.Type, failureTypes))
	case fd.Message == "" || len(fd.Message) > 5000:
		return nil, newError("ValidationException", "failureDetails.message must be 1 to 5000 characters")
	}
	r := JobResult{JobID: in.JobID, FailureType: fd.Type, Message: fd.Message, ExternalExecutionID: fd.ExternalExecutionID}
	if aerr := cp.complete(r); aerr != nil {
		return nil, aerr
	}
	return struct{}{}, nil
}

func (cp *CodePipeline) getJobDetails(body json.RawMessage) (any, *apiError) {
	var in struct {
		JobID string `json:"jobId"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	j, aerr := cp.job(in.JobID)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"jobDetails": map[string]any{
		"id":        in.JobID,
		"accountId": AccountID,
		"data": map[string]any{
			"actionTypeId": map[string]any{"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
			"actionConfiguration": map[string]any{"configuration": map[string]string{
				"FunctionName":   j.FunctionName,
				"UserParameters": j.UserParameters,
			}},
			"pipelineContext": map[string]any{
				"pipelineName":        j.Pipeline,
				"pipelineArn":         "arn:aws:codepipeline:" + Region + ":" + AccountID + ":" + j.Pipeline,
				"pipelineExecutionId": def(j.PipelineExecutionID, "exec-"+in.JobID),
				"stage":               map[string]any{"name": j.Stage},
				"action":              map[string]any{"name": j.Action, "actionExecutionId": "action-" + in.JobID},
			},
			"inputArtifacts":  []any{},
			"outputArtifacts": []any{},
		},
	}}, nil
}
