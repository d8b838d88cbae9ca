package handler

import (
	"context"
	"log/slog"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/flow/eventbus"
	"github.com/journeygate/journeygate/internal/gate"
)

// EventsAPI is the part of the EventBridge client the gate uses.
type EventsAPI = eventbus.API

// The run-completed event's source and detail type (flow's).
const (
	EventSource     = flow.EventSource
	EventDetailType = flow.DetailRunCompleted
)

// RunCompleted is the detail of the run-completed event.
type RunCompleted = flow.RunCompleted

// publish sends the run-completed event; failures are logged only.
func (h *Handler) publish(ctx context.Context, in flow.Input, v gate.Verdict, resp flow.GateResponse, reportErr error, log *slog.Logger) {
	if h.events == nil {
		return
	}
	if err := h.events.Put(ctx, flow.DetailRunCompleted, runCompleted(in, v, resp, reportErr)); err != nil {
		log.Error("run-completed event not published", "bus", h.events.Bus(), "err", err)
	}
}

// runCompleted builds the run-completed event's detail, bounded.
func runCompleted(in flow.Input, v gate.Verdict, resp flow.GateResponse, reportErr error) RunCompleted {
	detail := RunCompleted{
		RunID: in.RunID, Environment: in.Environment, Trigger: in.Trigger,
		Status: string(v.Status), Summary: v.Summary,
		Passed: v.Passed, Blocking: v.Blocking, Observed: v.Observed,
		Reported: resp.Reported, AlreadyReported: resp.AlreadyReported, AlreadyDecided: resp.AlreadyDecided,
		Overridden: v.Overridden, Inspect: flow.InspectCommand(in.RunID),
	}
	for i, r := range v.Reasons {
		if i == flow.MaxEventReasons {
			break
		}
		r.Message = flow.Bound(r.Message, flow.MaxEventMessage)
		detail.Reasons = append(detail.Reasons, r)
	}
	if reportErr != nil {
		detail.ReportError = flow.Bound(reportErr.Error(), flow.MaxEventMessage)
	}
	return detail
}
