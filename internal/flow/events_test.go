package flow

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

func TestBound(t *testing.T) {
	tests := []struct {
		s     string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exact", 5, "exact"},
		{"too long", 4, "too…"},
		{"ünïcödé", 4, "ünï…"},
		{"anything", 0, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if got := Bound(tt.s, tt.limit); got != tt.want {
				t.Errorf("Bound(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
			}
		})
	}
}

func TestNewJourneyFailed(t *testing.T) {
	trigger := trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}
	base := journey.Result{
		RunID: "r-1", Journey: "checkout", Environment: "staging", Tier: journey.TierGlobal, Owner: "team",
		Mode: journey.ModeObserve, Attempt: 2, Elapsed: 1500 * time.Millisecond,
	}
	t.Run("failing step", func(t *testing.T) {
		res := base
		res.Outcome = journey.SLABreach
		res.Message = "step 2/3 (paid): no receipt"
		res.Steps = []journey.StepResult{
			{Name: "cart", SLA: time.Second, Elapsed: 100 * time.Millisecond, Outcome: journey.Passed},
			{Name: "paid", SLA: time.Second, Elapsed: 1200 * time.Millisecond, Outcome: journey.SLABreach, Message: "no receipt " + strings.Repeat("x", 2*MaxEventMessage) + " the cause"},
			{Name: "receipt", SLA: time.Second, Outcome: journey.Skipped},
		}
		got := NewJourneyFailed(res, trigger)
		if got.Message != display.Cut(res.Steps[1].Message, MaxEventMessage) || len([]rune(got.Message)) != MaxEventMessage || !strings.HasSuffix(got.Message, "x the cause") {
			t.Errorf("message %q, want the step's, its middle cut to %d runes", got.Message, MaxEventMessage)
		}
		got.Message = ""
		want := JourneyFailed{
			RunID: "r-1", Environment: "staging", Trigger: trigger, Journey: "checkout", Tier: journey.TierGlobal,
			Owner: "team", Mode: journey.ModeObserve, Outcome: journey.SLABreach, Step: "paid", StepNumber: 2, Steps: 3,
			ElapsedMs: 1500, StepElapsedMs: 1200, StepSLAMs: 1000, Attempt: 2,
		}
		if got != want {
			t.Errorf("got\n %+v, want\n %+v", got, want)
		}
	})
	t.Run("multi-line message", func(t *testing.T) {
		res := base
		res.Outcome = journey.Failed
		res.Steps = []journey.StepResult{{Name: "paid", Outcome: journey.Failed, Message: "2 checks failed:\n\tstatus 500\n  body: {}\n"}}
		// The page quotes the message inside one text: a newline there
		// reads as a literal \n.
		if got := NewJourneyFailed(res, trigger).Message; got != "2 checks failed: status 500 body: {}" {
			t.Errorf("message %q, want it on one line", got)
		}
	})
	t.Run("no failing step", func(t *testing.T) {
		res := base
		res.Outcome, res.Message = journey.Errored, "run cancelled"
		got := NewJourneyFailed(res, trigger)
		if got.Step != "" || got.StepNumber != 0 || got.Message != "run cancelled" {
			t.Errorf("step %q #%d message %q, want no step and the journey's message", got.Step, got.StepNumber, got.Message)
		}
		// The fields the alarm topic's message and rule read are there even
		// when empty: "repeat": [false] never matches an absent field.
		b, err := json.Marshal(JourneyFailed{})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"runId", "environment", "journey", "outcome", "step", "message", "mode", "tier", "repeat"} {
			if _, ok := m[k]; !ok {
				t.Errorf("empty detail lacks %q: %s", k, b)
			}
		}
		if tr, _ := m["trigger"].(map[string]any); tr == nil || tr["type"] == nil {
			t.Errorf("empty detail lacks trigger.type: %s", b)
		}
	})
}
