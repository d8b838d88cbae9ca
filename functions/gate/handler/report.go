package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/smithy-go"

	"github.com/journeygate/journeygate/shared/flow"
	"github.com/journeygate/journeygate/shared/gate"
)

// CodeDeployAPI is the part of the CodeDeploy client the gate uses.
type CodeDeployAPI interface {
	// PutLifecycleEventHookExecutionStatus reports a hook's status.
	PutLifecycleEventHookExecutionStatus(ctx context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, optFns ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error)
}

// CodePipelineAPI is the part of the CodePipeline client the gate uses.
type CodePipelineAPI interface {
	// PutJobSuccessResult reports a job succeeded.
	PutJobSuccessResult(ctx context.Context, in *codepipeline.PutJobSuccessResultInput, optFns ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error)
	// PutJobFailureResult reports a job failed.
	PutJobFailureResult(ctx context.Context, in *codepipeline.PutJobFailureResultInput, optFns ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error)
}

var (
	_ CodeDeployAPI   = (*codedeploy.Client)(nil)
	_ CodePipelineAPI = (*codepipeline.Client)(nil)
)

// Report retry defaults: attempts in all, and the first backoff (doubling,
// capped at maxReportBackoff).
const (
	DefaultReportAttempts = 5
	DefaultReportBackoff  = 500 * time.Millisecond
	maxReportBackoff      = 8 * time.Second
)

// CodePipeline's limits on what a job result carries.
const (
	// MaxPipelineMessage bounds a PutJobFailureResult message.
	MaxPipelineMessage = 5000
	// MaxPipelineSummary bounds a PutJobSuccessResult summary.
	MaxPipelineSummary = 2048
	// maxExternalID bounds ExternalExecutionId.
	maxExternalID = 1500
)

// throttleCodes are the error codes that mean "slow down".
var throttleCodes = map[string]bool{
	"ThrottlingException":      true,
	"Throttling":               true,
	"TooManyRequestsException": true,
	"RequestLimitExceeded":     true,
	"ThrottledException":       true,
	"SlowDown":                 true,
}

// reporter sends a verdict to the deployment that waits for it.
type reporter struct {
	cd       CodeDeployAPI
	cp       CodePipelineAPI
	attempts int
	base     time.Duration
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
}

// report sends verdict where in's trigger says; it returns true when the
// deployment already had a status, which counts as done.
func (r *reporter) report(ctx context.Context, in flow.Input, v gate.Verdict) (already bool, err error) {
	return r.reportWith(ctx, in, v, nil)
}

// reportWith is report with the location of the run's HTML report, if one
// was written, in the CodePipeline failure message.
func (r *reporter) reportWith(ctx context.Context, in flow.Input, v gate.Verdict, loc *ReportLocation) (already bool, err error) {
	status := string(v.Status)
	if v.Status != gate.Succeeded {
		status = string(gate.Failed) // anything but a clear pass fails
	}
	t := in.Trigger
	switch t.Type {
	case flow.TriggerCodeDeploy:
		cdStatus := cdtypes.LifecycleEventStatusFailed
		if status == string(gate.Succeeded) {
			cdStatus = cdtypes.LifecycleEventStatusSucceeded
		}
		err = r.retry(ctx, "CodeDeploy", func() error {
			_, err := r.cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
				DeploymentId:                  aws.String(t.DeploymentID),
				LifecycleEventHookExecutionId: aws.String(t.LifecycleEventHookExecutionID),
				Status:                        cdStatus,
			})
			return err
		})
		var done *cdtypes.LifecycleEventAlreadyCompletedException
		if errors.As(err, &done) {
			return true, nil
		}
		if err != nil {
			return false, &ReportError{Target: "CodeDeploy deployment " + t.DeploymentID, Status: status, Err: err}
		}
		return false, nil
	case flow.TriggerCodePipeline:
		externalID := aws.String(flow.Bound(in.RunID, maxExternalID))
		err = r.retry(ctx, "CodePipeline", func() error {
			if status == string(gate.Succeeded) {
				_, err := r.cp.PutJobSuccessResult(ctx, &codepipeline.PutJobSuccessResultInput{
					JobId: aws.String(t.JobID),
					ExecutionDetails: &cptypes.ExecutionDetails{
						ExternalExecutionId: externalID,
						Summary:             aws.String(flow.Bound(v.Summary, MaxPipelineSummary)),
					},
				})
				return err
			}
			_, err := r.cp.PutJobFailureResult(ctx, &codepipeline.PutJobFailureResultInput{
				JobId: aws.String(t.JobID),
				FailureDetails: &cptypes.FailureDetails{
					Type:                cptypes.FailureTypeJobFailed,
					Message:             aws.String(pipelineMessage(in.RunID, v, loc)),
					ExternalExecutionId: externalID,
				},
			})
			return err
		})
		var done *cptypes.InvalidJobStateException
		if errors.As(err, &done) {
			return true, nil
		}
		if err != nil {
			return false, &ReportError{Target: "CodePipeline job " + t.JobID, Status: status, Err: err}
		}
		return false, nil
	default:
		return false, nil
	}
}

// retry calls fn until it succeeds, fails with anything but throttling, or
// the attempts run out.
func (r *reporter) retry(ctx context.Context, what string, fn func() error) error {
	wait := r.base
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !throttled(err) || attempt >= r.attempts {
			return err
		}
		r.log.Warn("report throttled; retrying", "to", what, "attempt", attempt, "wait", wait, "err", err)
		if serr := r.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (gave up waiting: %v)", err, serr)
		}
		wait = min(2*wait, maxReportBackoff)
	}
}

// throttled reports whether err asks the caller to slow down.
func throttled(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && throttleCodes[ae.ErrorCode()]
}

// PipelineMessage is the failure message CodePipeline shows: the run, the
// command that shows it with its evidence (first, so no cut loses it) and
// the verdict's explanation (journey, step, outcome, timing, message),
// bounded to MaxPipelineMessage characters.
func PipelineMessage(runID string, v gate.Verdict) string {
	return flow.Bound("journeygate run "+runID+" (evidence: "+flow.InspectCommand(runID)+"): "+v.Explain(), MaxPipelineMessage)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
