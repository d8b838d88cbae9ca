package flow

import (
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// The runner makes every attempt within one Task, so its timeout must
// cover them all.
func TestJourneyTimeoutCoversEveryAttempt(t *testing.T) {
	steps := []journey.Step{{Name: "a", SLA: 3 * time.Second}, {Name: "b", SLA: 10 * time.Second}}
	one := 13*time.Second + 2*StepGrace + journey.DefaultCleanupBudget // 27s
	tests := []struct {
		name  string
		retry journey.Retry
		want  time.Duration
	}{
		{"default: two attempts, the default wait and its jitter between them", journey.Retry{}, 2*one + 1250*time.Millisecond + 30*time.Second},
		{"retries disabled", journey.Retry{MaxAttempts: 1}, one + 30*time.Second},
		{"three attempts with a delay and its jitter before each retry", journey.Retry{MaxAttempts: 3, Delay: 4 * time.Second}, 3*one + 10*time.Second + 30*time.Second},
		{"retries at once", journey.Retry{Delay: journey.NoRetryDelay}, 2*one + 30*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := journey.Journey{Name: "j", Steps: steps, Retry: tt.retry}
			if got := JourneyTimeout(j, DefaultTimeoutMargin); got != tt.want {
				t.Errorf("JourneyTimeout = %s, want %s", got, tt.want)
			}
			if got := AttemptTimeout(j); got != one {
				t.Errorf("AttemptTimeout = %s, want %s", got, one)
			}
		})
	}
}
