package journey

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/journeygate/journeygate/shared/poll"
)

// Failure is an assertion that did not hold: the system under test answered,
// but wrongly. It classifies a step as failed.
type Failure struct {
	Msg string
	// format and args made Msg; a cutBody among args is kept whole, so a
	// journey's redactor can remove a secret before the cut (see
	// redactedMsg), which could otherwise split it and keep its start.
	format string
	args   []any
}

func (f *Failure) Error() string { return f.Msg }

// Final reports that a Failure ends an Eventually or Never at once: a wrong
// answer never becomes right by asking again (see NotYet for the exception).
func (f *Failure) Final() bool { return true }

// Failf returns a Failure with a formatted message. Messages should show what
// was expected and what was seen. Inside Eventually it ends the step at once
// as failed.
func Failf(format string, args ...any) error {
	return &Failure{Msg: fmt.Sprintf(format, args...), format: format, args: args}
}

// cutBody is a body a message shows cut to limit bytes (excerpt).
type cutBody struct {
	b     []byte
	limit int
}

func (c cutBody) String() string { return excerpt(c.b, c.limit) }

// cutFor formats b cut to limit bytes in a Failf message, redactable first.
func cutFor(b []byte, limit int) cutBody { return cutBody{b: b, limit: limit} }

// redactedMsg renders f's message with every cut body redacted before it
// is cut; ok is false when it cuts none (Msg is then redacted whole).
func (f *Failure) redactedMsg(redact func(string) string) (msg string, ok bool) {
	args := make([]any, len(f.args))
	for i, a := range f.args {
		c, isCut := a.(cutBody)
		if !isCut {
			args[i] = a
			continue
		}
		ok = true
		args[i] = excerpt([]byte(redact(string(c.b))), c.limit)
	}
	if !ok {
		return f.Msg, false
	}
	return fmt.Sprintf(f.format, args...), true
}

// FinalError is an observation that can never turn into the one awaited:
// it ends an Eventually, Never or sink wait at once. The step is failed,
// or error when Err is an infrastructure fault.
type FinalError struct {
	Err error
}

func (e *FinalError) Error() string { return e.Err.Error() }
func (e *FinalError) Unwrap() error { return e.Err }

// Final reports true: polling stops.
func (e *FinalError) Final() bool { return true }

// Final marks err as final: returned from a condition it ends the
// Eventually (or Never, or sink wait) at once, and the step is failed
// (error, when err is an infrastructure fault). It returns nil for nil.
func Final(err error) error {
	if err == nil {
		return nil
	}
	return &FinalError{Err: err}
}

// pendingError is NotYet's wrapper: an observation to poll past.
type pendingError struct{ err error }

func (e *pendingError) Error() string { return e.err.Error() }
func (e *pendingError) Unwrap() error { return e.err }
func (e *pendingError) Final() bool   { return false }

// NotYet marks err as "not there yet" even when it is a failed assertion,
// so Eventually keeps polling: for an answer that may still change, such
// as a Doc.Expect on a state that is still pending. Its class, should the
// step end with it, is unchanged. It returns nil for nil.
func NotYet(err error) error {
	if err == nil {
		return nil
	}
	return &pendingError{err: err}
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

// IsFailure reports whether err is (or wraps) an assertion Failure, or a
// FinalError about anything but an infrastructure fault.
func IsFailure(err error) bool {
	var f *Failure
	if errors.As(err, &f) {
		return true
	}
	var fe *FinalError
	return errors.As(err, &fe) && !IsInfrastructure(fe.Err)
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
// infrastructure fault, anything else as a failed assertion. Its message
// leads with the status, then names the request and quotes the body.
type StatusError struct {
	Method  string
	URL     string
	Status  int
	Want    string
	Excerpt string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("status %d, expected %s: %s %s", e.Status, e.Want, e.Method, e.URL)
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	return msg
}

// IsFinal reports whether err ends an Eventually, Never or sink wait at
// once: a Failure, anything wrapped with Final or Stop, unless NotYet
// wraps it.
func IsFinal(err error) bool { return poll.IsFinal(err) }

// endsWait reports whether a sink Match's error ends the wait: only when
// wrapped with Final or Stop, since a bare Failure there judges one
// delivery ("not this one"), not the system's answer.
func endsWait(err error) bool {
	var f interface{ Final() bool }
	if !errors.As(err, &f) {
		return false
	}
	if _, ok := f.(*Failure); ok {
		return false
	}
	return f.Final()
}

// UndeclaredError is a step's use of something its journey does not
// declare: a target not in Targets, the sink without Sink, an inbox
// without Inbox, SMS without an SMS pool. It is a mistake in the journey's
// code, class error, that no retry can mend: the attempt ends at once and
// the journey is not retried (Result.NoRetry).
type UndeclaredError struct {
	Err error
}

func (e *UndeclaredError) Error() string { return e.Err.Error() }
func (e *UndeclaredError) Unwrap() error { return e.Err }

// Final reports true: polling stops.
func (e *UndeclaredError) Final() bool { return true }

// undeclared returns an *UndeclaredError of the formatted message.
func undeclared(format string, args ...any) error {
	return &UndeclaredError{Err: fmt.Errorf(format, args...)}
}
