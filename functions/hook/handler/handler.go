package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/trigger"
)

// CodeDeployAPI is the part of the CodeDeploy client the hook uses.
type CodeDeployAPI interface {
	reporter.CodeDeployAPI
	// GetDeployment describes a deployment.
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	// ListDeploymentTargets and GetDeploymentTarget tell which lifecycle
	// event a hook execution serves, and a Lambda deployment's target
	// version.
	ListDeploymentTargets(ctx context.Context, in *codedeploy.ListDeploymentTargetsInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
	GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
}

// CodePipelineAPI is the part of the CodePipeline client the hook uses.
type CodePipelineAPI = reporter.CodePipelineAPI

// StepFunctionsAPI is the part of the Step Functions client the hook uses.
type StepFunctionsAPI interface {
	// StartExecution starts an execution of a state machine.
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	// DescribeExecution tells whether a run's execution still goes.
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// Runs is the part of the store the hook uses: a run's verdict, the mark
// that it was reported, and a last-resort Failed verdict.
type Runs interface {
	reporter.Ledger
	// PutVerdict records a run's verdict once (store.ErrExists after that).
	PutVerdict(ctx context.Context, runID string, v gate.Verdict, finishedAt time.Time) error
}

var (
	_ CodeDeployAPI    = (*codedeploy.Client)(nil)
	_ CodePipelineAPI  = (*codepipeline.Client)(nil)
	_ StepFunctionsAPI = (*sfn.Client)(nil)
	_ Runs             = (*dynamo.Store)(nil)
)

// Config is the hook's deployment-specific configuration.
type Config struct {
	// StateMachineArn is the state machine every run starts. Required.
	StateMachineArn string
	// Environment is what deployments through this hook are tested against,
	// and the default for requests that name none. Required.
	Environment string
	// Services are added to every deployment's services (optional), except
	// a deployment group's listed in DeploymentServices.
	Services []string
	// DeploymentServices maps a deployment group ("APPLICATION/GROUP") to
	// exactly the services its deployments touch (optional): a group listed
	// here runs the domain journeys covering those and no others; one not
	// listed gets its application and group names, the Lambda functions its
	// AppSpec names, and Services.
	DeploymentServices map[string][]string
	// ReportBucket and Region, when set, say where the gate writes run
	// reports, so a CodePipeline failure message carries the location.
	ReportBucket, Region string
	// RunBudget is the longest a run may take (the construct's run budget;
	// default DefaultRunBudget): an ECS hook is asked back no later than
	// when it ends.
	RunBudget time.Duration
}

// Pipeline answers, as Response.Pipeline says.
const (
	// PipelineInProgress: the job was answered with a continuation token
	// (the run ID); CodePipeline invokes the hook again with it.
	PipelineInProgress = "in-progress"
	// PipelineSucceeded and PipelineFailed: the job got its final result.
	PipelineSucceeded = "succeeded"
	PipelineFailed    = "failed"
)

// Response says what the hook did with the event.
type Response struct {
	RunID        string       `json:"runId,omitempty"`
	Trigger      trigger.Type `json:"trigger,omitempty"`
	ExecutionArn string       `json:"executionArn,omitempty"`
	// AlreadyStarted is true when the event was a redelivery: the run's
	// execution already existed.
	AlreadyStarted bool `json:"alreadyStarted,omitempty"`
	// FailedReported is true when the hook itself reported Failed to the
	// deployment (the run could not start, or the gate failed); Reason
	// says why. The event is then handled: the hook returns no error, so
	// Lambda's asynchronous retries start nothing for a failed job.
	FailedReported bool   `json:"failedReported,omitempty"`
	Reason         string `json:"reason,omitempty"`
	// Pipeline is the answer a CodePipeline job got (Pipeline* constants).
	Pipeline string `json:"pipeline,omitempty"`
	// Late is true when the deployment already had a status this run's
	// report did not give it (logged as an error, counted LateReports).
	Late bool `json:"late,omitempty"`
	// ECS is the answer to an Amazon ECS lifecycle hook: when set, it is
	// all the response's JSON holds, since ECS reads exactly that.
	ECS *ECSAnswer `json:"-"`
}

// MarshalJSON writes the ECS answer alone for an ECS invocation, the
// response otherwise.
func (r Response) MarshalJSON() ([]byte, error) {
	if r.ECS != nil {
		return json.Marshal(r.ECS)
	}
	type plain Response
	return json.Marshal(plain(r))
}

// Handler is the hook Lambda's handler.
type Handler struct {
	cfg      Config
	sfn      StepFunctionsAPI
	cd       CodeDeployAPI
	runs     Runs
	reporter *reporter.Reporter
	metrics  *metrics.Emitter
	log      *slog.Logger
	newID    func() string
	now      func() time.Time
	retry    []reporter.Option
}

// Option configures optional dependencies of a Handler.
type Option func(*Handler)

// WithLogger sets the structured logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithNewID sets how a manual request without requestId gets a fresh ID
// (default trigger.NewRunID at the current time).
func WithNewID(f func() string) Option { return func(h *Handler) { h.newID = f } }

// WithMetrics writes late reports (metrics.LateReports) to m (default: none).
func WithMetrics(m *metrics.Emitter) Option { return func(h *Handler) { h.metrics = m } }

// WithClock sets the clock for report marks and verdicts (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithRetry sets how reports are retried (see reporter.WithRetry).
func WithRetry(attempts int, base time.Duration, sleep func(context.Context, time.Duration) error) Option {
	return func(h *Handler) { h.retry = append(h.retry, reporter.WithRetry(attempts, base, sleep)) }
}

// New returns a hook starting cfg.StateMachineArn; the three clients and
// the store of runs are required.
func New(cfg Config, sf StepFunctionsAPI, cd CodeDeployAPI, cp CodePipelineAPI, runs Runs, opts ...Option) (*Handler, error) {
	var errs []error
	if cfg.StateMachineArn == "" {
		errs = append(errs, errors.New("no state machine ARN"))
	}
	if cfg.Environment == "" {
		errs = append(errs, errors.New("no environment"))
	}
	if sf == nil {
		errs = append(errs, errors.New("no Step Functions client"))
	}
	if cd == nil {
		errs = append(errs, errors.New("no CodeDeploy client"))
	}
	if cp == nil {
		errs = append(errs, errors.New("no CodePipeline client"))
	}
	if runs == nil {
		errs = append(errs, errors.New("no store of runs"))
	}
	h := &Handler{cfg: cfg, sfn: sf, cd: cd, runs: runs, newID: func() string { return trigger.NewRunID(time.Now()) }, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if cd != nil && cp != nil {
		rep, err := reporter.New(cd, cp, append([]reporter.Option{reporter.WithLogger(h.log)}, h.retry...)...)
		if err != nil {
			errs = append(errs, err)
		}
		h.reporter = rep
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("hook handler: %w", err)
	}
	return h, nil
}

// Handle recognises the event and acts on it: a deployment event starts
// its run (a CodePipeline job re-invoked with its continuation token gets
// the run's verdict, or another token while it goes), a request starts its
// run, and the state machine's last resort reports Failed. Whatever goes
// wrong for a deployment is reported to it as Failed; an error is returned
// only when that report could not be made, so Lambda retries only then.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (resp Response, err error) {
	ev, err := parse(raw)
	if err != nil {
		h.log.Warn("event rejected", "err", err)
		return Response{}, err
	}
	started := false
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		perr := &PanicError{Value: fmt.Sprint(v), Stack: string(debug.Stack())}
		h.log.Error("hook panicked", "panic", perr.Value, "stack", perr.Stack)
		if ev.kind == kindECS {
			// ECS reads a failed invocation as a rollback without reason.
			resp, err = Response{Trigger: trigger.ECS, FailedReported: true, Reason: perr.Error(), ECS: &ECSAnswer{HookStatus: ECSFailed}}, nil
			return
		}
		if !started {
			perr.Reported = h.failClosed(context.WithoutCancel(ctx), ev, "hook panicked: "+perr.Value, "")
		}
		if perr.Reported {
			resp, err = Response{FailedReported: true, Reason: perr.Error()}, nil
			return
		}
		resp, err = Response{}, perr
	}()

	switch ev.kind {
	case kindCodeDeploy:
		in, err := h.codeDeployInput(ctx, ev.deploy)
		if err != nil {
			lerr := &LookupError{DeploymentID: ev.deploy.DeploymentID, Err: err}
			lerr.Reported = h.failClosed(ctx, ev, lerr.Error(), "")
			return h.failed(lerr, lerr.Reported)
		}
		return h.start(ctx, ev, in, &started)
	case kindCodePipeline:
		if token := ev.pipeline.Data.ContinuationToken; token != "" {
			started = true // the run exists; never report "could not start"
			return h.answerPipeline(ctx, ev.pipeline, token)
		}
		in, err := h.codePipelineInput(ev.pipeline)
		if err != nil {
			// A job that cannot start must not wait out its timeout.
			cerr := &ConfigurationError{Reason: err.Error()}
			cerr.Reported = h.failClosed(ctx, ev, cerr.Reason, cptypes.FailureTypeConfigurationError)
			return h.failed(cerr, cerr.Reported)
		}
		resp, err := h.start(ctx, ev, in, &started)
		if err != nil || resp.FailedReported {
			return resp, err
		}
		return h.continuePipeline(ctx, ev.pipeline, resp)
	case kindLastResort:
		started = true
		return h.lastResort(ctx, ev.lastResort)
	case kindECS:
		return h.answerECS(ctx, ev.ecs), nil
	default:
		in, err := h.requestInput(ev.request)
		if err != nil {
			return Response{}, err
		}
		return h.start(ctx, ev, in, &started)
	}
}

// failed is the answer to an event whose run did not start: success when
// Failed was reported (nothing is left to retry), else the error.
func (h *Handler) failed(err error, reported bool) (Response, error) {
	if reported {
		return Response{FailedReported: true, Reason: err.Error()}, nil
	}
	return Response{}, err
}

// start validates in and starts its execution, named after the run.
func (h *Handler) start(ctx context.Context, ev parsed, in flow.Input, started *bool) (Response, error) {
	log := h.log.With("run", in.RunID, "trigger", in.Trigger.Type, "environment", in.Environment)
	resp := Response{RunID: in.RunID, Trigger: in.Trigger.Type, ExecutionArn: executionArn(h.cfg.StateMachineArn, in.RunID)}
	fail := func(err error) (Response, error) {
		serr := &StartError{RunID: in.RunID, Err: err}
		serr.Reported = h.failClosed(ctx, ev, serr.Error(), "")
		log.Error("run not started", "err", err, "failedReported", serr.Reported)
		out, rerr := h.failed(serr, serr.Reported)
		out.RunID, out.Trigger = in.RunID, in.Trigger.Type
		return out, rerr
	}
	if err := in.Validate(); err != nil {
		return fail(err)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fail(fmt.Errorf("encoding execution input: %w", err))
	}
	out, err := h.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(h.cfg.StateMachineArn),
		Name:            aws.String(in.RunID),
		Input:           aws.String(string(body)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		*started = true
		resp.AlreadyStarted = true
		log.Info("run already started; redelivered event ignored")
		return resp, nil
	case err != nil:
		return fail(err)
	}
	*started = true
	if arn := aws.ToString(out.ExecutionArn); arn != "" {
		resp.ExecutionArn = arn
	}
	log.Info("run started", "execution", resp.ExecutionArn, "services", in.Services, "targetVersion", in.Trigger.TargetVersion)
	return resp, nil
}

// codeDeployInput looks the deployment up and builds the run's input.
func (h *Handler) codeDeployInput(ctx context.Context, ev CodeDeployHookEvent) (flow.Input, error) {
	out, err := h.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(ev.DeploymentID)})
	if err != nil {
		return flow.Input{}, err
	}
	d := out.DeploymentInfo
	if d == nil {
		return flow.Input{}, errors.New("GetDeployment returned no deployment")
	}
	trig := trigger.Trigger{
		Type: trigger.CodeDeploy, DeploymentID: ev.DeploymentID,
		LifecycleEventHookExecutionID: ev.LifecycleEventHookExecutionID,
		Application:                   aws.ToString(d.ApplicationName),
		DeploymentGroup:               aws.ToString(d.DeploymentGroupName),
	}
	services := []string{trig.Application, trig.DeploymentGroup}
	if content := appSpecContent(d.Revision); content != "" {
		info, err := parseAppSpec(content)
		if err != nil {
			// The revision is not ours to judge; run without its details.
			h.log.Warn("revision AppSpec unreadable; target version unknown", "deployment", ev.DeploymentID, "err", err)
		}
		trig.TargetVersion = info.TargetVersion
		services = append(services, info.Functions...)
	}
	stage, version, err := h.lifecycleStage(ctx, ev.DeploymentID)
	if err != nil {
		return flow.Input{}, err
	}
	trig.Stage = stage
	if version != "" {
		trig.TargetVersion = version
	}
	services = append(services, h.cfg.Services...)
	if listed, ok := h.cfg.DeploymentServices[trig.Application+"/"+trig.DeploymentGroup]; ok {
		services = listed // configured exactly: no guessing from names
	}
	return flow.Input{
		RunID: codeDeployRunID(ev), Environment: h.cfg.Environment, Trigger: trig,
		Services: unique(services),
	}, nil
}

