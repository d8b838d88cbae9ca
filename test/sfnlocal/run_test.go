package sfnlocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/journeygate/journeygate/test/sfnlocal"
)

func run(t *testing.T, def string, input any, handlers map[string]sfnlocal.Handler, opts ...sfnlocal.Option) sfnlocal.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := sfnlocal.Run(ctx, t, def, input, handlers, opts...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func echo(f func(in map[string]any) any) sfnlocal.Handler {
	return func(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in map[string]any
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		return json.Marshal(f(in))
	}
}

func jsonEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("output = %s, want %s", gb, wb)
	}
}

// Plan → Map(Run per item) → Gate, mixing both Lambda resource forms.
const pipeline = `{
  "StartAt": "Plan",
  "States": {
    "Plan": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "plan", "Payload.$": "$"},
      "ResultSelector": {"journeys.$": "$.Payload.journeys"},
      "Next": "Journeys"
    },
    "Journeys": {
      "Type": "Map",
      "ItemsPath": "$.journeys",
      "MaxConcurrency": 2,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "Run",
        "States": {
          "Run": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:runner", "Next": "Shape"},
          "Shape": {"Type": "Pass", "Parameters": {"name.$": "$.name", "ok.$": "$.ok"}, "End": true}
        }
      },
      "ResultPath": "$.results",
      "Next": "Gate"
    },
    "Gate": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:gate:live", "Payload": {"results.$": "$.results"}},
      "OutputPath": "$.Payload",
      "End": true
    }
  }
}`

func TestPipelinePassesDataThroughTaskMapTask(t *testing.T) {
	var maxInFlight, inFlight atomic.Int32
	handlers := map[string]sfnlocal.Handler{
		"plan": echo(func(in map[string]any) any {
			return map[string]any{"journeys": []string{in["env"].(string) + "-a", in["env"].(string) + "-b", in["env"].(string) + "-c"}}
		}),
		"runner": func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(50 * time.Millisecond)
			var name string
			if err := json.Unmarshal(payload, &name); err != nil {
				return nil, fmt.Errorf("runner wants a journey name: %w", err)
			}
			return json.Marshal(map[string]any{"name": name, "ok": !strings.HasSuffix(name, "-b"), "extra": "dropped by Shape"})
		},
		"gate": echo(func(in map[string]any) any {
			failed := 0
			for _, r := range in["results"].([]any) {
				if !r.(map[string]any)["ok"].(bool) {
					failed++
				}
			}
			return map[string]any{"verdict": map[bool]string{true: "Succeeded", false: "Failed"}[failed == 0], "failed": failed}
		}),
	}
	res := run(t, pipeline, map[string]string{"env": "staging"}, handlers)
	if res.Status != sfnlocal.StatusSucceeded {
		t.Fatalf("status = %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
	}
	jsonEqual(t, res.Output, `{"verdict":"Failed","failed":1}`)
	if got := res.Invocations; got["plan"] != 1 || got["runner"] != 3 || got["gate"] != 1 {
		t.Errorf("invocations = %v, want plan 1, runner 3, gate 1", got)
	}
	if m := maxInFlight.Load(); m > 2 {
		t.Errorf("runner concurrency reached %d, MaxConcurrency is 2", m)
	}
	// Plan, Journeys, 3 × (Run, Shape), Gate.
	if res.Transitions != 9 {
		t.Errorf("transitions = %d, want 9 (states: %v)", res.Transitions, res.States)
	}
	if got := res.States["Run"].Entered; got != 3 {
		t.Errorf("Run entered %d times, want 3", got)
	}
}

