package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/paging"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/dynalite"
)

// TestScheduledFailuresPageOncePerStreak runs scheduled runs of one
// enforced global journey through the runner Lambda on the DynamoDB store
// served by dynalite, breaking and healing it, and reads each Journey
// Failed event's repeat flag: the first failure of a streak is no repeat,
// the next ones are; a pass ends the streak; a deployment gate's failure
// is never a repeat and leaves the streak alone; a store error is no
// repeat; and a page whose event was not published is not taken for sent.
func TestScheduledFailuresPageOncePerStreak(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := "journeygate-paging"
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table)
	var broken atomic.Bool
	reg, err := journey.NewRegistry(journey.Journey{
		Name: "login", Description: "login", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Targets: []string{"api"},
		Steps: []journey.Step{{Name: "login works", SLA: time.Second, Do: func(context.Context, *journey.T) error {
			if broken.Load() {
				return journey.Failf("login answered 503")
			}
			return nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	envs, err := envconfig.Parse("envs.yaml", []byte("environments:\n  staging:\n    targets:\n      api: http://127.0.0.1:1\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	events := &fakeEvents{}
	newRunner := func(opts ...runner.Option) lambda.Handler {
		rh, err := runner.New(reg, envs, st, append([]runner.Option{runner.WithEvents(events, "bus")}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return lambda.NewHandler(rh.Handle)
	}
	h := newRunner()
	schedule := trigger.Trigger{Type: trigger.Schedule, Source: "paging-test"}
	gateRun := trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-paging", LifecycleEventHookExecutionID: "h-paging"}

	// run plans and runs login in runID and returns its Journey Failed
	// event, or nil when it published none.
	run := func(t *testing.T, h lambda.Handler, runID string, trig trigger.Trigger) *flow.JourneyFailed {
		t.Helper()
		in := flow.Input{RunID: runID, Environment: "staging", Trigger: trig, Journeys: []string{"login"}}
		var plan flow.Plan
		invokeJSON(t, h, flow.RunnerRequest{Action: flow.ActionPlan, Input: &in}, &plan)
		var sum flow.JourneySummary
		invokeJSON(t, h, flow.RunnerRequest{Action: flow.ActionRun, RunRequest: flow.RunRequest{
			RunID: runID, Environment: "staging", Journey: "login", Trigger: trig, TimeoutSeconds: 30,
		}}, &sum)
		if want := map[bool]journey.Outcome{false: journey.Passed, true: journey.Failed}[broken.Load()]; sum.Outcome != want {
			t.Fatalf("run %s: login %s, want %s (%s)", runID, sum.Outcome, want, sum.Message)
		}
		entries := events.take()
		switch {
		case len(entries) == 0:
			return nil
		case len(entries) > 1:
			t.Fatalf("run %s published %d events, want at most one", runID, len(entries))
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(entries[0].Detail)), &raw); err != nil {
			t.Fatal(err)
		}
		if _, ok := raw["repeat"].(bool); !ok {
			t.Errorf("run %s: the detail has no boolean repeat: %s", runID, aws.ToString(entries[0].Detail))
		}
		var d flow.JourneyFailed
		if err := json.Unmarshal([]byte(aws.ToString(entries[0].Detail)), &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	expect := func(t *testing.T, h lambda.Handler, runID string, trig trigger.Trigger, repeat bool) *flow.JourneyFailed {
		t.Helper()
		d := run(t, h, runID, trig)
		if d == nil {
			t.Fatalf("run %s: no Journey Failed event", runID)
		}
		if d.Repeat != repeat {
			t.Errorf("run %s: repeat %v, want %v", runID, d.Repeat, repeat)
		}
		return d
	}
	startOf := func(t *testing.T, runID string) time.Time {
		t.Helper()
		rs, err := st.Results(t.Context(), runID)
		if err != nil || len(rs) == 0 {
			t.Fatalf("results of %s: %v, %v", runID, rs, err)
		}
		return rs[0].StartedAt
	}

	broken.Store(true)
	first := expect(t, h, "s-1", schedule, false)
	if !first.FailingSince.Equal(startOf(t, "s-1")) {
		t.Errorf("s-1: failing since %s, want its own start %s", first.FailingSince, startOf(t, "s-1"))
	}
	second := expect(t, h, "s-2", schedule, true)
	if !second.FailingSince.Equal(startOf(t, "s-1")) {
		t.Errorf("s-2: failing since %s, want the streak's start %s", second.FailingSince, startOf(t, "s-1"))
	}
	expect(t, h, "s-3", schedule, true)

	broken.Store(false)
	if d := run(t, h, "s-4", schedule); d != nil {
		t.Fatalf("a passing run published %+v", d)
	}
	broken.Store(true)
	expect(t, h, "s-5", schedule, false)
	// A deployment gate's failure is not a scheduled one: never a repeat,
	// and it neither ends nor starts a streak.
	if d := expect(t, h, "d-1", gateRun, false); !d.FailingSince.IsZero() {
		t.Errorf("d-1: failing since %s, want none for a gate run", d.FailingSince)
	}
	expect(t, h, "s-6", schedule, true)

	// A store error pages: a pager over a table that does not exist.
	missing, err := paging.New(dynamo.New(client, "journeygate-no-such-table"))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, newRunner(runner.WithPager(missing)), "s-7", schedule, false)

	// A new streak whose first event was not published: the next failure pages.
	broken.Store(false)
	run(t, h, "s-8", schedule)
	broken.Store(true)
	down := &fakeEvents{err: errors.New("ServiceUnavailable")}
	rh, err := runner.New(reg, envs, st, runner.WithEvents(down, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, lambda.NewHandler(rh.Handle), "s-9", schedule)
	if n := len(down.take()); n != 1 {
		t.Fatalf("s-9 tried %d events, want one", n)
	}
	expect(t, h, "s-10", schedule, false)
	expect(t, h, "s-11", schedule, true)
}
