package handler

import (
	"context"
	"errors"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
)

// maxLastResortCause bounds how much of the gate's error a last-resort
// verdict repeats.
const maxLastResortCause = 500

// lastResort reports Failed for a run whose gate failed (the state
// machine's Catch on Decide), records that verdict unless one is recorded,
// and returns an error only when the report itself could not be made: the
// execution then fails, which pages through its ExecutionsFailed alarm.
// A CodePipeline run needs no report here: its job was answered with a
// continuation token, and the next invocation finds the execution ended
// (or the verdict recorded) and answers from that.
func (h *Handler) lastResort(ctx context.Context, req flow.LastResortRequest) (Response, error) {
	in := req.Input
	why := "the gate failed before reporting"
	if req.Error != nil {
		why += ": " + flow.Bound(req.Error.String(), maxLastResortCause)
	}
	log := h.log.With("run", in.RunID, "trigger", in.Trigger.Type, "environment", in.Environment)
	resp := Response{RunID: in.RunID, Trigger: in.Trigger.Type, ExecutionArn: executionArn(h.cfg.StateMachineArn, in.RunID), Reason: why}
	v := gate.Decide(gate.Input{Fault: why})
	if err := h.runs.PutVerdict(ctx, in.RunID, v, h.now().UTC()); err != nil && !errors.Is(err, store.ErrExists) {
		log.Warn("last-resort verdict not recorded", "err", err)
	}
	to, err := reporter.Destination(in.Trigger)
	if err != nil {
		return resp, &LastResortError{RunID: in.RunID, Err: err}
	}
	if to != reporter.ToCodeDeploy {
		log.Warn("gate failed; nothing to report here", "why", why, "reportedBy", to)
		return resp, nil
	}
	out, err := h.reporter.Deliver(ctx, reporter.Report{RunID: in.RunID, Trigger: in.Trigger}, h.runs, h.now)
	if err != nil {
		log.Error("last resort could not report Failed; the execution fails and pages", "why", why, "err", err)
		return resp, &LastResortError{RunID: in.RunID, Err: err}
	}
	resp.FailedReported = true
	h.settled(in.RunID, in.Trigger.Type, gate.Failed, out, &resp)
	log.Warn("last resort reported Failed", "why", why)
	return resp, nil
}