// appSpecContent returns a revision's inline AppSpec, or "".
func appSpecContent(r *cdtypes.RevisionLocation) string {
	if r == nil {
		return ""
	}
	if r.AppSpecContent != nil {
		return aws.ToString(r.AppSpecContent.Content)
	}
	//lint:ignore SA1019 older deployments still carry the deprecated String revision type
	if r.String_ != nil {
		//lint:ignore SA1019 see above
		return aws.ToString(r.String_.Content)
	}
	return ""
}

// codePipelineInput builds the run's input from a job.
func (h *Handler) codePipelineInput(job pipelineJob) (flow.Input, error) {
	p, err := pipelineParameters(job.Data.ActionConfiguration.Configuration.UserParameters)
	if err != nil {
		return flow.Input{}, err
	}
	env := p.Environment
	if env == "" {
		env = h.cfg.Environment
	}
	trig := trigger.Trigger{Type: trigger.CodePipeline, JobID: job.ID}
	for _, a := range job.Data.InputArtifacts {
		if a.Revision != nil && *a.Revision != "" {
			trig.TargetVersion = *a.Revision
			break
		}
	}
	return flow.Input{
		RunID: codePipelineRunID(job.ID), Environment: env, Trigger: trig,
		Services: unique(append(p.Services, h.cfg.Services...)), Tier: p.Tier, Journeys: p.Journeys,
	}, nil
}

