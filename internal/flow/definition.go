package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// State names; aws-local-stepfunctions overrides Tasks by these names.
const (
	StateStart       = "Start"
	StatePlan        = "Plan"
	StateRunJourneys = "RunJourneys"
	// StateRunJourney invokes the function the plan gave the journey:
	// the runner, or the browser runner for a journey that drives a
	// browser.
	StateRunJourney     = "RunJourney"
	StateJourneyFaulted = "JourneyFaulted"
	StateForcedFailure  = "ForcedFailure"
	StateDecide         = "Decide"
	// StateLastResort reports Failed through the hook when Decide failed.
	StateLastResort = "LastResort"
	// StateUnreported ends an execution whose Failed nobody could report:
	// the execution fails, and its ExecutionsFailed alarm pages.
	StateUnreported = "Unreported"
)

// Timeouts of the Tasks that do not run journeys.
const (
	// PlanTimeoutSeconds bounds the Plan Task.
	PlanTimeoutSeconds = 60
	// GateTimeoutSeconds bounds one Decide attempt: the store's reads and
	// writes, the report with its retries (reporter's, about 16 s at most)
	// and the HTML report, with room to spare.
	GateTimeoutSeconds = 120
	// LastResortTimeoutSeconds bounds the LastResort Task: one report with
	// its retries.
	LastResortTimeoutSeconds = 60
)

// Retry policy of every Task for Lambda service errors, as AWS recommends
// for Lambda Tasks: LambdaRetryAttempts retries, the first after
// LambdaRetryIntervalSeconds, doubling, with full jitter.
const (
	LambdaRetryAttempts        = 6
	LambdaRetryIntervalSeconds = 2
	LambdaRetryBackoff         = 2
	// LambdaRetryMaxDelaySeconds caps one wait.
	LambdaRetryMaxDelaySeconds = 30
)

// Retry policy of Decide for its own errors (the gate is idempotent: the
// verdict is recorded once and reported again): a panic, a report that
// failed, a timeout or an out-of-memory crash.
const (
	DecideRetryAttempts        = 2
	DecideRetryIntervalSeconds = 5
	DecideRetryBackoff         = 2
)

// DefaultMaxConcurrency is how many journeys run at once when
// Options.MaxConcurrency is zero.
const DefaultMaxConcurrency = 4

// MaxInlineMapConcurrency is the most iterations an inline Map state runs
// at once (Step Functions' limit); a higher MaxConcurrency would not run
// faster, only mislead the run budget.
const MaxInlineMapConcurrency = 40

// LambdaServiceErrors are the errors every Task retries: faults of the
// Lambda service, not of the function (and throttling).
var LambdaServiceErrors = []string{
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.TooManyRequestsException",
}

// Options configures Definition.
type Options struct {
	// RunnerArn is the runner Lambda's ARN (or a CDK token that renders to it).
	RunnerArn string
	// BrowserRunnerArn is the browser runner Lambda's ARN, which runs the
	// journeys planned on RunnerBrowser; empty when the deployment has
	// none (no journey drives a browser), and then such a journey ends
	// with outcome error instead of running where Chromium is not.
	BrowserRunnerArn string
	// GateArn is the gate Lambda's ARN.
	GateArn string
	// HookArn is the hook Lambda's ARN: the last resort reports through it.
	HookArn string
	// MaxConcurrency bounds how many journeys run at once (0 = default 4).
	MaxConcurrency int
}

// Definition renders the state machine in Amazon States Language (JSONPath)
// as indented JSON.
func Definition(o Options) (string, error) {
	def, err := Build(o)
	if err != nil {
		return "", err
	}
	out, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return "", fmt.Errorf("rendering state machine definition: %w", err)
	}
	return string(out), nil
}

