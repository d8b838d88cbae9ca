package journey

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
)

// TransportError is a request that got no HTTP answer, or whose body could
// not be read: refused, reset, timed out, a DNS or TLS failure. Its message
// leads with the cause and names the request once, "connection refused:
// POST http://127.0.0.1:9093/api/v2/alerts", so a cut for display (display.Cut)
// keeps the cause. It unwraps to the transport's error.
type TransportError struct {
	Method, URL string
	// Reading is true when the answer's status came and its body broke off.
	Reading bool
	Err     error
}

func (e *TransportError) Error() string {
	cause := Cause(e.Err)
	if e.Reading {
		cause += " while reading the body"
	}
	return cause + ": " + e.Method + " " + e.URL
}

func (e *TransportError) Unwrap() error { return e.Err }

// Cause returns the innermost reason of a transport error, without the
// request and the address that wrap it: "connection refused" rather than
// `Post "http://…": dial tcp 127.0.0.1:1: connect: connection refused`. A
// DNS error keeps the name it looked up; a deadline reads as such.
func Cause(err error) string {
	if err == nil {
		return ""
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed without a complete answer (EOF)"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil || next.Error() == "" {
			return err.Error()
		}
		err = next
	}
}

// transportDetail is a transport error for evidence, whose label already
// names the request: the *url.Error's own error, without the URL again.
func transportDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	return err.Error()
}

// answerLine renders an answer for evidence: the status and when it came,
// apart from how long the body took, so a slow body is not taken for a
// slow status: "→ 200 after 12ms, body read in 2.988s"; a body that broke
// off says why.
func answerLine(status int, headers, total time.Duration, readErr error) string {
	line := fmt.Sprintf("→ %d after %s", status, roundDuration(headers))
	body := (total - headers).Round(time.Millisecond)
	switch {
	case readErr != nil:
		line += fmt.Sprintf(", body broke off after %s: %s", body, Cause(readErr))
	case body > 0:
		line += fmt.Sprintf(", body read in %s", body)
	}
	return line
}

// roundDuration rounds d to milliseconds, or microseconds below one.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// NotSent reports whether err proves a request never reached its target:
// the connection was never made (refused, no route, the name did not
// resolve). A cleanup registered before a create call (see T.Cleanup) can
// skip its work then; after any other error the thing may exist.
func NotSent(err error) bool {
	var te *TransportError
	if !errors.As(err, &te) || te.Reading {
		return false
	}
	var oe *net.OpError
	return errors.As(te.Err, &oe) && oe.Op == "dial"
}
