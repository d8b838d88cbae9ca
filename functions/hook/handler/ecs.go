package handler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/shared/trigger"
)

// An Amazon ECS deployment's lifecycle hook is answered, never reported
// to: ECS invokes the hook at each configured stage and reads the answer's
// hookStatus. The first invocation of a stage starts its run and answers
// IN_PROGRESS; ECS invokes again after callBackDelay seconds, and the hook
// answers from the recorded verdict, or IN_PROGRESS while the run goes.
// Every fault answers FAILED: an error or a missing hookStatus would make
// ECS roll back without a reason anyone can read.

// ECSHookEvent is what Amazon ECS sends a Lambda lifecycle hook.
type ECSHookEvent struct {
	ExecutionID string `json:"executionId"`
	// LifecycleStage is the stage the hook serves (POST_TEST_TRAFFIC_SHIFT, ...).
	LifecycleStage string `json:"lifecycleStage"`
	// ResourceArn is the service deployment's ARN.
	ResourceArn      string `json:"resourceArn"`
	ExecutionDetails struct {
		ServiceArn               string             `json:"serviceArn"`
		TargetServiceRevisionArn string             `json:"targetServiceRevisionArn"`
		TestTrafficWeights       map[string]float64 `json:"testTrafficWeights"`
		ProductionTrafficWeights map[string]float64 `json:"productionTrafficWeights"`
	} `json:"executionDetails"`
	// HookDetails holds the hook configuration's hookDetails (journeygate
	// reads "environment" and "services" from it) merged with what an
	// IN_PROGRESS answer returned (the run ID).
	HookDetails map[string]any `json:"hookDetails"`
}

// ECS hook statuses.
const (
	ECSSucceeded  = "SUCCEEDED"
	ECSFailed     = "FAILED"
	ECSInProgress = "IN_PROGRESS"
)

// ECSAnswer is what the hook returns to Amazon ECS, and nothing else.
type ECSAnswer struct {
	HookStatus string `json:"hookStatus"`
	// CallBackDelay is how many seconds ECS waits before invoking the hook
	// again (IN_PROGRESS only).
	CallBackDelay int `json:"callBackDelay,omitempty"`
	// HookDetails carries the run ID to the next invocation.
	HookDetails map[string]any `json:"hookDetails,omitempty"`
}

// Bounds of an IN_PROGRESS answer's callBackDelay: never sooner than
// MinCallBack, never later than ECS's own default.
const (
	MinCallBack = 5 * time.Second
	MaxCallBack = 30 * time.Second
)

// DefaultRunBudget is Config.RunBudget's default.
const DefaultRunBudget = time.Hour

// hookDetailsRunID is the hookDetails key an IN_PROGRESS answer sets.
const hookDetailsRunID = "journeygateRunId"

// ecsTrigger describes the run of an ECS hook invocation.
func ecsTrigger(ev ECSHookEvent) trigger.Trigger {
	return trigger.Trigger{
		Type: trigger.ECS, DeploymentID: ev.ResourceArn, Stage: trigger.Stage(ev.LifecycleStage),
		Service: ev.ExecutionDetails.ServiceArn, TargetVersion: ev.ExecutionDetails.TargetServiceRevisionArn,
	}
}

// answerECS answers an ECS hook invocation; it never returns an error.
func (h *Handler) answerECS(ctx context.Context, ev ECSHookEvent) Response {
	trig := ecsTrigger(ev)
	resp := Response{Trigger: trigger.ECS}
	log := h.log.With("trigger", trigger.ECS, "deployment", ev.ResourceArn, "stage", ev.LifecycleStage)
	failed := func(why string) Response {
		log.Error("answered FAILED: the run could not give a verdict", "run", resp.RunID, "why", why)
		resp.ECS = &ECSAnswer{HookStatus: ECSFailed}
		resp.FailedReported, resp.Reason = true, why
		return resp
	}
	if err := trig.Validate(); err != nil {
		return failed(fmt.Sprintf("not an ECS lifecycle hook invocation journeygate can serve: %v", err))
	}
	resp.RunID = trig.RunID()
	resp.ExecutionArn = executionArn(h.cfg.StateMachineArn, resp.RunID)
	log = log.With("run", resp.RunID)

	st := h.progress(ctx, resp.RunID, resp.ExecutionArn)
	switch {
	case st.verdict != nil:
		return h.finishECS(ctx, trig, resp, *st.verdict, "")
	case st.running:
		return h.inProgress(resp, st.startedAt)
	case st.missing:
		in, err := h.ecsInput(ev, trig, resp.RunID)
		if err != nil {
			return failed(err.Error())
		}
		started := false
		out, err := h.start(ctx, parsed{kind: kindECS}, in, &started)
		if err != nil || out.FailedReported {
			why := out.Reason
			if err != nil {
				why = err.Error()
			}
			return failed(why)
		}
		resp.AlreadyStarted = out.AlreadyStarted
		return h.inProgress(resp, h.now())
	}
	return h.finishECS(ctx, trig, resp, gate.Decide(gate.Input{Fault: st.why}), st.why)
}

