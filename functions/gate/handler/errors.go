package handler

import (
	"fmt"

	"github.com/journeygate/journeygate/internal/flow"
)

// InvalidRequestError is a payload naming no deployment the gate can
// report to.
type InvalidRequestError struct {
	Reason string
}

func (e *InvalidRequestError) Error() string { return "invalid gate request: " + e.Reason }

// PanicError is a panic of the gate, turned into a Failed report.
type PanicError struct {
	Value    string
	Reported bool
	Stack    string
}

func (e *PanicError) Error() string {
	// Cut: Step Functions copies it into Decide's state (flow.MaxDecideInput).
	return fmt.Sprintf("gate panicked: %s (Failed reported: %t)", flow.Cut(e.Value, flow.MaxErrorMessage), e.Reported)
}
