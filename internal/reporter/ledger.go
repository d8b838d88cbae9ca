package reporter

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/internal/store"
)

// Ledger is where a run's report is recorded: the run's record, and the
// mark that its verdict reached the deployment (store.ReportMarker).
type Ledger interface {
	// GetRun reads the run's record.
	GetRun(ctx context.Context, runID string) (store.RunRecord, error)
	// MarkReported records that the run's verdict reached its deployment.
	MarkReported(ctx context.Context, runID string, at time.Time) error
}

// Deliver sends a final report (not a continuation) and records it in the
// ledger. When the deployment already had a status, the ledger tells whose:
// this run's earlier report (a redelivery: Outcome.AlreadyCompleted only),
// or something else's (a timeout, a person, another run): then the report
// was late (Outcome.Late), which the caller logs as an error and counts.
// A ledger that cannot be written or read is logged and never turns a
// sent report into an error; an unreadable ledger counts the report late,
// since nothing shows this run reported.
func (r *Reporter) Deliver(ctx context.Context, rep Report, l Ledger, now func() time.Time) (Outcome, error) {
	out, err := r.Send(ctx, rep)
	if err != nil || out.To == ToNone {
		return out, err
	}
	if !out.AlreadyCompleted {
		if merr := l.MarkReported(context.WithoutCancel(ctx), rep.RunID, now()); merr != nil {
			r.log.Warn("verdict reported but not marked so in the store", "run", rep.RunID, "err", merr)
		}
		return out, nil
	}
	rec, gerr := l.GetRun(context.WithoutCancel(ctx), rep.RunID)
	if gerr != nil {
		r.log.Warn("deployment already had a status; the store cannot say whether this run reported it", "run", rep.RunID, "err", gerr)
	}
	out.Late = gerr != nil || rec.ReportedAt.IsZero()
	return out, nil
}
