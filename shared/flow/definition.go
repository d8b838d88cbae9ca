package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// State names; aws-local-stepfunctions overrides Tasks by these names.
const (
	StateStart          = "Start"
	StatePlan           = "Plan"
	StateRunJourneys    = "RunJourneys"
	StateRunJourney     = "RunJourney"
	StateJourneyFaulted = "JourneyFaulted"
	StateForcedFailure  = "ForcedFailure"
	StateDecide         = "Decide"
)

// Timeouts of the Tasks that do not run journeys.
const (
	// PlanTimeoutSeconds bounds the Plan Task.
	PlanTimeoutSeconds = 60
	// GateTimeoutSeconds bounds the Decide Task.
	GateTimeoutSeconds = 300
)

// DefaultMaxConcurrency is how many journeys run at once when
// Options.MaxConcurrency is zero.
const DefaultMaxConcurrency = 4

// LambdaServiceErrors are the only errors a Task retries: faults of the
// Lambda service, not of the function.
var LambdaServiceErrors = []string{
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
}

// Options configures Definition.
type Options struct {
	// RunnerArn is the runner Lambda's ARN (or a CDK token that renders to it).
	RunnerArn string
	// GateArn is the gate Lambda's ARN.
	GateArn string
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
	if o.MaxConcurrency < 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrency %d is negative", o.MaxConcurrency))
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

	item := map[string]any{
		"ProcessorConfig": map[string]any{"Mode": "INLINE"},
		"StartAt":         StateRunJourney,
		"States": map[string]any{
			StateRunJourney: map[string]any{
				"Type":               "Task",
				"Comment":            "Run one journey and record its result; a failed journey is a result, not an error.",
				"Resource":           o.RunnerArn,
				"TimeoutSecondsPath": "$.timeoutSeconds",
				"Retry":              lambdaRetry(),
				"Catch":              catchAll("$.error", StateJourneyFaulted),
				"End":                true,
			},
			StateJourneyFaulted: map[string]any{
				"Type":    "Pass",
				"Comment": "The runner crashed, timed out or faulted: tell the gate which journey.",
				"Parameters": map[string]any{
					"journey.$": "$.journey",
					"outcome":   "error",
					"error.$":   "$.error",
				},
				"End": true,
			},
		},
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
			"Parameters":     map[string]any{"action": ActionPlan, "input.$": "$.input"},
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
			"ItemSelector": map[string]any{
				"action":           ActionRun,
				"runId.$":          "$.input.runId",
				"environment.$":    "$.input.environment",
				"trigger.$":        "$.input.trigger",
				"journey.$":        "$$.Map.Item.Value.name",
				"timeoutSeconds.$": "$$.Map.Item.Value.timeoutSeconds",
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
			"Comment":        "Decide the verdict, record it and report it exactly once.",
			"Resource":       o.GateArn,
			"TimeoutSeconds": GateTimeoutSeconds,
			"Retry":          lambdaRetry(),
			"End":            true,
		},
	}
	return map[string]any{
		"Comment":       "journeygate: plan the run's journeys, run each once, then decide and report the verdict.",
		"QueryLanguage": "JSONPath",
		"StartAt":       StateStart,
		"States":        states,
	}, nil
}

// lambdaRetry retries Lambda service errors only.
func lambdaRetry() []any {
	return []any{map[string]any{
		"ErrorEquals":     LambdaServiceErrors,
		"IntervalSeconds": 2,
		"MaxAttempts":     3,
		"BackoffRate":     2,
	}}
}
