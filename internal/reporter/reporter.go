package reporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aws/smithy-go"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/trigger"
)

// CodeDeployAPI is the part of the CodeDeploy client a report uses.
type CodeDeployAPI interface {
	// PutLifecycleEventHookExecutionStatus reports a hook's status.
	PutLifecycleEventHookExecutionStatus(ctx context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, optFns ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error)
}

// CodePipelineAPI is the part of the CodePipeline client a report uses.
type CodePipelineAPI interface {
	// PutJobSuccessResult reports a job succeeded (or, with a continuation
	// token, that it is still going).
	PutJobSuccessResult(ctx context.Context, in *codepipeline.PutJobSuccessResultInput, optFns ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error)
	// PutJobFailureResult reports a job failed.
	PutJobFailureResult(ctx context.Context, in *codepipeline.PutJobFailureResultInput, optFns ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error)
}

var (
	_ CodeDeployAPI   = (*codedeploy.Client)(nil)
	_ CodePipelineAPI = (*codepipeline.Client)(nil)
)

// Retry defaults: attempts in all, and the first backoff (doubling, capped
// at MaxBackoff).
const (
	DefaultAttempts = 5
	DefaultBackoff  = 500 * time.Millisecond
	MaxBackoff      = 8 * time.Second
)

// CodePipeline's limits on what a job result carries.
const (
	// MaxPipelineMessage bounds a PutJobFailureResult message.
	MaxPipelineMessage = 5000
	// MaxPipelineSummary bounds a PutJobSuccessResult summary.
	MaxPipelineSummary = 2048
	// MaxExternalID bounds ExternalExecutionId.
	MaxExternalID = 1500
	// MaxContinuationToken bounds a continuation token.
	MaxContinuationToken = 2048
)

// Destinations a verdict goes to, as Destination names them.
const (
	ToCodeDeploy   = "codedeploy"
	ToCodePipeline = "codepipeline"
	// ToECS is an ECS lifecycle hook: nothing is sent; the hook answers
	// ECS's next invocation from the recorded verdict (ECSAnswer).
	ToECS  = "ecs"
	ToNone = "none"
)

// Report is what to send.
type Report struct {
	// RunID names the run (CodePipeline's external execution ID).
	RunID string
	// Trigger says where the report goes.
	Trigger trigger.Trigger
	// Succeeded is the verdict: anything but true reports Failed.
	Succeeded bool
	// Summary is a Succeeded job's summary; Message a Failed job's message
	// (CodePipeline only; both are bounded here).
	Summary, Message string
	// FailureType is a Failed CodePipeline job's failure type (default
	// JobFailed; ConfigurationError for a mistake in the action's setup).
	FailureType cptypes.FailureType
	// ContinuationToken, for a CodePipeline job, answers "still going:
	// invoke me again with this token" instead of a final result.
	ContinuationToken string
}

// Outcome is what a Send achieved.
type Outcome struct {
	// To is where the report went: ToCodeDeploy, ToCodePipeline or ToNone
	// (a run nobody waits for).
	To string
	// AlreadyCompleted is true when the deployment already had a status,
	// so this report changed nothing.
	AlreadyCompleted bool
	// Attempts is how many calls were made.
	Attempts int
	// Late is true (Deliver only) when the deployment already had a status
	// that this run's report did not give it.
	Late bool
}