// Build returns the state machine definition as a JSON-ready value.
func Build(o Options) (map[string]any, error) {
	var errs []error
	if strings.TrimSpace(o.RunnerArn) == "" {
		errs = append(errs, errors.New("RunnerArn is empty"))
	}
	if strings.TrimSpace(o.GateArn) == "" {
		errs = append(errs, errors.New("GateArn is empty"))
	}
	if strings.TrimSpace(o.HookArn) == "" {
		errs = append(errs, errors.New("HookArn is empty"))
	}
	if o.MaxConcurrency < 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrency %d is negative", o.MaxConcurrency))
	}
	if o.MaxConcurrency > MaxInlineMapConcurrency {
		errs = append(errs, fmt.Errorf("MaxConcurrency %d is over the inline Map's %d iterations at once", o.MaxConcurrency, MaxInlineMapConcurrency))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("state machine options: %w", err)
	}
	concurrency := o.MaxConcurrency
	if concurrency == 0 {
		concurrency = DefaultMaxConcurrency
	}
	catchAll := func(resultPath, next string) []any {
		return []any{map[string]any{
			"ErrorEquals": []string{"States.ALL"},
			"ResultPath":  resultPath,
			"Next":        next,
		}}
	}

	// The plan names each journey's function from these (the runner's
	// or the browser runner's), so one Task per item invokes it: no
	// routing state, one transition per journey.
	functions := map[string]any{RunnerAPI: o.RunnerArn}
	if strings.TrimSpace(o.BrowserRunnerArn) != "" {
		functions[RunnerBrowser] = o.BrowserRunnerArn
	}
	itemStates := map[string]any{
		StateRunJourney: map[string]any{
			"Type":     "Task",
			"Comment":  "Run one journey on the function the plan gave it (the browser runner for journeys that drive a browser) and record its result; a failed journey is a result, not an error.",
			"Resource": LambdaInvokeResource,
			// The item is already {FunctionName, Payload}, so its paths
			// read the same before and after Parameters.
			"Parameters": map[string]any{
				"FunctionName.$": "$.FunctionName",
				"Payload.$":      "$.Payload",
			},
			"OutputPath":         "$.Payload",
			"TimeoutSecondsPath": "$.Payload.timeoutSeconds",
			"Retry":              lambdaRetry(),
			"Catch":              catchAll("$.error", StateJourneyFaulted),
			"End":                true,
		},
		StateJourneyFaulted: map[string]any{
			"Type":    "Pass",
			"Comment": "The runner crashed, timed out or faulted: tell the gate which journey.",
			"Parameters": map[string]any{
				"journey.$": "$.Payload.journey",
				"outcome":   "error",
				"error.$":   "$.error",
			},
			"End": true,
		},
	}
	item := map[string]any{
		"ProcessorConfig": map[string]any{"Mode": "INLINE"},
		"StartAt":         StateRunJourney,
		"States":          itemStates,
	}

	states := map[string]any{
		StateStart: map[string]any{
			"Type":       "Pass",
			"Comment":    "Keep the execution input under $.input.",
			"Parameters": map[string]any{"input.$": "$"},
			"Next":       StatePlan,
		},
		StatePlan: map[string]any{
			"Type":           "Task",
			"Comment":        "Select the run's journeys and record the run.",
			"Resource":       o.RunnerArn,
			"Parameters":     map[string]any{"action": ActionPlan, "input.$": "$.input", "functions": functions},
			"ResultPath":     "$.plan",
			"TimeoutSeconds": PlanTimeoutSeconds,
			"Retry":          lambdaRetry(),
			"Catch":          catchAll("$.fault", StateForcedFailure),
			"Next":           StateRunJourneys,
		},
		StateRunJourneys: map[string]any{
			"Type":           "Map",
			"Comment":        "One runner invocation per planned journey.",
			"ItemsPath":      "$.plan.journeys",
			"MaxConcurrency": concurrency,
			// Each item invokes its journey's function with a RunRequest.
			"ItemSelector": map[string]any{
				"FunctionName.$": "$$.Map.Item.Value.function",
				"Payload": map[string]any{
					"action":           ActionRun,
					"runId.$":          "$.input.runId",
					"environment.$":    "$.input.environment",
					"trigger.$":        "$.input.trigger",
					"journey.$":        "$$.Map.Item.Value.name",
					"timeoutSeconds.$": "$$.Map.Item.Value.timeoutSeconds",
					"runner.$":         "$$.Map.Item.Value.runner",
				},
			},
			"ItemProcessor": item,
			"ResultPath":    "$.items",
			"Catch":         catchAll("$.fault", StateForcedFailure),
			"Next":          StateDecide,
		},
		StateForcedFailure: map[string]any{
			"Type":       "Pass",
			"Comment":    "Plan or the Map failed: the gate reports Failed with the error.",
			"Parameters": map[string]any{"input.$": "$.input", "fault.$": "$.fault"},
			"Next":       StateDecide,
		},
		StateDecide: map[string]any{
			"Type":           "Task",
			"Comment":        "Decide the verdict, record it and report it exactly once; retried (it is idempotent), then the last resort.",
			"Resource":       o.GateArn,
			"TimeoutSeconds": GateTimeoutSeconds,
			"Retry": append(lambdaRetry(), map[string]any{
				"ErrorEquals":     []string{"States.ALL"},
				"IntervalSeconds": DecideRetryIntervalSeconds,
				"MaxAttempts":     DecideRetryAttempts,
				"BackoffRate":     DecideRetryBackoff,
				"JitterStrategy":  "FULL",
			}),
			"Catch": catchAll("$.gateError", StateLastResort),
			"End":   true,
		},
		StateLastResort: map[string]any{
			"Type":     "Task",
			"Comment":  "The gate failed: the hook reports Failed to the waiting deployment with the reason.",
			"Resource": o.HookArn,
			"Parameters": map[string]any{
				LastResortKey: map[string]any{"input.$": "$.input", "error.$": "$.gateError"},
			},
			"TimeoutSeconds": LastResortTimeoutSeconds,
			"Retry":          lambdaRetry(),
			"Catch":          catchAll("$.lastResortError", StateUnreported),
			"End":            true,
		},
		StateUnreported: map[string]any{
			"Type":    "Fail",
			"Comment": "Nobody could report Failed: fail the execution so its ExecutionsFailed alarm pages.",
			"Error":   "VerdictUnreported",
			"Cause":   "the gate and the last resort both failed to report; the deployment waits for its own timeout",
		},
	}
	return map[string]any{
		"Comment":       "journeygate: plan the run's journeys, run each once, then decide and report the verdict.",
		"QueryLanguage": "JSONPath",
		"StartAt":       StateStart,
		"States":        states,
	}, nil
}

// ErrNoRunner names what the plan refuses a journey for when the state
// machine has no function for its runner (a browser journey without the
// browser runner, which the stack has when its catalogue has a browser
// journey): the run fails before any journey runs, never runs one where
// it cannot.
const ErrNoRunner = "journeygate.NoRunner"

// LambdaInvokeResource is the Task resource that invokes a Lambda function
// named by its parameters (FunctionName, Payload), here the one the plan
// gave each journey; its result is the invocation's {"Payload", ...}.
const LambdaInvokeResource = "arn:aws:states:::lambda:invoke"

// lambdaRetry retries Lambda service errors.
func lambdaRetry() []any {
	return []any{map[string]any{
		"ErrorEquals":     LambdaServiceErrors,
		"IntervalSeconds": LambdaRetryIntervalSeconds,
		"MaxAttempts":     LambdaRetryAttempts,
		"BackoffRate":     LambdaRetryBackoff,
		"MaxDelaySeconds": LambdaRetryMaxDelaySeconds,
		"JitterStrategy":  "FULL",
	}}
}
