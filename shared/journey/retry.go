package journey

import (
	"math/rand/v2"
	"sort"
	"time"
)

// DefaultMaxAttempts is how often a journey runs at most in one run when
// its Retry leaves MaxAttempts 0: once, and once more if it ended in a
// class Retry.On allows.
const DefaultMaxAttempts = 2

// MaxAttemptsLimit bounds Retry.MaxAttempts: every attempt adds the
// journey's summed SLAs to the runner's timeout.
const MaxAttemptsLimit = 5

// Retry says when a journey that did not pass runs again within the same
// run. Only that journey runs again, never the rest of the run; each
// attempt is recorded, and the latest counts. The zero value is the
// default: at most DefaultMaxAttempts attempts, retrying class error only,
// so an assertion failure or an SLA breach is never retried unless the
// journey says so.
type Retry struct {
	// MaxAttempts is how often the journey runs at most, the first run
	// included: 0 means DefaultMaxAttempts, 1 disables retries.
	MaxAttempts int
	// On lists the classes that may be retried (failed, sla-breach,
	// error); empty means error only.
	On []Outcome
	// Delay is the least wait before each retry, so a blip of the target
	// (a restart, a 503 for a second) is ridden out rather than met again
	// a few milliseconds later: 0 means DefaultRetryDelay, NoRetryDelay
	// retries at once. Up to a quarter more is added at random (jitter),
	// so the retries of many journeys do not arrive together. Every wait
	// counts towards the journey's budget (MaxWait).
	Delay time.Duration
}

// DefaultRetryDelay is the least wait before a retry when Retry.Delay is 0.
const DefaultRetryDelay = time.Second

// NoRetryDelay as Retry.Delay retries at once, without waiting.
const NoRetryDelay time.Duration = -1

// delay is the least wait before a retry.
func (r Retry) delay() time.Duration {
	switch {
	case r.Delay == 0:
		return DefaultRetryDelay
	case r.Delay < 0:
		return 0
	}
	return r.Delay
}

// Wait returns how long to wait before a retry: the delay plus up to a
// quarter of it at random, never more than MaxWait.
func (r Retry) Wait() time.Duration {
	d := r.delay()
	if d <= 0 {
		return 0
	}
	return d + rand.N(d/4+1)
}

// MaxWait is the longest Wait: the delay and a quarter of it. A journey's
// budget counts it before every retry.
func (r Retry) MaxWait() time.Duration {
	d := r.delay()
	return d + d/4
}

// Attempts returns the most attempts the policy allows, the first
// included.
func (r Retry) Attempts() int {
	if r.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return r.MaxAttempts
}

// Retries reports whether an attempt that ended in class o may be followed
// by another (attempts left permitting).
func (r Retry) Retries(o Outcome) bool {
	if len(r.On) == 0 {
		return o == Errored
	}
	for _, c := range r.On {
		if c == o {
			return true
		}
	}
	return false
}

// retryable lists the classes Retry.On may name.
var retryable = []Outcome{Failed, SLABreach, Errored}

// passed reports whether one attempt counts as a pass: its outcome and
// every step's (a result claiming to pass with a failed step does not).
func passed(r Result) bool {
	return r.Outcome == Passed && r.FailedStep() < 0
}

// byAttempt returns attempts ordered by attempt number; on a tie, the later
// in attempts comes later (as gate.LatestAttempts decides).
func byAttempt(attempts []Result) []Result {
	out := append([]Result(nil), attempts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Attempt < out[j].Attempt })
	return out
}

// Streak returns what led to one journey's outcome in one run, given all
// its attempts there (in any order): the latest attempt (highest Attempt),
// preceded by the attempts right before it that did not pass, oldest
// first. A journey that passed on its first try, or re-ran after a pass,
// has a streak of one. It returns nil for no attempts.
func Streak(attempts []Result) []Result {
	if len(attempts) == 0 {
		return nil
	}
	sorted := byAttempt(attempts)
	start := len(sorted) - 1
	for start > 0 && !passed(sorted[start-1]) {
		start--
	}
	return sorted[start:]
}

// Class returns one journey's class in one run from all its attempts
// there (in any order): PassedFlaky when the latest attempt passed right
// after one or more that did not, else the latest attempt's outcome (""
// for no attempts). Results recorded before retries existed have one
// attempt each and read as their outcome.
func Class(attempts []Result) Outcome {
	s := Streak(attempts)
	if len(s) == 0 {
		return ""
	}
	latest := s[len(s)-1]
	if len(s) > 1 && passed(latest) {
		return PassedFlaky
	}
	return latest.Outcome
}
