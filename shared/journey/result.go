package journey

import "time"

// Outcome classifies a step or journey result.
type Outcome string

const (
	// Passed: the step held within its SLA.
	Passed Outcome = "passed"
	// Failed: an assertion did not hold (the system answered wrongly).
	Failed Outcome = "failed"
	// SLABreach: the step did not complete within its SLA.
	SLABreach Outcome = "sla-breach"
	// Errored: an infrastructure or runner fault (unreachable target, a
	// dependency's 5xx, a panic, a cancelled run).
	Errored Outcome = "error"
	// Skipped: the step did not run because an earlier step did not pass.
	Skipped Outcome = "skipped"
	// PassedFlaky: the journey passed, but only after a retry (see Retry):
	// its attempt right before the passing one did not pass. It is a class
	// of a journey in a run, derived from its attempts by Class; no single
	// attempt or step is ever recorded as flaky.
	PassedFlaky Outcome = "passed-flaky"
)

// OK reports whether the outcome counts as a pass: passed or passed-flaky.
func (o Outcome) OK() bool { return o == Passed || o == PassedFlaky }

// Evidence is one piece of what a step saw, kept to explain a failure.
type Evidence struct {
	// Label names the evidence, e.g. "GET /api/v2/alerts" or "last observation".
	Label string `json:"label"`
	// Detail is a bounded text excerpt.
	Detail string `json:"detail"`
	// Attachment is where binary evidence of the step is kept, such as a
	// browser's screenshot (a file path locally, an s3:// URL in the
	// cloud); "" for text-only evidence. See T.Attach and Artifacts.
	Attachment string `json:"attachment,omitempty"`
	// ContentType is the attachment's media type, e.g. "image/png".
	ContentType string `json:"contentType,omitempty"`
}

// StepResult records one step of one journey run.
type StepResult struct {
	Name      string        `json:"name"`
	SLA       time.Duration `json:"sla"`
	StartedAt time.Time     `json:"startedAt"`
	Elapsed   time.Duration `json:"elapsed"`
	Outcome   Outcome       `json:"outcome"`
	Message   string        `json:"message,omitempty"`
	Evidence  []Evidence    `json:"evidence,omitempty"`
}

// CleanupResult records one cleanup action; its failure never changes the
// journey's outcome. Elapsed is 0 for a cleanup that did not run because
// the budget was spent (Error says so).
type CleanupResult struct {
	Name    string        `json:"name"`
	Elapsed time.Duration `json:"elapsed"`
	Error   string        `json:"error,omitempty"`
}

// Result is the outcome of one journey in one run.
type Result struct {
	RunID       string    `json:"runId"`
	Journey     string    `json:"journey"`
	Environment string    `json:"environment"`
	Tier        Tier      `json:"tier"`
	Owner       string    `json:"owner"`
	Mode        Mode      `json:"mode"`
	Attempt     int       `json:"attempt"`
	StartedAt   time.Time `json:"startedAt"`
	// Elapsed is how long the attempt took up to the end of its last
	// step; its cleanups took CleanupElapsed after that.
	Elapsed        time.Duration `json:"elapsed"`
	CleanupElapsed time.Duration `json:"cleanupElapsed,omitempty"`
	Outcome        Outcome       `json:"outcome"`
	Message        string        `json:"message,omitempty"`
	// NoRetry says why another attempt cannot help, or "": a step used
	// something the journey does not declare (UndeclaredError), a mistake
	// in its code. The runner does not retry such an attempt.
	NoRetry string          `json:"noRetry,omitempty"`
	Steps   []StepResult    `json:"steps"`
	Cleanup []CleanupResult `json:"cleanup,omitempty"`
}

// FailedStep returns the index of the first step that did not pass, or -1.
func (r Result) FailedStep() int {
	for i, s := range r.Steps {
		if s.Outcome != Passed && s.Outcome != Skipped {
			return i
		}
	}
	return -1
}