// ecsInput builds the run's input: the environment and services from the
// hook configuration's hookDetails, else the hook's environment, and the
// service's name with Config.Services.
func (h *Handler) ecsInput(ev ECSHookEvent, trig trigger.Trigger, runID string) (flow.Input, error) {
	env := h.cfg.Environment
	if v, ok := ev.HookDetails["environment"]; ok {
		s, ok := v.(string)
		if !ok || s == "" {
			return flow.Input{}, fmt.Errorf(`hookDetails "environment" is %v, not an environment name`, v)
		}
		env = s
	}
	services := append([]string{ecsServiceName(trig.Service)}, h.cfg.Services...)
	if v, ok := ev.HookDetails["services"]; ok {
		list, ok := v.([]any)
		if !ok {
			return flow.Input{}, fmt.Errorf(`hookDetails "services" is %v, not a list of service names`, v)
		}
		services = services[:0:0]
		for _, s := range list {
			name, ok := s.(string)
			if !ok {
				return flow.Input{}, fmt.Errorf(`hookDetails "services" holds %v, not a service name`, s)
			}
			services = append(services, name)
		}
	}
	return flow.Input{RunID: runID, Environment: env, Trigger: trig, Services: unique(services)}, nil
}

// ecsServiceName is a service ARN's (…:service/CLUSTER/SERVICE) service name.
func ecsServiceName(arn string) string {
	_, path, _ := strings.Cut(arn, ":service/")
	return path[strings.LastIndexByte(path, '/')+1:]
}

// inProgress answers IN_PROGRESS, asking ECS to come back when the run's
// budget (Config.RunBudget from startedAt) ends, but within MinCallBack and
// MaxCallBack.
func (h *Handler) inProgress(resp Response, startedAt time.Time) Response {
	budget := h.cfg.RunBudget
	if budget <= 0 {
		budget = DefaultRunBudget
	}
	delay := min(max(time.Until(startedAt.Add(budget)), MinCallBack), MaxCallBack)
	resp.ECS = &ECSAnswer{
		HookStatus:    ECSInProgress,
		CallBackDelay: int((delay + time.Second - 1) / time.Second),
		HookDetails:   map[string]any{hookDetailsRunID: resp.RunID},
	}
	h.log.Info("answered IN_PROGRESS", "run", resp.RunID, "callBackDelay", resp.ECS.CallBackDelay, "alreadyStarted", resp.AlreadyStarted)
	return resp
}

// finishECS answers the run's verdict, marking the run reported.
func (h *Handler) finishECS(ctx context.Context, trig trigger.Trigger, resp Response, v gate.Verdict, why string) Response {
	ok := v.Status == gate.Succeeded
	out, err := h.reporter.Deliver(ctx, reporter.Report{RunID: resp.RunID, Trigger: trig, Succeeded: ok}, h.runs, h.now)
	if err != nil {
		h.log.Warn("verdict answered but not marked reported", "run", resp.RunID, "err", err)
	}
	resp.ECS = &ECSAnswer{HookStatus: ECSFailed}
	if ok {
		resp.ECS.HookStatus = ECSSucceeded
	}
	resp.FailedReported, resp.Reason = !ok && why != "", why
	h.settled(resp.RunID, trigger.ECS, v.Status, out, &resp)
	return resp
}

// runState is where a run stands, as progress finds it.
type runState struct {
	verdict   *gate.Verdict
	running   bool
	startedAt time.Time
	// missing: the run has no execution (not started yet).
	missing bool
	// why the run ended without a verdict, or cannot be read.
	why string
}

// progress finds where run runID stands: its recorded verdict, its
// execution still running, never started, or ended without a verdict.
func (h *Handler) progress(ctx context.Context, runID, execArn string) runState {
	if v, err := h.verdict(ctx, runID); err == nil {
		return runState{verdict: &v}
	} else if !errors.Is(err, errNoVerdict) {
		h.log.Warn("cannot read the run's verdict; asking Step Functions whether it still runs", "run", runID, "err", err)
	}
	out, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execArn)})
	var notFound *sfntypes.ExecutionDoesNotExist
	switch {
	case errors.As(err, &notFound):
		return runState{missing: true, why: fmt.Sprintf("run %s has no execution", runID)}
	case err != nil:
		return runState{why: fmt.Sprintf("cannot tell whether run %s still runs: %v", runID, err)}
	case out.Status == sfntypes.ExecutionStatusRunning || out.Status == sfntypes.ExecutionStatusPendingRedrive:
		return runState{running: true, startedAt: aws.ToTime(out.StartDate)}
	}
	// It ended: the gate may have recorded the verdict just before.
	if v, err := h.verdict(ctx, runID); err == nil {
		return runState{verdict: &v}
	}
	why := fmt.Sprintf("run %s ended (%s) without a verdict", runID, out.Status)
	if c := aws.ToString(out.Cause); c != "" || aws.ToString(out.Error) != "" {
		why += ": " + (&flow.TaskError{Error: aws.ToString(out.Error), Cause: c}).String()
	}
	return runState{why: why}
}
