package infra

import (
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
)

// The runner function's timeout covers every attempt of the longest
// journey, and a journey that cannot fit Lambda's cap is named with what
// to change.
func TestRunnerTimeoutCoversRetries(t *testing.T) {
	mk := func(sla time.Duration, retry journey.Retry) journey.Journey {
		return journey.Journey{Name: "long", Steps: []journey.Step{{Name: "s", SLA: sla}}, Retry: retry}
	}
	j := mk(time.Minute, journey.Retry{MaxAttempts: 3})
	d, err := runnerTimeout([]journey.Journey{j}, flow.DefaultTimeoutMargin)
	if err != nil {
		t.Fatal(err)
	}
	if need := 3*(time.Minute+flow.StepGrace+journey.DefaultCleanupBudget) + flow.DefaultTimeoutMargin; d <= need {
		t.Errorf("runner timeout %s does not cover three attempts (%s)", d, need)
	}

	_, err = runnerTimeout([]journey.Journey{mk(8*time.Minute, journey.Retry{})}, flow.DefaultTimeoutMargin)
	want := "journey long needs a runner timeout of 17m6s (2 attempts of up to 8m12s each, its retry policy allowing), above Lambda's 15m0s: shorten its SLAs or lower its Retry.MaxAttempts"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if _, err := runnerTimeout([]journey.Journey{mk(8*time.Minute, journey.Retry{MaxAttempts: 1})}, flow.DefaultTimeoutMargin); err != nil {
		t.Errorf("one 8-minute attempt fits: %v", err)
	}
	_, err = runnerTimeout([]journey.Journey{mk(16*time.Minute, journey.Retry{MaxAttempts: 1})}, flow.DefaultTimeoutMargin)
	if err == nil || !strings.HasSuffix(err.Error(), "(1 attempt of up to 16m12s each, its retry policy allowing), above Lambda's 15m0s: shorten its SLAs") {
		t.Errorf("err = %v", err)
	}
}