// Reporter sends reports; the zero value is not usable, use New.
type Reporter struct {
	cd       CodeDeployAPI
	cp       CodePipelineAPI
	attempts int
	base     time.Duration
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithRetry sets the attempts in all (at least 1), the first wait
// (doubling up to MaxBackoff) and how to wait (tests pass a fake; nil
// keeps the real one).
func WithRetry(attempts int, base time.Duration, sleep func(context.Context, time.Duration) error) Option {
	return func(r *Reporter) {
		r.attempts, r.base = attempts, base
		if sleep != nil {
			r.sleep = sleep
		}
	}
}

// WithLogger sets the logger for retries (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Reporter) { r.log = l } }

// New returns a Reporter over the two clients, both required.
func New(cd CodeDeployAPI, cp CodePipelineAPI, opts ...Option) (*Reporter, error) {
	var errs []error
	if cd == nil {
		errs = append(errs, errors.New("no CodeDeploy client"))
	}
	if cp == nil {
		errs = append(errs, errors.New("no CodePipeline client"))
	}
	r := &Reporter{cd: cd, cp: cp, attempts: DefaultAttempts, base: DefaultBackoff, sleep: sleepCtx}
	for _, o := range opts {
		o(r)
	}
	if r.attempts < 1 {
		errs = append(errs, fmt.Errorf("report attempts %d must be at least 1", r.attempts))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("reporter: %w", err)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Destination says where a trigger's verdict goes, or why it cannot go.
func Destination(t trigger.Trigger) (string, error) {
	switch t.Type {
	case trigger.CodeDeploy:
		if t.DeploymentID == "" || t.LifecycleEventHookExecutionID == "" {
			return "", &InvalidTargetError{Reason: "codedeploy trigger without deploymentId and lifecycleEventHookExecutionId: nowhere to report"}
		}
		return ToCodeDeploy, nil
	case trigger.CodePipeline:
		if t.JobID == "" {
			return "", &InvalidTargetError{Reason: "codepipeline trigger without jobId: nowhere to report"}
		}
		return ToCodePipeline, nil
	case trigger.ECS:
		if t.DeploymentID == "" || t.Stage == "" {
			return "", &InvalidTargetError{Reason: "ecs trigger without deploymentId and stage: nowhere to answer"}
		}
		return ToECS, nil
	case trigger.Schedule, trigger.Manual, trigger.CLI:
		return ToNone, nil
	default:
		return "", &InvalidTargetError{Reason: fmt.Sprintf("trigger type %q: nowhere to report", t.Type)}
	}
}

// AnsweredByHook says whether a destination's deployment service asks the
// hook again for the verdict (a CodePipeline continuation token, an ECS
// IN_PROGRESS answer), so that the gate sends nothing itself.
func AnsweredByHook(to string) bool { return to == ToCodePipeline || to == ToECS }

// Send reports rep where its trigger says, retrying throttling and server
// errors. A deployment that already had a status is not an error (see
// Outcome.AlreadyCompleted); a panic of a client is returned as an error.
func (r *Reporter) Send(ctx context.Context, rep Report) (out Outcome, err error) {
	to, err := Destination(rep.Trigger)
	if err != nil {
		return Outcome{To: ToNone}, err
	}
	out.To = to
	t := rep.Trigger
	var call func(context.Context) error
	var target string
	switch to {
	case ToNone, ToECS:
		return out, nil
	case ToCodeDeploy:
		target = "CodeDeploy deployment " + t.DeploymentID
		status := cdtypes.LifecycleEventStatusFailed
		if rep.Succeeded {
			status = cdtypes.LifecycleEventStatusSucceeded
		}
		call = func(ctx context.Context) error {
			_, err := r.cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
				DeploymentId:                  aws.String(t.DeploymentID),
				LifecycleEventHookExecutionId: aws.String(t.LifecycleEventHookExecutionID),
				Status:                        status,
			})
			return err
		}
	case ToCodePipeline:
		target = "CodePipeline job " + t.JobID
		externalID := aws.String(flow.Bound(rep.RunID, MaxExternalID))
		call = func(ctx context.Context) error {
			if rep.Succeeded || rep.ContinuationToken != "" {
				in := &codepipeline.PutJobSuccessResultInput{
					JobId:            aws.String(t.JobID),
					ExecutionDetails: &cptypes.ExecutionDetails{ExternalExecutionId: externalID},
				}
				if rep.Summary != "" {
					in.ExecutionDetails.Summary = aws.String(display.Cut(rep.Summary, MaxPipelineSummary))
				}
				if rep.ContinuationToken != "" {
					in.ContinuationToken = aws.String(flow.Bound(rep.ContinuationToken, MaxContinuationToken))
				}
				_, err := r.cp.PutJobSuccessResult(ctx, in)
				return err
			}
			failureType := rep.FailureType
			if failureType == "" {
				failureType = cptypes.FailureTypeJobFailed
			}
			_, err := r.cp.PutJobFailureResult(ctx, &codepipeline.PutJobFailureResultInput{
				JobId: aws.String(t.JobID),
				FailureDetails: &cptypes.FailureDetails{
					Type:                failureType,
					Message:             aws.String(display.Cut(rep.Message, MaxPipelineMessage)),
					ExternalExecutionId: externalID,
				},
			})
			return err
		}
	}
	out.Attempts, err = r.retry(ctx, target, call)
	var cdDone *cdtypes.LifecycleEventAlreadyCompletedException
	var cpDone *cptypes.InvalidJobStateException
	if errors.As(err, &cdDone) || errors.As(err, &cpDone) {
		out.AlreadyCompleted = true
		return out, nil
	}
	if err != nil {
		status := "Failed"
		if rep.Succeeded {
			status = "Succeeded"
		}
		if rep.ContinuationToken != "" {
			status = "in progress"
		}
		return out, &ReportError{Target: target, Status: status, Attempts: out.Attempts, Err: err}
	}
	return out, nil
}

// retry calls fn until it succeeds, fails with an error that retrying
// cannot help, or the attempts run out; it returns the calls made.
func (r *Reporter) retry(ctx context.Context, what string, fn func(context.Context) error) (int, error) {
	wait := r.base
	for attempt := 1; ; attempt++ {
		err := guarded(ctx, fn)
		if err == nil || !Retryable(err) || attempt >= r.attempts {
			return attempt, err
		}
		r.log.Warn("report not accepted; retrying", "to", what, "attempt", attempt, "wait", wait, "err", err)
		if serr := r.sleep(ctx, wait); serr != nil {
			return attempt, fmt.Errorf("%w (gave up waiting: %v)", err, serr)
		}
		wait = min(2*wait, MaxBackoff)
	}
}

// guarded calls fn, turning a panic into an error.
func guarded(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: fmt.Sprint(v), Stack: string(debug.Stack())}
		}
	}()
	return fn(ctx)
}

// throttleCodes are the error codes that mean "slow down".
var throttleCodes = map[string]bool{
	"ThrottlingException":      true,
	"Throttling":               true,
	"TooManyRequestsException": true,
	"RequestLimitExceeded":     true,
	"ThrottledException":       true,
	"SlowDown":                 true,
}

// Retryable reports whether err may pass on a later attempt: throttling,
// or a server error (HTTP 5xx) the SDK's own retries did not ride out.
func Retryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && throttleCodes[ae.ErrorCode()] {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= 500
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
