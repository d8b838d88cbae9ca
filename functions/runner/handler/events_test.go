package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// fakeEvents records every PutEvents entry; err fails the call, and
// reject makes EventBridge reject the entry.
type fakeEvents struct {
	mu      sync.Mutex
	entries []ebtypes.PutEventsRequestEntry
	err     error
	reject  bool
}

func (f *fakeEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, in.Entries...)
	if f.err != nil {
		return nil, f.err
	}
	if f.reject {
		return &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []ebtypes.PutEventsResultEntry{{
			ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again"),
		}}}, nil
	}
	return &eventbridge.PutEventsOutput{}, nil
}

// take returns the entries recorded so far and forgets them.
func (f *fakeEvents) take() []ebtypes.PutEventsRequestEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.entries
	f.entries = nil
	return out
}

// latest returns the stored result of name in run with the highest attempt.
func latest(t *testing.T, f *fixture, run, name string) journey.Result {
	t.Helper()
	results, err := f.store.Results(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	var out journey.Result
	for _, r := range results {
		if r.Journey == name && r.Attempt > out.Attempt {
			out = r
		}
	}
	if out.Attempt == 0 {
		t.Fatalf("no result of %s recorded", name)
	}
	return out
}

// eventsRegistry is metricsRegistry plus an enforce-mode assertion failure.
func eventsRegistry(t *testing.T) *journey.Registry {
	t.Helper()
	js := metricsRegistry(t).All()
	js = append(js, journey.Journey{
		Name: "search", Description: "search", Tier: journey.TierDomain, Owner: "search-team", Covers: []string{"payments"},
		Mode: journey.ModeEnforce, Targets: []string{"api"},
		Steps: []journey.Step{
			{Name: "login answers", SLA: time.Second, Do: get("/login")},
			{Name: "search answers", SLA: time.Second, Do: get("/search")},
		},
	})
	reg, err := journey.NewRegistry(js...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRunPublishesJourneyFailed(t *testing.T) {
	events := &fakeEvents{}
	f := newFixtureWith(t, eventsRegistry(t), runner.WithEvents(events, "journeygate-bus"))
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-events", "staging", deploy, []string{"payments"}, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		journey    string
		trigger    trigger.Trigger
		want       journey.Outcome
		wantEvent  bool
		mode       journey.Mode
		tier       journey.Tier
		owner      string
		step       string
		stepNumber int
		steps      int
		stepSLAMs  int64
		message    string
	}{
		{journey: "checkout", trigger: deploy, want: journey.Passed},
		{"slow", deploy, journey.SLABreach, true, journey.ModeEnforce, journey.TierDomain, "team", "confirmation arrives", 2, 3, 50, "context deadline exceeded"},
		{"broken", deploy, journey.Errored, true, journey.ModeEnforce, journey.TierGlobal, "team", "dependency answers", 1, 1, 1000, "connection refused"},
		{"search", deploy, journey.Failed, true, journey.ModeEnforce, journey.TierDomain, "search-team", "search answers", 2, 2, 1000, "404"},
		{"observed", deploy, journey.Failed, true, journey.ModeObserve, journey.TierGlobal, "team", "search answers", 1, 1, 1000, "404"},
		// Without a trigger in the request, the run record's type is used.
		{"search", trigger.Trigger{}, journey.Failed, true, journey.ModeEnforce, journey.TierDomain, "search-team", "search answers", 2, 2, 1000, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.journey+"/"+string(tt.want), func(t *testing.T) {
			var sum flow.JourneySummary
			if err := f.invoke(t, runPayload("r-events", tt.journey, tt.trigger), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Outcome != tt.want {
				t.Fatalf("outcome %s, want %s (%s)", sum.Outcome, tt.want, sum.Message)
			}
			entries := events.take()
			if !tt.wantEvent {
				if len(entries) != 0 {
					t.Fatalf("a passing journey published %d events", len(entries))
				}
				return
			}
			if len(entries) != 1 {
				t.Fatalf("published %d events, want one", len(entries))
			}
			e := entries[0]
			if aws.ToString(e.Source) != "journeygate" || aws.ToString(e.DetailType) != "Journey Failed" || aws.ToString(e.EventBusName) != "journeygate-bus" {
				t.Errorf("source %q detail type %q bus %q, want journeygate, Journey Failed, journeygate-bus",
					aws.ToString(e.Source), aws.ToString(e.DetailType), aws.ToString(e.EventBusName))
			}
			// The paths the alarm topic's message reads are always there.
			var raw map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &raw); err != nil {
				t.Fatalf("detail %s: %v", aws.ToString(e.Detail), err)
			}
			for _, k := range []string{"runId", "environment", "journey", "outcome", "step", "message", "trigger", "mode"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("detail lacks %q: %s", k, aws.ToString(e.Detail))
				}
			}
			var d flow.JourneyFailed
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
				t.Fatal(err)
			}
			res := latest(t, f, "r-events", tt.journey)
			want := flow.JourneyFailed{
				RunID: "r-events", Environment: "staging", Trigger: deploy, Journey: tt.journey,
				Tier: tt.tier, Owner: tt.owner, Mode: tt.mode, Outcome: tt.want,
				Step: tt.step, StepNumber: tt.stepNumber, Steps: tt.steps, Message: d.Message,
				ElapsedMs: res.Elapsed.Milliseconds(), StepElapsedMs: res.Steps[tt.stepNumber-1].Elapsed.Milliseconds(),
				StepSLAMs: tt.stepSLAMs, Attempt: res.Attempt,
			}
			// A request without its trigger gets the recorded one, whole.
			if d != want {
				t.Errorf("detail\n %+v, want\n %+v", d, want)
			}
			if !strings.Contains(d.Message, tt.message) || strings.HasPrefix(d.Message, "step ") {
				t.Errorf("message %q, want the failing step's message containing %q", d.Message, tt.message)
			}
		})
	}
}

func TestPublishFailureChangesNothing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		events  *fakeEvents
		wantLog string
	}{
		{"call fails", &fakeEvents{err: errors.New("AccessDeniedException: not authorized")}, "AccessDeniedException"},
		{"entry rejected", &fakeEvents{reject: true}, "InternalFailure: try again"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := newFixtureWith(t, metricsRegistry(t),
				runner.WithEvents(tt.events, ""),
				runner.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			var plan flow.Plan
			if err := f.invoke(t, planPayload("r-evfail", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
				t.Fatal(err)
			}
			var sum flow.JourneySummary
			if err := f.invoke(t, runPayload("r-evfail", "slow", deploy), &sum); err != nil {
				t.Fatalf("a publishing error failed the run: %v", err)
			}
			if sum.Journey != "slow" || sum.Outcome != journey.SLABreach || sum.Attempt != 1 || !strings.Contains(sum.Message, "step 2/3 (confirmation arrives)") {
				t.Errorf("summary %+v, want sla-breach attempt 1 at step 2/3", sum)
			}
			if res := recorded(t, f, "r-evfail", "slow"); res.Outcome != journey.SLABreach {
				t.Errorf("recorded %s, want sla-breach", res.Outcome)
			}
			entries := tt.events.take()
			if len(entries) != 1 || aws.ToString(entries[0].EventBusName) != "default" {
				t.Errorf("entries %v, want one attempt on the default bus", entries)
			}
			if !strings.Contains(logs.String(), "journey-failed event not published") || !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("the publishing error is not logged:\n%s", logs.String())
			}
		})
	}
}
