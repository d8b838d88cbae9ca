package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/journeygate/journeygate/shared/flow"
	"github.com/journeygate/journeygate/shared/gate"
)

// EventsAPI is the part of the EventBridge client the gate uses.
type EventsAPI interface {
	// PutEvents publishes events.
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ EventsAPI = (*eventbridge.Client)(nil)

// The run-completed event's source and detail type.
const (
	EventSource     = "journeygate"
	EventDetailType = "Run Completed"
)

// maxEventReasons and maxEventMessage bound the event's detail, far below
// EventBridge's 256 KiB entry limit.
const (
	maxEventReasons = 20
	maxEventMessage = 500
)

// RunCompleted is the detail of the run-completed event.
type RunCompleted struct {
	RunID           string        `json:"runId"`
	Environment     string        `json:"environment"`
	Trigger         flow.Trigger  `json:"trigger"`
	Status          string        `json:"status"`
	Summary         string        `json:"summary"`
	Passed          int           `json:"passed"`
	Blocking        int           `json:"blocking"`
	Observed        int           `json:"observed"`
	Reasons         []gate.Reason `json:"reasons,omitempty"`
	Reported        string        `json:"reported"`
	AlreadyReported bool          `json:"alreadyReported,omitempty"`
	AlreadyDecided  bool          `json:"alreadyDecided,omitempty"`
	// ReportError says why the verdict could not be reported, if it could not.
	ReportError string `json:"reportError,omitempty"`
}

// publish sends the run-completed event; failures are logged only.
func (h *Handler) publish(ctx context.Context, in flow.Input, v gate.Verdict, resp flow.GateResponse, reportErr error, log *slog.Logger) {
	if h.events == nil {
		return
	}
	detail := RunCompleted{
		RunID: in.RunID, Environment: in.Environment, Trigger: in.Trigger,
		Status: string(v.Status), Summary: v.Summary,
		Passed: v.Passed, Blocking: v.Blocking, Observed: v.Observed,
		Reported: resp.Reported, AlreadyReported: resp.AlreadyReported, AlreadyDecided: resp.AlreadyDecided,
	}
	for i, r := range v.Reasons {
		if i == maxEventReasons {
			break
		}
		r.Message = bounded(r.Message, maxEventMessage)
		detail.Reasons = append(detail.Reasons, r)
	}
	if reportErr != nil {
		detail.ReportError = bounded(reportErr.Error(), maxEventMessage)
	}
	b, err := json.Marshal(detail)
	if err != nil {
		log.Error("run-completed event not published", "err", err)
		return
	}
	out, err := h.events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source:       aws.String(EventSource),
		DetailType:   aws.String(EventDetailType),
		Detail:       aws.String(string(b)),
		EventBusName: aws.String(h.bus),
	}}})
	if err == nil && out != nil && out.FailedEntryCount > 0 {
		err = fmt.Errorf("%d entry rejected", out.FailedEntryCount)
		if len(out.Entries) > 0 {
			e := out.Entries[0]
			err = fmt.Errorf("entry rejected: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
		}
	}
	if err != nil {
		log.Error("run-completed event not published", "bus", h.bus, "err", err)
	}
}
