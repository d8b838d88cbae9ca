package handler

import (
	"fmt"

	"github.com/journeygate/journeygate/internal/flow"
)

// InvalidEventError is an event the hook does not recognise or cannot use.
type InvalidEventError struct {
	Reason string
}

func (e *InvalidEventError) Error() string { return "invalid hook event: " + e.Reason }

// LookupError is a deployment that could not be looked up.
type LookupError struct {
	DeploymentID string
	Err          error
	// Reported is true when Failed was reported to the deployment.
	Reported bool
}

func (e *LookupError) Error() string {
	return fmt.Sprintf("looking up deployment %s: %v (Failed reported: %t)", e.DeploymentID, e.Err, e.Reported)
}

// Unwrap returns the underlying error.
func (e *LookupError) Unwrap() error { return e.Err }

// StartError is an execution that could not be started.
type StartError struct {
	RunID string
	Err   error
	// Reported is true when Failed was reported to the deployment.
	Reported bool
}

func (e *StartError) Error() string {
	return fmt.Sprintf("starting run %s: %v (Failed reported: %t)", e.RunID, e.Err, e.Reported)
}

// Unwrap returns the underlying error.
func (e *StartError) Unwrap() error { return e.Err }

// PanicError is a panic of the hook, turned into a Failed report when the
// event came from a deployment.
type PanicError struct {
	Value    string
	Reported bool
	Stack    string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("hook panicked: %s (Failed reported: %t)", flow.Cut(e.Value, flow.MaxErrorMessage), e.Reported)
}

// ConfigurationError is a CodePipeline action set up wrongly (its
// UserParameters); the job is failed with CodePipeline's
// ConfigurationError type, which tells its owner to fix the pipeline, not
// the deployment.
type ConfigurationError struct {
	Reason string
	// Reported is true when Failed was reported to the job.
	Reported bool
}

func (e *ConfigurationError) Error() string {
	return fmt.Sprintf("pipeline action configuration: %s (Failed reported: %t)", e.Reason, e.Reported)
}

// LastResortError is a last-resort Failed report that could not be made:
// the execution then fails, and its ExecutionsFailed alarm pages.
type LastResortError struct {
	RunID string
	Err   error
}

func (e *LastResortError) Error() string {
	return fmt.Sprintf("last resort for run %s: %s", e.RunID, flow.Cut(e.Err.Error(), flow.MaxErrorMessage))
}

// Unwrap returns the underlying error.
func (e *LastResortError) Unwrap() error { return e.Err }
