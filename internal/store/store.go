package store

import (
	"context"
	"errors"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// Sentinel errors; implementations wrap them with context, so match them with errors.Is.
var (
	// ErrNotFound means the run (or the run a record belongs to) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means a conditional write lost: the record is already stored.
	ErrExists = errors.New("already exists")
	// ErrInvalid means an argument failed validation; the message names the field.
	ErrInvalid = errors.New("invalid input")
	// ErrTooLarge means a record cannot be stored at its size; it is also
	// ErrInvalid.
	ErrTooLarge = errors.New("too large")
	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("store is closed")
)

// RunRecord is one run of the planned journeys against one environment.
type RunRecord struct {
	ID          string `json:"id"`
	Environment string `json:"environment"`
	// Trigger is what started the run, as the hook or the CLI described
	// it: where its verdict goes, the deployment it gates, the stage it
	// serves.
	Trigger   trigger.Trigger `json:"trigger"`
	StartedAt time.Time       `json:"startedAt"`
	// FinishedAt is zero until the verdict is recorded.
	FinishedAt time.Time      `json:"finishedAt,omitzero"`
	Planned    []gate.Planned `json:"planned"`
	// Verdict is nil until recorded.
	Verdict *gate.Verdict `json:"verdict,omitempty"`
	// Revisions lists the verdicts a re-decision replaced, oldest first
	// (VerdictReviser); Verdict is the current one.
	Revisions []Revision `json:"revisions,omitempty"`
	// ReportedAt is when the verdict first reached the deployment waiting
	// for it (ReportMarker); zero until then, and for runs nobody waits for.
	ReportedAt time.Time `json:"reportedAt,omitzero"`
}

// HistoryQuery selects journey results across runs; zero fields do not filter.
type HistoryQuery struct {
	// Journey restricts to one journey ("" = all journeys).
	Journey string
	// Environment restricts to one environment ("" = all).
	Environment string
	// Since keeps results whose StartedAt is at or after it (zero = no bound).
	Since time.Time
	// Limit caps the number of results (0 = no limit).
	Limit int
}

// RunQuery selects runs; zero fields do not filter.
type RunQuery struct {
	// Environment restricts to one environment ("" = all).
	Environment string
	// Since keeps runs whose StartedAt is at or after it (zero = no bound).
	Since time.Time
	// Limit caps the number of runs (0 = no limit).
	Limit int
}

// Store records runs, their journey results and verdicts; see the package doc for the rules every implementation follows.
type Store interface {
	// CreateRun stores a new run; ErrExists if the ID is taken.
	CreateRun(ctx context.Context, r RunRecord) error
	// PutResult stores a result keyed by (RunID, Journey, Attempt); ErrExists on a duplicate key, ErrNotFound if the run does not exist.
	PutResult(ctx context.Context, r journey.Result) error
	// PutVerdict records the run's verdict once; ErrExists if one is already recorded, ErrNotFound if the run does not exist.
	PutVerdict(ctx context.Context, runID string, v gate.Verdict, finishedAt time.Time) error
	// GetRun returns a run; ErrNotFound if it does not exist.
	GetRun(ctx context.Context, runID string) (RunRecord, error)
	// Results returns a run's results sorted by journey name, then attempt; ErrNotFound if the run does not exist.
	Results(ctx context.Context, runID string) ([]journey.Result, error)
	// History returns results across runs matching q, newest StartedAt first.
	History(ctx context.Context, q HistoryQuery) ([]journey.Result, error)
	// RecentRuns returns runs matching q, newest StartedAt first.
	RecentRuns(ctx context.Context, q RunQuery) ([]RunRecord, error)
	// Close releases the store; it is safe to call more than once.
	Close() error
}

// RunReader is implemented by stores that read a run with its results in one request (one DynamoDB Query), as a gate decision needs.
type RunReader interface {
	// RunResults returns the run and its results sorted as Results sorts them; ErrNotFound if the run does not exist.
	RunResults(ctx context.Context, runID string) (RunRecord, []journey.Result, error)
}

// LoadRun returns the run and its results: in one request when s is a RunReader, else with GetRun and Results.
func LoadRun(ctx context.Context, s Store, runID string) (RunRecord, []journey.Result, error) {
	if rr, ok := s.(RunReader); ok {
		return rr.RunResults(ctx, runID)
	}
	run, err := s.GetRun(ctx, runID)
	if err != nil {
		return RunRecord{}, nil, err
	}
	results, err := s.Results(ctx, runID)
	if err != nil {
		return RunRecord{}, nil, err
	}
	return run, results, nil
}
