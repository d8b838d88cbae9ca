package store

import (
	"context"
	"time"
)

// ReportMarker records that a run's verdict reached its deployment, so a
// later "the deployment already has a status" answer can be told apart:
// reported by this run before (a redelivery), or settled by something
// else first (a timeout, a person), which makes this run's report late.
type ReportMarker interface {
	// MarkReported sets the run's ReportedAt to at unless it is already
	// set (the first report counts); ErrNotFound if the run does not exist.
	MarkReported(ctx context.Context, runID string, at time.Time) error
}
