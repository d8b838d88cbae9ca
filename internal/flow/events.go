package flow

import (
	"time"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// EventSource is the source of every event journeygate publishes to
// EventBridge; the rules infra/ creates match on it.
const EventSource = "journeygate"

// Detail types of journeygate's events.
const (
	// DetailRunCompleted is published by the gate after every verdict; its
	// detail is a RunCompleted.
	DetailRunCompleted = "Run Completed"
	// DetailJourneyFailed is published by the runner after it records a
	// result that did not pass, in any mode; its detail is a JourneyFailed.
	DetailJourneyFailed = "Journey Failed"
)

// Bounds of event details, far below EventBridge's 256 KiB entry limit.
const (
	// MaxEventMessage bounds each message in an event's detail, in runes.
	MaxEventMessage = 500
	// MaxEventReasons bounds RunCompleted.Reasons.
	MaxEventReasons = 20
)

// RunCompleted is the detail of a DetailRunCompleted event.
type RunCompleted struct {
	RunID           string          `json:"runId"`
	Environment     string          `json:"environment"`
	Trigger         trigger.Trigger `json:"trigger"`
	Status          string          `json:"status"`
	Summary         string          `json:"summary"`
	Passed          int             `json:"passed"`
	Blocking        int             `json:"blocking"`
	Observed        int             `json:"observed"`
	Reasons         []gate.Reason   `json:"reasons,omitempty"`
	Reported        string          `json:"reported"`
	AlreadyReported bool            `json:"alreadyReported,omitempty"`
	AlreadyDecided  bool            `json:"alreadyDecided,omitempty"`
	// ReportError says why the verdict could not be reported, if it could not.
	ReportError string `json:"reportError,omitempty"`
	// Overridden is the audited override that turned a Failed verdict into
	// Succeeded (who, why, when, until when); Reasons still lists what it
	// overrode.
	Overridden *gate.Override `json:"overridden,omitempty"`
	// Redecided is true when the verdict replaced an earlier one
	// (journeygate decide); the run's record keeps the earlier one.
	Redecided bool `json:"redecided,omitempty"`
	// Inspect is the command that prints the whole run with its evidence:
	// "journeygate show RUN_ID".
	Inspect string `json:"inspect,omitempty"`
}

// InspectCommand is the command that prints a run with its evidence.
func InspectCommand(runID string) string { return "journeygate show " + runID }

// JourneyFailed is the detail of a DetailJourneyFailed event: one recorded
// journey result that did not pass. Every field the alarm topic's message
// reads (runId, environment, journey, outcome, step, message, trigger.type)
// is always present, empty when unknown.
type JourneyFailed struct {
	RunID       string          `json:"runId"`
	Environment string          `json:"environment"`
	Trigger     trigger.Trigger `json:"trigger"`
	Journey     string          `json:"journey"`
	Tier        journey.Tier    `json:"tier"`
	Owner       string          `json:"owner"`
	// Mode is "enforce" or "observe": an observe-mode failure never blocks
	// a deployment, but is published all the same.
	Mode journey.Mode `json:"mode"`
	// Outcome is the failure class: failed, sla-breach or error.
	Outcome journey.Outcome `json:"outcome"`
	// Step names the first step that did not pass ("" if none);
	// StepNumber is its 1-based position (0 if none) among Steps.
	Step       string `json:"step"`
	StepNumber int    `json:"stepNumber"`
	Steps      int    `json:"steps"`
	// Message is the failing step's message (the journey's when no step
	// failed) on one line, bounded to MaxEventMessage runes.
	Message string `json:"message"`
	// ElapsedMs is how long the journey ran.
	ElapsedMs int64 `json:"elapsedMs"`
	// StepElapsedMs and StepSLAMs are the failing step's time and SLA.
	StepElapsedMs int64 `json:"stepElapsedMs,omitempty"`
	StepSLAMs     int64 `json:"stepSlaMs,omitempty"`
	// Attempt is the result's attempt number within the run.
	Attempt int `json:"attempt"`
	// Repeat is true when a scheduled, enforced failure repeats a failing
	// streak that already paged (package paging): the alarm topic's rule
	// skips it; it is published all the same. Always false otherwise.
	Repeat bool `json:"repeat"`
	// FailingSince is when the streak's first paged failure started (this
	// failure's start for a new streak); zero when not decided.
	FailingSince time.Time `json:"failingSince,omitzero"`
}

// NewJourneyFailed describes res, a result of a run started by by.
func NewJourneyFailed(res journey.Result, by trigger.Trigger) JourneyFailed {
	d := JourneyFailed{
		RunID: res.RunID, Environment: res.Environment, Trigger: by,
		Journey: res.Journey, Tier: res.Tier, Owner: res.Owner, Mode: res.Mode,
		Outcome: res.Outcome, Steps: len(res.Steps),
		ElapsedMs: res.Elapsed.Milliseconds(), Attempt: res.Attempt,
	}
	msg := res.Message
	if i := res.FailedStep(); i >= 0 {
		s := res.Steps[i]
		d.Step, d.StepNumber = s.Name, i+1
		d.StepElapsedMs, d.StepSLAMs = s.Elapsed.Milliseconds(), s.SLA.Milliseconds()
		if s.Message != "" {
			msg = s.Message
		}
	}
	// One line: the page quotes it inside one text, where a newline
	// would show as a literal \n.
	d.Message = display.OneLine(msg, MaxEventMessage)
	return d
}

// Bound cuts s to at most limit runes, marking a cut with "…".
func Bound(s string, limit int) string {
	r := []rune(s)
	switch {
	case len(r) <= limit:
		return s
	case limit <= 0:
		return ""
	}
	return string(r[:limit-1]) + "…"
}