// Which Lambda resource forms the overrides resolve, and what the state sees.
func TestResourceForms(t *testing.T) {
	handlers := map[string]sfnlocal.Handler{
		"fn": echo(func(in map[string]any) any { return map[string]any{"got": in} }),
	}
	invokeWrapped := `{"ExecutedVersion":"$LATEST","Payload":{"got":{"x":1}},"StatusCode":200}`
	tests := []struct {
		name     string
		resource string // the Task's Resource and Parameters
		want     string
	}{
		{"lambda:invoke FunctionName name", `"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "fn", "Payload": {"x.$": "$.x"}}`, invokeWrapped},
		{"lambda:invoke FunctionName ARN", `"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:fn", "Payload": {"x.$": "$.x"}}`, invokeWrapped},
		{"lambda:invoke FunctionName NAME:alias", `"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "fn:live", "Payload": {"x.$": "$.x"}}`, invokeWrapped},
		{"lambda:invoke FunctionName.$ from input", `"Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn", "Payload": {"x.$": "$.x"}}`, invokeWrapped},
		{"direct function ARN", `"Resource": "arn:aws:lambda:us-east-1:123456789012:function:fn", "InputPath": "$", "Parameters": {"x.$": "$.x"}`, `{"got":{"x":1}}`},
		{"direct function ARN with alias", `"Resource": "arn:aws:lambda:us-east-1:123456789012:function:fn:live", "Parameters": {"x.$": "$.x"}`, `{"got":{"x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := `{"StartAt": "T", "States": {"T": {"Type": "Task", ` + tt.resource + `, "ResultSelector": {"ExecutedVersion.$": "$.ExecutedVersion", "Payload.$": "$.Payload", "StatusCode.$": "$.StatusCode"}, "End": true}}}`
			if !strings.Contains(tt.resource, "lambda:invoke") {
				def = `{"StartAt": "T", "States": {"T": {"Type": "Task", ` + tt.resource + `, "End": true}}}`
			}
			res := run(t, def, map[string]any{"x": 1, "fn": "fn"}, handlers)
			if res.Status != sfnlocal.StatusSucceeded {
				t.Fatalf("status = %s (%s: %s)", res.Status, res.Error, res.Cause)
			}
			jsonEqual(t, res.Output, tt.want)
		})
	}
}

func TestHarnessFaultsAreErrors(t *testing.T) {
	handlers := map[string]sfnlocal.Handler{"fn": echo(func(in map[string]any) any { return in })}
	tests := []struct {
		name, def, wantErr string
	}{
		{"unmapped function", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:other","End":true}}}`, "no endpoint for Resource"},
		{"unmapped FunctionName", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"other"},"End":true}}}`, "no endpoint for FunctionName other"},
		{"unmapped dynamic FunctionName", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.f"},"End":true}}}`, `no endpoint for FunctionName "nope"`},
		{"invalid definition", `{"StartAt":"Missing","States":{"T":{"Type":"Pass","End":true}}}`, "definition is invalid"},
		{"not JSON", `{"StartAt":`, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sfnlocal.Run(context.Background(), t, tt.def, map[string]string{"f": "nope"}, handlers)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// RunnerFault is a named error type: its Go type name is its Step Functions
// error name.
type RunnerFault struct{ Journey string }

func (e *RunnerFault) Error() string { return "runner fault in " + e.Journey }

type event struct {
	Journey string `json:"journey"`
}

// A Task that fails or succeeds per the handler, with a Retry and a Catch
// that routes to a "Forced" state recording the error.
const retryCatch = `{
  "StartAt": "Work",
  "States": {
    "Work": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "work", "Payload.$": "$"},
      "OutputPath": "$.Payload",
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}],
      "Catch": [
        {"ErrorEquals": ["RunnerFault"], "ResultPath": "$.error", "Next": "Named"},
        {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Forced"}
      ],
      "End": true
    },
    "Named": {"Type": "Pass", "Parameters": {"route": "named", "error.$": "$.error"}, "End": true},
    "Forced": {"Type": "Pass", "Parameters": {"route": "forced", "error.$": "$.error"}, "End": true}
  }
}`

func TestRetryAndCatchMatchErrorNames(t *testing.T) {
	var calls atomic.Int32
	tests := []struct {
		name        string
		handler     sfnlocal.Handler
		opts        []sfnlocal.Option
		wantStatus  string
		wantRoute   string // Pass state the Catch routed to; "" if none
		wantError   string // Step Functions error name (caught, or of the failed execution)
		wantCalls   int32
		wantRetried int
		wantInCause string
	}{
		{
			name: "named service error retried until success",
			handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
				if calls.Add(1) < 3 {
					return nil, sfnlocal.NamedError("Lambda.ServiceException", "try again")
				}
				return json.RawMessage(`{"done":true}`), nil
			},
			wantStatus: sfnlocal.StatusSucceeded, wantCalls: 3, wantRetried: 2,
		},
		{
			name: "retries exhausted, then caught by States.TaskFailed",
			handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.Add(1)
				return nil, sfnlocal.NamedError("Lambda.TooManyRequestsException", "slow down")
			},
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "forced", wantError: "Lambda.TooManyRequestsException",
			wantCalls: 3, wantRetried: 2, wantInCause: "slow down",
		},
		{
			name: "custom error type caught by its Go type name, not retried",
			handler: sfnlocal.LambdaHandler(func(_ context.Context, ev event) (event, error) {
				calls.Add(1)
				return ev, &RunnerFault{Journey: ev.Journey}
			}),
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "named", wantError: "RunnerFault",
			wantCalls: 1, wantInCause: `"errorMessage":"runner fault in checkout"`,
		},
		{
			name: "wrapping with %w renames the error to wrapError",
			handler: sfnlocal.LambdaHandler(func(_ context.Context, ev event) (event, error) {
				calls.Add(1)
				return ev, fmt.Errorf("step 2/4: %w", &RunnerFault{Journey: ev.Journey})
			}),
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "forced", wantError: "wrapError", wantCalls: 1,
		},
		{
			name: "panic is a failed task named after the panic value's type",
			handler: sfnlocal.LambdaHandler(func(context.Context, event) (event, error) {
				calls.Add(1)
				panic("runner exploded")
			}),
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "forced", wantError: "string", wantCalls: 1,
			wantInCause: `"errorMessage":"runner exploded"`,
		},
		{
			name: "panic with an error value",
			handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.Add(1)
				panic(errors.New("nil map"))
			},
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "forced", wantError: "errorString", wantCalls: 1,
			wantInCause: `"stackTrace"`,
		},
		{
			name: "function timeout is caught by States.TaskFailed",
			handler: func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
				calls.Add(1)
				<-ctx.Done()
				return nil, ctx.Err()
			},
			opts:       []sfnlocal.Option{sfnlocal.WithTimeout("work", 200*time.Millisecond)},
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "forced", wantError: sfnlocal.TimeoutErrorType, wantCalls: 1,
			wantInCause: "Task timed out after 0.20 seconds",
		},
		{
			name: "an error without a type is Lambda.Unknown",
			handler: func(context.Context, json.RawMessage) (json.RawMessage, error) {
				calls.Add(1)
				return nil, sfnlocal.NamedError("", "out of memory")
			},
			wantStatus: sfnlocal.StatusSucceeded, wantRoute: "forced", wantError: "Lambda.Unknown", wantCalls: 1,
			wantInCause: "out of memory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			opts := append([]sfnlocal.Option{sfnlocal.WithRetryInterval(0)}, tt.opts...)
			res := run(t, retryCatch, event{Journey: "checkout"}, map[string]sfnlocal.Handler{"work": tt.handler}, opts...)
			if res.Status != tt.wantStatus {
				t.Fatalf("status = %s (%s: %s), want %s", res.Status, res.Error, res.Cause, tt.wantStatus)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("handler calls = %d, want %d", got, tt.wantCalls)
			}
			if got := res.States["Work"].Retried; got != tt.wantRetried {
				t.Errorf("Work retried %d times, want %d", got, tt.wantRetried)
			}
			var out struct {
				Route string `json:"route"`
				Error struct {
					Error string `json:"Error"`
					Cause string `json:"Cause"`
				} `json:"error"`
			}
			if err := json.Unmarshal(res.Output, &out); err != nil {
				t.Fatalf("output %s: %v", res.Output, err)
			}
			if out.Route != tt.wantRoute {
				t.Errorf("route = %q, want %q (output %s)", out.Route, tt.wantRoute, res.Output)
			}
			if out.Error.Error != tt.wantError {
				t.Errorf("caught error = %q, want %q", out.Error.Error, tt.wantError)
			}
			if !strings.Contains(out.Error.Cause, tt.wantInCause) {
				t.Errorf("cause = %q, want it to contain %q", out.Error.Cause, tt.wantInCause)
			}
			if tt.wantError != "" && !json.Valid([]byte(out.Error.Cause)) {
				t.Errorf("cause %q is not the JSON error payload", out.Error.Cause)
			}
			// Work entered once, each retry a transition, plus the Pass state if caught.
			want := 1 + tt.wantRetried
			if tt.wantRoute != "" {
				want++
			}
			if res.Transitions != want {
				t.Errorf("transitions = %d, want %d (%v)", res.Transitions, want, res.States)
			}
		})
	}
}

