package gate

import (
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// Status is the verdict reported to the deployment.
type Status string

const (
	// Succeeded lets the deployment proceed.
	Succeeded Status = "Succeeded"
	// Failed halts the deployment.
	Failed Status = "Failed"
)

// Planned is a journey the run was supposed to execute. A planned journey
// without a result fails the gate: silence is never a pass.
type Planned struct {
	Name string       `json:"name"`
	Mode journey.Mode `json:"mode"`
}

// Input is everything the decision looks at.
type Input struct {
	// Planned lists the journeys selected for the run.
	Planned []Planned `json:"planned"`
	// Results are the journey results recorded for the run. When a journey
	// has several attempts, the latest counts.
	Results []journey.Result `json:"results"`
	// Fault, when set, forces Failed: the run itself broke (a crashed
	// orchestration, an unreadable store) and says how.
	Fault string `json:"fault,omitempty"`
	// Policy carries the decision's context and the freeze and override
	// inputs (policy.go); the zero value applies neither.
	Policy Policy `json:"policy,omitzero"`
}

// Reason explains one journey that did not pass.
type Reason struct {
	Journey string          `json:"journey"`
	Mode    journey.Mode    `json:"mode"`
	Outcome journey.Outcome `json:"outcome"`
	// Blocking is true when this reason alone fails the gate.
	Blocking bool `json:"blocking"`
	// Step is the failing step's name and StepIndex its 1-based position
	// (0 when no step is to blame, e.g. a missing result).
	Step      string        `json:"step,omitempty"`
	StepIndex int           `json:"stepIndex,omitempty"`
	StepCount int           `json:"stepCount,omitempty"`
	SLA       time.Duration `json:"sla,omitempty"`
	Elapsed   time.Duration `json:"elapsed,omitempty"`
	Message   string        `json:"message"`
	// Attempt is the attempt the reason is about, when it is not the
	// first (0 otherwise).
	Attempt int `json:"attempt,omitempty"`
	// Policy names the policy that gave this reason (PolicyFreeze), or ""
	// for the run's own journeys and faults; Run is the other run it
	// points at (the failing scheduled run).
	Policy string `json:"policy,omitempty"`
	Run    string `json:"run,omitempty"`
}

// Verdict is the gate's decision and why.
type Verdict struct {
	Status Status `json:"status"`
	// Summary is one line for a deployment console, naming the first
	// blocking journey and step.
	Summary string `json:"summary"`
	// Reasons lists every journey that did not pass, blocking ones first.
	Reasons []Reason `json:"reasons,omitempty"`
	// Counts of planned journeys by what happened to them.
	Passed   int `json:"passed"`
	Blocking int `json:"blocking"`
	Observed int `json:"observed"` // observe-mode journeys that did not pass
	// Flaky counts the planned journeys that passed only after a retry
	// (class passed-flaky; Passed counts them too); Flakes says what
	// their earlier attempts saw.
	Flaky  int     `json:"flaky,omitempty"`
	Flakes []Flake `json:"flakes,omitempty"`
	// Notes lists what the verdict reports without it changing the
	// status: every cleanup that failed, in every attempt of a planned
	// journey, since it may have left state behind in the environment.
	Notes []Note `json:"notes,omitempty"`
	// Overridden is the override that turned a Failed verdict into
	// Succeeded; Reasons still lists what it overrode.
	Overridden *Override `json:"overridden,omitempty"`
}
