package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// Input is the execution input the hook starts the state machine with.
type Input struct {
	// RunID identifies the run; it is also the execution name.
	RunID string `json:"runId"`
	// Environment names the environment the journeys run against.
	Environment string `json:"environment"`
	// Trigger says what started the run.
	Trigger trigger.Trigger `json:"trigger"`
	// Services are the services a deployment touches: global journeys plus
	// domain journeys covering one of them are planned.
	Services []string `json:"services,omitempty"`
	// Tier restricts the plan to one tier ("" = any).
	Tier journey.Tier `json:"tier,omitempty"`
	// Journeys restricts the plan to these names (manual runs).
	Journeys []string `json:"journeys,omitempty"`
}

// Validate checks the fields the state machine's paths read, and the
// input's size, so a bad input is rejected before an execution starts
// rather than failing it with an uncatchable States.Runtime or
// States.DataLimitExceeded error.
func (in Input) Validate() error {
	var errs []error
	if err := trigger.ValidateRunID(in.RunID); err != nil {
		errs = append(errs, err)
	}
	if in.Environment == "" {
		errs = append(errs, errors.New("environment is empty"))
	}
	if in.Trigger.Type == trigger.CLI {
		errs = append(errs, errors.New("trigger type cli is for journeygate run, not an execution"))
	} else if err := in.Trigger.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch in.Tier {
	case "", journey.TierGlobal, journey.TierDomain:
	default:
		errs = append(errs, fmt.Errorf("tier %q is not global or domain", in.Tier))
	}
	if len(in.Journeys) > MaxJourneysPerRun {
		errs = append(errs, fmt.Errorf("journeys names %d journeys, more than the %d one run may plan", len(in.Journeys), MaxJourneysPerRun))
	}
	if b, err := json.Marshal(in); err == nil && len(b) > MaxInputBytes {
		errs = append(errs, fmt.Errorf("input is %d bytes as JSON (%d services, %d journeys), more than the %d allowed", len(b), len(in.Services), len(in.Journeys), MaxInputBytes))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid execution input: %w", err)
	}
	return nil
}

// Runner actions.
const (
	// ActionPlan selects the run's journeys and records the run.
	ActionPlan = "plan"
	// ActionRun runs one journey and records its result.
	ActionRun = "run"
)

// RunnerRequest is the runner Lambda's payload: Action says which of the
// other fields are set.
type RunnerRequest struct {
	// Action is ActionPlan or ActionRun.
	Action string `json:"action"`
	// Input is set for ActionPlan.
	Input *Input `json:"input,omitempty"`
	// Functions is set for ActionPlan by the state machine: the ARN of
	// the function that runs each runner's journeys (RunnerAPI, and
	// RunnerBrowser when it has a browser runner). The plan gives each
	// journey its function (PlannedJourney.Function), which the Map item
	// invokes, and refuses a journey whose runner is not there.
	Functions map[string]string `json:"functions,omitempty"`
	// RunRequest fields are set for ActionRun.
	RunRequest
}

// RunRequest asks the runner to run one journey of a run; it is each Map
// item's Payload, built by the Map's ItemSelector.
type RunRequest struct {
	RunID       string          `json:"runId,omitempty"`
	Environment string          `json:"environment,omitempty"`
	Journey     string          `json:"journey,omitempty"`
	Trigger     trigger.Trigger `json:"trigger,omitzero"`
	// TimeoutSeconds bounds the runner Task (TimeoutSecondsPath).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// Runner is the planned journey's runner (RunnerAPI or
	// RunnerBrowser).
	Runner string `json:"runner,omitempty"`
}

// Plan is the runner's answer to ActionPlan.
type Plan struct {
	RunID       string `json:"runId"`
	Environment string `json:"environment"`
	// Journeys is never null in JSON: the Map's ItemsPath reads it.
	Journeys []PlannedJourney `json:"journeys"`
}

// MarshalJSON writes Journeys as [] when empty, since a null ItemsPath
// would fail the execution with an uncatchable States.Runtime error.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan
	if p.Journeys == nil {
		p.Journeys = []PlannedJourney{}
	}
	return json.Marshal(plain(p))
}

// PlannedJourney is one Map item: a journey the run executes.
type PlannedJourney struct {
	Name string       `json:"name"`
	Mode journey.Mode `json:"mode"`
	Tier journey.Tier `json:"tier"`
	// SLASeconds is the sum of the journey's step SLAs.
	SLASeconds float64 `json:"slaSeconds"`
	// TimeoutSeconds bounds the runner Task: JourneyTimeout (every
	// attempt's SLAs and step graces plus a margin for cleanup and
	// recording), rounded up; always at least 1.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// Runner names the function that runs the journey (RunnerFor), so it
	// is always set.
	Runner string `json:"runner"`
	// Function is the ARN of that function, from the plan request's
	// Functions: the Map item's one Task invokes it by this path, so it is
	// always in the JSON ("" when the request named no functions).
	Function string `json:"function"`
}

