package handler

import "fmt"

// InvalidRequestError is a payload naming no deployment the gate can
// report to.
type InvalidRequestError struct {
	Reason string
}

func (e *InvalidRequestError) Error() string { return "invalid gate request: " + e.Reason }

// ReportError is a verdict that could not be reported; Target names where
// it should have gone.
type ReportError struct {
	Target string
	Status string
	Err    error
}

func (e *ReportError) Error() string {
	return fmt.Sprintf("reporting %s to %s: %v", e.Status, e.Target, e.Err)
}

// Unwrap returns the underlying error.
func (e *ReportError) Unwrap() error { return e.Err }

// PanicError is a panic of the gate, turned into a Failed report.
type PanicError struct {
	Value    string
	Reported bool
	Stack    string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("gate panicked: %s (Failed reported: %t)", e.Value, e.Reported)
}
