package handler

import (
	"context"
	"errors"
	"fmt"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/trigger"
)

// A CodePipeline job never waits on a run: the hook starts the run and
// answers the job with a continuation token (the run ID). CodePipeline
// then invokes the hook again, as a new job carrying the token, and the
// hook answers that job from the run's recorded verdict, or with the token
// again while the run goes. So a suite may take longer than one job's
// timeout, and the gate never reports to CodePipeline itself.

// continuePipeline answers the job whose run resp started (or found
// started) with a continuation token.
func (h *Handler) continuePipeline(ctx context.Context, job pipelineJob, resp Response) (Response, error) {
	_, err := h.reporter.Send(ctx, reporter.Report{
		RunID: resp.RunID, Trigger: pipelineTrigger(job), ContinuationToken: resp.RunID,
	})
	if err != nil {
		// The run is started; a retry of this event starts nothing new and
		// answers the job again.
		h.log.Error("run started but the job not answered; Lambda retries the event", "run", resp.RunID, "err", err)
		return resp, err
	}
	resp.Pipeline = PipelineInProgress
	return resp, nil
}

// answerPipeline answers a job re-invoked with runID as its continuation
// token: the recorded verdict, another token while the execution runs, or
// Failed when the execution ended without a verdict.
func (h *Handler) answerPipeline(ctx context.Context, job pipelineJob, runID string) (Response, error) {
	resp := Response{RunID: runID, Trigger: trigger.CodePipeline, ExecutionArn: executionArn(h.cfg.StateMachineArn, runID)}
	log := h.log.With("run", runID, "job", job.ID)
	if err := trigger.ValidateRunID(runID); err != nil {
		return h.finishPipeline(ctx, job, resp, nil, fmt.Sprintf("the job's continuation token is not a journeygate run: %v", err))
	}
	switch st := h.progress(ctx, runID, resp.ExecutionArn); {
	case st.verdict != nil:
		return h.finishPipeline(ctx, job, resp, st.verdict, "")
	case st.running:
		log.Info("run still goes; the job gets its token again")
		return h.continuePipeline(ctx, job, resp)
	default:
		return h.finishPipeline(ctx, job, resp, nil, st.why)
	}
}

// errNoVerdict is a run that has not been decided yet.
var errNoVerdict = errors.New("no verdict yet")

// verdict reads the run's recorded verdict.
func (h *Handler) verdict(ctx context.Context, runID string) (gate.Verdict, error) {
	rec, err := h.runs.GetRun(ctx, runID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return gate.Verdict{}, errNoVerdict
	case err != nil:
		return gate.Verdict{}, err
	case rec.Verdict == nil:
		return gate.Verdict{}, errNoVerdict
	}
	return *rec.Verdict, nil
}

// finishPipeline gives the job its final result: v when there is one,
// otherwise Failed because of why (fail closed).
func (h *Handler) finishPipeline(ctx context.Context, job pipelineJob, resp Response, v *gate.Verdict, why string) (Response, error) {
	if v == nil {
		f := gate.Decide(gate.Input{Fault: why})
		v = &f
	}
	rep := reporter.Report{RunID: resp.RunID, Trigger: pipelineTrigger(job), Succeeded: v.Status == gate.Succeeded}
	if rep.Succeeded {
		rep.Summary = v.Summary
	} else {
		var loc *reporter.Location
		if h.cfg.ReportBucket != "" && why == "" {
			l := reporter.LocationOf(h.cfg.ReportBucket, h.cfg.Region, reporter.ReportKey(h.cfg.Environment, resp.RunID))
			loc = &l
		}
		rep.Message = reporter.PipelineMessage(resp.RunID, *v, loc)
	}
	out, err := h.reporter.Deliver(ctx, rep, h.runs, h.now)
	if err != nil {
		h.log.Error("verdict not reported to the job; Lambda retries the event", "run", resp.RunID, "job", job.ID, "status", v.Status, "err", err)
		return resp, err
	}
	resp.Pipeline = PipelineFailed
	if rep.Succeeded {
		resp.Pipeline = PipelineSucceeded
	}
	resp.FailedReported = !rep.Succeeded && why != ""
	resp.Reason = why
	h.settled(resp.RunID, trigger.CodePipeline, v.Status, out, &resp)
	return resp, nil
}

// settled logs a delivered verdict, as late when the deployment already
// had a status this run did not give it.
func (h *Handler) settled(runID string, t trigger.Type, status gate.Status, out reporter.Outcome, resp *Response) {
	log := h.log.With("run", runID, "trigger", t, "status", status)
	if !out.Late {
		log.Info("verdict reported", "alreadyReported", out.AlreadyCompleted)
		return
	}
	resp.Late = true
	log.Error("late report: the deployment already had a status this run did not give it")
	if err := h.metrics.LateReport(metrics.GateRun{RunID: runID, Environment: h.cfg.Environment, Trigger: string(t), Status: status}); err != nil {
		log.Warn("late-report metric not written", "err", err)
	}
}

// pipelineTrigger is where a job's answer goes.
func pipelineTrigger(job pipelineJob) trigger.Trigger {
	return trigger.Trigger{Type: trigger.CodePipeline, JobID: job.ID}
}
