package journey

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
)

// Failure is an assertion that did not hold: the system under test answered,
// but wrongly. It classifies a step as failed.
type Failure struct {
	Msg string
}

func (f *Failure) Error() string { return f.Msg }

// Failf returns a Failure with a formatted message. Messages should show what
// was expected and what was seen.
func Failf(format string, args ...any) error {
	return &Failure{Msg: fmt.Sprintf(format, args...)}
}

// InfraError marks a fault outside the system's answer: unreachable target,
// a dependency's 5xx, a broken runner. It classifies a step as error.
type InfraError struct {
	Err error
}

func (e *InfraError) Error() string { return e.Err.Error() }
func (e *InfraError) Unwrap() error { return e.Err }

// Infra wraps err as an infrastructure fault. It returns nil for nil.
func Infra(err error) error {
	if err == nil {
		return nil
	}
	return &InfraError{Err: err}
}

// PanicError is a step or cleanup that panicked: a runner fault.
type PanicError struct {
	Value any
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// IsFailure reports whether err is (or wraps) an assertion Failure.
func IsFailure(err error) bool {
	var f *Failure
	return errors.As(err, &f)
}

// IsInfrastructure reports whether err is a fault of the network or of a
// dependency rather than an answer of the system under test.
func IsInfrastructure(err error) bool {
	if err == nil {
		return false
	}
	var ie *InfraError
	if errors.As(err, &ie) {
		return true
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return !ne.Timeout()
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// StatusError is an HTTP answer with an unexpected status. A 5xx counts as an
// infrastructure fault, anything else as a failed assertion.
type StatusError struct {
	Method  string
	URL     string
	Status  int
	Want    string
	Excerpt string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: status %d, expected %s", e.Method, e.URL, e.Status, e.Want)
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	return msg
}
