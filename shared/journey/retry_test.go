package journey_test

import (
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

func TestValidateRetry(t *testing.T) {
	tests := []struct {
		name  string
		retry journey.Retry
		want  []string // substrings of the error; none for a valid policy
	}{
		{name: "zero value is the default", retry: journey.Retry{}},
		{name: "retries disabled", retry: journey.Retry{MaxAttempts: 1}},
		{name: "every retryable class", retry: journey.Retry{MaxAttempts: journey.MaxAttemptsLimit, On: []journey.Outcome{journey.Failed, journey.SLABreach, journey.Errored}, Delay: time.Second}},
		{name: "negative attempts", retry: journey.Retry{MaxAttempts: -1},
			want: []string{`journey "a": retry.maxAttempts: must be 1 or more (0 for the default of 2), got -1`}},
		{name: "too many attempts", retry: journey.Retry{MaxAttempts: journey.MaxAttemptsLimit + 1},
			want: []string{`journey "a": retry.maxAttempts: is 6, at most 5 allowed`}},
		{name: "passed is no retryable class", retry: journey.Retry{On: []journey.Outcome{journey.Passed}},
			want: []string{`journey "a": retry.on: class "passed" cannot be retried (want failed, sla-breach or error)`}},
		{name: "unknown and derived classes", retry: journey.Retry{On: []journey.Outcome{"timeout", journey.PassedFlaky, journey.Skipped}},
			want: []string{`class "timeout" cannot`, `class "passed-flaky" cannot`, `class "skipped" cannot`}},
		{name: "duplicate class", retry: journey.Retry{On: []journey.Outcome{journey.Errored, journey.Errored}},
			want: []string{`journey "a": retry.on: class "error" is listed twice`}},
		{name: "negative delay", retry: journey.Retry{Delay: -time.Second},
			want: []string{`journey "a": retry.delay: must not be negative (NoRetryDelay retries at once), got -1s`}},
		{name: "NoRetryDelay", retry: journey.Retry{Delay: journey.NoRetryDelay}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := valid("a", okStep("s"))
			j.Retry = tt.retry
			err := journey.Validate([]journey.Journey{j})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("valid policy rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("invalid policy %+v accepted", tt.retry)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if _, rerr := journey.NewRegistry(j); rerr == nil {
				t.Error("NewRegistry accepted an invalid retry policy")
			}
		})
	}
}

func TestRetryPolicy(t *testing.T) {
	all := []journey.Outcome{journey.Passed, journey.Failed, journey.SLABreach, journey.Errored, journey.Skipped}
	tests := []struct {
		name     string
		retry    journey.Retry
		attempts int
		retries  []journey.Outcome
	}{
		{"default: two attempts, error only", journey.Retry{}, 2, []journey.Outcome{journey.Errored}},
		{"more attempts, still error only", journey.Retry{MaxAttempts: 3}, 3, []journey.Outcome{journey.Errored}},
		{"disabled", journey.Retry{MaxAttempts: 1}, 1, []journey.Outcome{journey.Errored}},
		{"assertions too, when the journey says so", journey.Retry{On: []journey.Outcome{journey.Failed, journey.Errored}}, 2, []journey.Outcome{journey.Failed, journey.Errored}},
		{"sla-breach only", journey.Retry{On: []journey.Outcome{journey.SLABreach}}, 2, []journey.Outcome{journey.SLABreach}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.retry.Attempts(); got != tt.attempts {
				t.Errorf("Attempts() = %d, want %d", got, tt.attempts)
			}
			for _, o := range all {
				want := false
				for _, r := range tt.retries {
					want = want || r == o
				}
				if got := tt.retry.Retries(o); got != want {
					t.Errorf("Retries(%s) = %v, want %v", o, got, want)
				}
			}
		})
	}
}

func attemptOf(n int, o journey.Outcome) journey.Result {
	r := journey.Result{Journey: "a", Attempt: n, Outcome: o, Steps: []journey.StepResult{{Name: "s", Outcome: o}}}
	return r
}

func TestClass(t *testing.T) {
	p, f, e, s := journey.Passed, journey.Failed, journey.Errored, journey.SLABreach
	tests := []struct {
		name     string
		attempts []journey.Result
		want     journey.Outcome
		streak   int
	}{
		{"none", nil, "", 0},
		{"passed first time (also every result stored before retries)", []journey.Result{attemptOf(1, p)}, p, 1},
		{"failed once, not retried", []journey.Result{attemptOf(1, f)}, f, 1},
		{"error then pass", []journey.Result{attemptOf(1, e), attemptOf(2, p)}, journey.PassedFlaky, 2},
		{"order does not matter", []journey.Result{attemptOf(2, p), attemptOf(1, e)}, journey.PassedFlaky, 2},
		{"two failures then pass", []journey.Result{attemptOf(3, p), attemptOf(1, e), attemptOf(2, s)}, journey.PassedFlaky, 3},
		{"error every time", []journey.Result{attemptOf(1, e), attemptOf(2, e)}, e, 2},
		{"pass then a re-run that passed is no flake", []journey.Result{attemptOf(1, p), attemptOf(2, p)}, p, 1},
		{"error, pass, re-run pass: the last pass needed no retry", []journey.Result{attemptOf(1, e), attemptOf(2, p), attemptOf(3, p)}, p, 1},
		{"pass then a re-run that failed", []journey.Result{attemptOf(1, p), attemptOf(2, f)}, f, 1},
		{"a pass with a failed step counts as no pass", []journey.Result{
			{Journey: "a", Attempt: 1, Outcome: p, Steps: []journey.StepResult{{Name: "s", Outcome: f}}}, attemptOf(2, p),
		}, journey.PassedFlaky, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := journey.Class(tt.attempts); got != tt.want {
				t.Errorf("Class = %q, want %q", got, tt.want)
			}
			st := journey.Streak(tt.attempts)
			if len(st) != tt.streak {
				t.Fatalf("Streak has %d attempts, want %d", len(st), tt.streak)
			}
			for i := 1; i < len(st); i++ {
				if st[i].Attempt <= st[i-1].Attempt {
					t.Errorf("Streak not oldest first: %v", st)
				}
			}
		})
	}
	if !journey.PassedFlaky.OK() || !journey.Passed.OK() || journey.Errored.OK() {
		t.Error("OK: passed and passed-flaky count as a pass, error does not")
	}
}

// A retry waits about a second by default, with up to a quarter more at
// random; MaxWait bounds every Wait.
func TestRetryWait(t *testing.T) {
	tests := []struct {
		name     string
		r        journey.Retry
		min, max time.Duration
	}{
		{"default", journey.Retry{}, journey.DefaultRetryDelay, journey.DefaultRetryDelay * 5 / 4},
		{"own delay", journey.Retry{Delay: 200 * time.Millisecond}, 200 * time.Millisecond, 250 * time.Millisecond},
		{"none", journey.Retry{Delay: journey.NoRetryDelay}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.MaxWait(); got != tc.max {
				t.Errorf("MaxWait = %s, want %s", got, tc.max)
			}
			seen := map[time.Duration]bool{}
			for range 200 {
				w := tc.r.Wait()
				if w < tc.min || w > tc.max {
					t.Fatalf("Wait = %s, want within [%s, %s]", w, tc.min, tc.max)
				}
				seen[w] = true
			}
			if tc.max > tc.min && len(seen) < 10 {
				t.Errorf("200 waits took %d values: no jitter", len(seen))
			}
		})
	}
}