func TestUncaughtFailures(t *testing.T) {
	tests := []struct {
		name      string
		def       string
		handler   sfnlocal.Handler
		wantError string
		wantCause string
	}{
		{
			name:      "function error fails the execution with its name and payload",
			def:       `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","End":true}}}`,
			handler:   sfnlocal.LambdaHandler(func(context.Context, event) error { return &RunnerFault{Journey: "login"} }),
			wantError: "RunnerFault",
			wantCause: `{"errorMessage":"runner fault in login","errorType":"RunnerFault"}`,
		},
		{
			name: "Task TimeoutSeconds is States.Timeout, which States.TaskFailed does not catch",
			def: `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","TimeoutSeconds":1,
			  "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`,
			handler: func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Second):
				}
				return json.RawMessage(`{}`), nil
			},
			wantError: "States.Timeout",
			wantCause: "States.Timeout",
		},
		{
			name:      "Fail state",
			def:       `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Gate.Forced","Cause":"runner crashed"}}}`,
			wantError: "Gate.Forced",
			wantCause: "runner crashed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handlers := map[string]sfnlocal.Handler{}
			if tt.handler != nil {
				handlers["work"] = tt.handler
			}
			res := run(t, tt.def, event{Journey: "login"}, handlers)
			if res.Status != sfnlocal.StatusFailed {
				t.Fatalf("status = %s, want FAILED", res.Status)
			}
			if res.Error != tt.wantError || res.Cause != tt.wantCause {
				t.Errorf("error, cause = %q, %q; want %q, %q", res.Error, res.Cause, tt.wantError, tt.wantCause)
			}
		})
	}
}