// requestInput builds the run's input from a schedule or manual request.
func (h *Handler) requestInput(r Request) (flow.Input, error) {
	env := r.Environment
	if env == "" {
		env = h.cfg.Environment
	}
	in := flow.Input{
		Environment: env, Services: unique(r.Services), Tier: r.Tier, Journeys: r.Journeys,
		Trigger: trigger.Trigger{Type: trigger.Type(r.Trigger)},
	}
	switch in.Trigger.Type {
	case trigger.Schedule:
		in.RunID = scheduleRunID(env, r)
		in.Trigger.Source = r.Schedule
	default:
		id := r.RequestID
		if id == "" {
			id = h.newID()
		}
		in.RunID = trigger.RunID("manual", id)
		in.Trigger.Source = r.RequestedBy
	}
	if err := in.Validate(); err != nil {
		return flow.Input{}, &InvalidEventError{Reason: err.Error()}
	}
	return in, nil
}

// failClosed reports Failed to the deployment ev came from, if any, and
// says whether it did; failureType is CodePipeline's (default JobFailed).
func (h *Handler) failClosed(ctx context.Context, ev parsed, why string, failureType cptypes.FailureType) bool {
	var t trigger.Trigger
	switch ev.kind {
	case kindCodeDeploy:
		t = trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: ev.deploy.DeploymentID, LifecycleEventHookExecutionID: ev.deploy.LifecycleEventHookExecutionID}
	case kindCodePipeline:
		t = trigger.Trigger{Type: trigger.CodePipeline, JobID: ev.pipeline.ID}
	default:
		return false
	}
	out, err := h.reporter.Send(ctx, reporter.Report{
		Trigger: t, Message: "journeygate could not start its run: " + why, FailureType: failureType,
	})
	if err != nil {
		h.log.Error("cannot report Failed; the deployment waits for its timeout", "err", err)
		return false
	}
	h.log.Warn("reported Failed: the run could not start", "why", why, "alreadyCompleted", out.AlreadyCompleted)
	return true
}

// executionArn derives an execution's ARN from its state machine's.
func executionArn(stateMachineArn, name string) string {
	if i := strings.Index(stateMachineArn, ":stateMachine:"); i >= 0 {
		return stateMachineArn[:i] + ":execution:" + stateMachineArn[i+len(":stateMachine:"):] + ":" + name
	}
	return ""
}

// unique drops empty and repeated names, keeping the first position.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// bounded cuts s to limit runes, marking the cut.
func bounded(s string, limit int) string {
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit-1]) + "…"
}
