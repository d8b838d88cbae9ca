package reporter

import (
	"fmt"

	"github.com/journeygate/journeygate/internal/flow"
)

// ReportError is a report that could not be sent; Target names where it should
// have gone. Its name is what Step Functions matches in Retry and Catch.
type ReportError struct {
	Target   string
	Status   string
	Attempts int
	Err      error
}

func (e *ReportError) Error() string {
	// Cut: the gate returns it to Step Functions, which copies it into
	// the state (flow.MaxDecideInput).
	return fmt.Sprintf("reporting %s to %s: %s (after %d attempts)", e.Status, e.Target, flow.Cut(e.Err.Error(), flow.MaxErrorMessage), e.Attempts)
}

// Unwrap returns the underlying error.
func (e *ReportError) Unwrap() error { return e.Err }

// InvalidTargetError is a trigger that names no deployment to report to.
type InvalidTargetError struct {
	Reason string
}

func (e *InvalidTargetError) Error() string { return "nowhere to report: " + e.Reason }

// PanicError is a panic inside a report call.
type PanicError struct {
	Value string
	Stack string
}

func (e *PanicError) Error() string { return "report call panicked: " + e.Value }