func TestLambdaHandlerSeesLambdaContext(t *testing.T) {
	h := sfnlocal.LambdaHandler(func(ctx context.Context, ev event) (map[string]any, error) {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return nil, errors.New("no lambda context")
		}
		dl, hasDeadline := ctx.Deadline()
		return map[string]any{
			"journey":     ev.Journey,
			"arn":         lc.InvokedFunctionArn,
			"hasID":       lc.AwsRequestID != "",
			"hasDeadline": hasDeadline && time.Until(dl) > 0,
		}, nil
	})
	def := `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","End":true}}}`
	res := run(t, def, event{Journey: "signup"}, map[string]sfnlocal.Handler{"work": h}, sfnlocal.WithTimeout("work", 30*time.Second))
	if res.Status != sfnlocal.StatusSucceeded {
		t.Fatalf("status = %s (%s: %s)", res.Status, res.Error, res.Cause)
	}
	jsonEqual(t, res.Output, `{"journey":"signup","arn":"`+sfnlocal.FunctionARN("work")+`","hasID":true,"hasDeadline":true}`)
}

func TestContextObjectAndWaitOverride(t *testing.T) {
	def := `{"StartAt":"Wait","States":{
	  "Wait":{"Type":"Wait","Seconds":3600,"Next":"Name"},
	  "Name":{"Type":"Pass","Parameters":{"name.$":"$$.Execution.Name","input.$":"$$.Execution.Input.journey"},"End":true}}}`
	start := time.Now()
	res := run(t, def, event{Journey: "search"}, nil,
		sfnlocal.WithWaitOverride(0),
		sfnlocal.WithContextObject(map[string]any{"Execution": map[string]any{"Name": "hook-123"}}))
	if res.Status != sfnlocal.StatusSucceeded {
		t.Fatalf("status = %s (%s: %s)", res.Status, res.Error, res.Cause)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s: the Wait state was not overridden", d)
	}
	jsonEqual(t, res.Output, `{"name":"hook-123","input":"search"}`)
	if res.Transitions != 2 {
		t.Errorf("transitions = %d, want 2", res.Transitions)
	}
}

// A Map as the last state: the iterations' final states still count.
func TestTransitionsWhenMapEndsTheExecution(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","Iterator":{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}},"End":true}}}`
	for _, n := range []int{0, 1, 5, 40} {
		t.Run(fmt.Sprint(n, " items"), func(t *testing.T) {
			items := make([]int, n)
			res := run(t, def, map[string]any{"items": items}, nil)
			if res.Status != sfnlocal.StatusSucceeded {
				t.Fatalf("status = %s (%s: %s)", res.Status, res.Error, res.Cause)
			}
			if want := 1 + 2*n; res.Transitions != want {
				t.Errorf("transitions = %d, want %d", res.Transitions, want)
			}
		})
	}
}