// Runners: which function runs a planned journey.
const (
	// RunnerAPI is the runner function (small, arm64): journeys that
	// only make requests.
	RunnerAPI = "api"
	// RunnerBrowser is the browser runner function, sized for Chromium
	// and shipping it: journeys that drive a browser (Journey.Browser).
	RunnerBrowser = "browser"
)

// RunnerFor is the runner a journey is planned on: RunnerBrowser when it
// drives a browser, else RunnerAPI.
func RunnerFor(j journey.Journey) string {
	if j.Browser {
		return RunnerBrowser
	}
	return RunnerAPI
}

// JourneySummary is a Map item's output: the runner's answer to ActionRun,
// or, when the runner Task failed, the journey with outcome "error" and the
// caught error.
type JourneySummary struct {
	Journey string `json:"journey"`
	// Outcome is the journey's class: its latest attempt's outcome, or
	// passed-flaky when that passed only after a retry (journey.Class).
	Outcome journey.Outcome `json:"outcome"`
	// Attempt is the latest attempt's number; Attempts counts the
	// attempts this invocation made.
	Attempt  int `json:"attempt,omitempty"`
	Attempts int `json:"attempts,omitempty"`
	// Message is the result's message, Cut to MaxSummaryMessage.
	Message string `json:"message,omitempty"`
	// Error is set when the runner Task failed (crashed, timed out, or
	// returned a fault).
	Error *TaskError `json:"error,omitempty"`
}

// MaxSummaryMessage bounds JourneySummary.Message in bytes once
// JSON-encoded (Cut), part of Decide's input budget (MaxDecideInput).
const MaxSummaryMessage = 300

// TaskError is what a Catch records: the error name and its cause.
type TaskError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// String renders the error for a verdict: the name and the cause, with a
// Lambda error's JSON cause reduced to its errorMessage and Cut to
// MaxErrorMessage, whoever made it.
func (e TaskError) String() string {
	cause := strings.TrimSpace(e.Cause)
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		cause = lambdaErr.ErrorMessage
	}
	cause = Cut(cause, MaxErrorMessage)
	switch {
	case e.Error == "" && cause == "":
		return "unknown error"
	case cause == "":
		return e.Error
	case e.Error == "":
		return cause
	}
	return e.Error + ": " + cause
}

// GateRequest is the gate Lambda's payload: the state after the Map
// (Input, Plan, Items) or after ForcedFailure (Input, Fault).
type GateRequest struct {
	Input Input            `json:"input"`
	Plan  *Plan            `json:"plan,omitempty"`
	Items []JourneySummary `json:"items,omitempty"`
	// Fault is set on the ForcedFailure path: Plan or the Map failed.
	Fault *TaskError `json:"fault,omitempty"`
}

// GateResponse is the gate's answer, and so the execution's output.
type GateResponse struct {
	RunID   string `json:"runId"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	// Reported names where the verdict went: "codedeploy", "hook" (a
	// CodePipeline or ECS run: the hook answers the deployment's next
	// invocation from the recorded verdict) or "none" (schedule and manual
	// runs).
	Reported string `json:"reported"`
	// AlreadyReported is true when the deployment already had a status
	// (LifecycleEventAlreadyCompleted, or a job no longer in progress).
	AlreadyReported bool `json:"alreadyReported,omitempty"`
	// LateReport is true when the deployment already had a status that
	// this run did not give it (a timeout, a person): the verdict came too
	// late to count.
	LateReport bool `json:"lateReport,omitempty"`
	// AlreadyDecided is true when the run's verdict was already recorded;
	// the recorded verdict is the one reported.
	AlreadyDecided bool `json:"alreadyDecided,omitempty"`
}

// DefaultTimeoutMargin is added to a journey's summed SLAs for its runner
// Task's timeout: room for cleanup, abandoned steps and recording.
const DefaultTimeoutMargin = 30 * time.Second

// StepGrace is how long journey.Execute waits past a step's SLA for a step
// that ignores its context (journey.Options.AbandonAfter's default).
const StepGrace = 2 * time.Second

// AttemptTimeout is the longest one attempt of j may take: its summed SLAs,
// a grace per step, its diagnostics' budget and its cleanup budget.
func AttemptTimeout(j journey.Journey) time.Duration {
	return j.TotalSLA() + time.Duration(len(j.Steps))*StepGrace + j.DiagnosticsTime() + j.CleanupBudgetOrDefault()
}

// JourneyTimeout is the longest one run of j may take in the runner, which
// makes every attempt its retry policy allows within the one invocation:
// j.Retry.Attempts() times AttemptTimeout, the longest wait before each
// retry (j.Retry.MaxWait: its delay and jitter; by default about a
// second), and margin once. The runner Task's timeout is this; the runner
// function's timeout must be at least the largest.
func JourneyTimeout(j journey.Journey, margin time.Duration) time.Duration {
	n := time.Duration(j.Retry.Attempts())
	return n*AttemptTimeout(j) + (n-1)*j.Retry.MaxWait() + margin
}
