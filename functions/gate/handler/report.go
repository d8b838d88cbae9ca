package handler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/trigger"
)

// CodeDeployAPI is the part of the CodeDeploy client the gate uses.
type CodeDeployAPI = reporter.CodeDeployAPI

// CodePipelineAPI is the part of the CodePipeline client the gate uses.
type CodePipelineAPI = reporter.CodePipelineAPI

// Where a verdict goes, as GateResponse.Reported says.
const (
	ReportedCodeDeploy = reporter.ToCodeDeploy
	ReportedNone       = reporter.ToNone
	// ReportedByHook is a CodePipeline or ECS run: the deployment service
	// invokes the hook again (a CodePipeline continuation token, an ECS
	// IN_PROGRESS answer), and the hook answers from the recorded verdict;
	// the gate reports nothing itself.
	ReportedByHook = "hook"
)

// destination says where a trigger's verdict goes from the gate, or why it
// cannot go anywhere.
func destination(t trigger.Trigger) (string, error) {
	to, err := reporter.Destination(t)
	if err != nil {
		return "", &InvalidRequestError{Reason: err.Error()}
	}
	if reporter.AnsweredByHook(to) {
		return ReportedByHook, nil
	}
	return to, nil
}

// send reports v to the deployment the run's trigger names (CodeDeploy
// only: see ReportedByHook) and records that it did. A deployment that
// already had a status answers "already reported" when the store shows
// this run reported it; otherwise the report was late, which is logged as
// an error and counted, never as "verdict reported".
func (h *Handler) send(ctx context.Context, in flow.Input, v gate.Verdict, log *slog.Logger) (reporter.Outcome, error) {
	to, err := destination(in.Trigger)
	if err != nil || to != ReportedCodeDeploy {
		return reporter.Outcome{To: to}, err
	}
	out, err := h.reporter.Deliver(ctx, reporter.Report{RunID: in.RunID, Trigger: in.Trigger, Succeeded: v.Status == gate.Succeeded}, h.ledger(), h.now)
	if err != nil {
		return out, err
	}
	if out.Late {
		log.Error("late report: the deployment already had a status this run did not give it", "status", v.Status, "deployment", in.Trigger.Deployment())
		if merr := h.metrics.LateReport(metrics.GateRun{RunID: in.RunID, Environment: in.Environment, Trigger: string(in.Trigger.Type), Status: v.Status}); merr != nil {
			log.Warn("late-report metric not written", "err", merr)
		}
	}
	return out, nil
}

// ledger is the store as the reporter's ledger; a store without report
// marks (a test's) records nothing and shows nothing reported.
func (h *Handler) ledger() reporter.Ledger {
	if m, ok := h.store.(store.ReportMarker); ok {
		return storeLedger{h.store, m}
	}
	return storeLedger{h.store, nil}
}

type storeLedger struct {
	store.Store
	marker store.ReportMarker
}

func (l storeLedger) MarkReported(ctx context.Context, runID string, at time.Time) error {
	if l.marker == nil {
		return errors.New("the store cannot record reports")
	}
	return l.marker.MarkReported(ctx, runID, at)
}
