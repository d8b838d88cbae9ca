package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Handler is one Lambda function as the harness invokes it: the Task's
// payload in, the function's JSON result out.
type Handler func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

// LambdaHandler adapts any handler accepted by lambda.Start so it runs on
// aws-lambda-go's real JSON path (lambda.NewHandler(h).Invoke). Each
// invocation gets its own lambda.Handler, as concurrent invocations get
// separate Lambda instances: one is not safe for concurrent invokes (its
// response buffer is shared).
func LambdaHandler(h any) Handler {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		out, err := lambda.NewHandler(h).Invoke(ctx, payload)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// NamedError returns an error that reaches Step Functions with exactly the
// given error name (errorType), the way aws-lambda-go lets a function name
// its error: by returning a messages.InvokeResponse_Error value.
func NamedError(errorType, message string) error {
	return messages.InvokeResponse_Error{Type: errorType, Message: message}
}

// TimeoutErrorType is the error name a function timeout reports. Lambda's
// current runtimes report "Sandbox.Timedout" with a "Task timed out after
// N seconds" message; older material documents the same failure as
// "Lambda.Unknown". Definitions should match function timeouts with
// States.TaskFailed or States.ALL rather than either name.
const TimeoutErrorType = "Sandbox.Timedout"

// ErrorResponse is the function error aws-lambda-go reports for err: a
// messages.InvokeResponse_Error value is used as is, anything else is named
// after its Go type (pointer types by their element type), so an error
// wrapped with fmt.Errorf is named "wrapError", not after what it wraps.
func ErrorResponse(err error) messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return ive
	}
	return messages.InvokeResponse_Error{Message: err.Error(), Type: typeName(err)}
}

// PanicResponse is the function error aws-lambda-go reports for a panic
// with value v: named after v's Go type ("string" for panic("...")), the
// message is fmt.Sprint(v), with a stack trace.
func PanicResponse(v any) messages.InvokeResponse_Error {
	if ive, ok := v.(messages.InvokeResponse_Error); ok {
		return ive
	}
	return messages.InvokeResponse_Error{
		Message:    fmt.Sprintf("%v", v),
		Type:       typeName(v),
		StackTrace: panicStack(),
		ShouldExit: true,
	}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// panicStack mirrors aws-lambda-go's stack frames (path relative to the
// package, label without the package).
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs) // runtime.Callers, panicStack, PanicResponse, deferred func
	frames := runtime.CallersFrames(pcs[:n])
	var out []*messages.InvokeResponse_Error_StackFrame
	for {
		f, more := frames.Next()
		path, label := f.File, f.Function
		i := len(path)
		for k, g := 0, strings.Count(label, "/")+2; k < g; k++ {
			if i = strings.LastIndex(path[:i], "/"); i == -1 {
				break
			}
		}
		path = path[i+1:]
		label = label[strings.LastIndex(label, "/")+1:]
		label = label[strings.Index(label, ".")+1:]
		out = append(out, &messages.InvokeResponse_Error_StackFrame{Path: path, Line: int32(f.Line), Label: label})
		if !more {
			break
		}
	}
	return out
}

// invoke runs h like a Lambda function with the given timeout: a panic
// becomes PanicResponse, an error ErrorResponse, and a handler still running
// at the deadline a TimeoutErrorType error. The handler goroutine is tracked
// by done so the harness can wait for abandoned handlers.
func invoke(ctx context.Context, h Handler, payload json.RawMessage, timeout time.Duration, requestID string, done func()) (json.RawMessage, *messages.InvokeResponse_Error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel() // like the sandbox going away: an abandoned handler sees its context end
	type result struct {
		out json.RawMessage
		err *messages.InvokeResponse_Error
	}
	ch := make(chan result, 1)
	go func() {
		defer done()
		defer func() {
			if v := recover(); v != nil {
				r := PanicResponse(v)
				ch <- result{err: &r}
			}
		}()
		out, err := h(ctx, payload)
		if err != nil {
			r := ErrorResponse(err)
			ch <- result{err: &r}
			return
		}
		ch <- result{out: out}
	}()
	select {
	case r := <-ch:
		if time.Since(start) < timeout {
			return r.out, r.err
		}
		// Finished at or after the deadline: Lambda would have stopped it.
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) || time.Since(start) < timeout {
			return nil, &messages.InvokeResponse_Error{Type: "Runtime.ExitError", Message: "invocation abandoned: " + ctx.Err().Error()}
		}
	}
	return nil, &messages.InvokeResponse_Error{
		Type:    TimeoutErrorType,
		Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds()),
	}
}
