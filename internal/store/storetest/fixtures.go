package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// base has full nanosecond precision and no monotonic reading.
var base = time.Date(2025, time.March, 14, 9, 26, 53, 589793238, time.UTC)

// pst is a zone far from UTC, so ordering by wall-clock text would be caught.
var pst = time.FixedZone("PST", -8*60*60)

func at(d time.Duration) time.Time { return base.Add(d) }

func newRun(id, env string, started time.Time) store.RunRecord {
	return store.RunRecord{
		ID:          id,
		Environment: env,
		Trigger:     trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-" + id, LifecycleEventHookExecutionID: "hook-" + id, Stage: trigger.BeforeAllowTraffic},
		StartedAt:   started,
		Planned: []gate.Planned{
			{Name: "checkout", Mode: journey.ModeEnforce},
			{Name: "login", Mode: journey.ModeObserve},
		},
	}
}

// newResult returns a result with every field set, Steps and Cleanup included.
func newResult(runID, env, name string, attempt int, started time.Time) journey.Result {
	return journey.Result{
		RunID:       runID,
		Journey:     name,
		Environment: env,
		Tier:        journey.TierGlobal,
		Owner:       "team-incidents",
		Mode:        journey.ModeEnforce,
		Attempt:     attempt,
		StartedAt:   started,
		Elapsed:     4*time.Second + 123456789,
		Outcome:     journey.SLABreach,
		Message:     "step 2/3 (incident created): no incident after 3s",
		Steps: []journey.StepResult{
			{
				Name: "alert posted", SLA: 2 * time.Second, StartedAt: started,
				Elapsed: 87654321, Outcome: journey.Passed,
				Evidence: []journey.Evidence{{Label: "POST /api/v2/alerts", Detail: "200 OK"}},
			},
			{
				Name: "incident created", SLA: 3 * time.Second, StartedAt: started.Add(87654321),
				Elapsed: 3*time.Second + 1, Outcome: journey.SLABreach,
				Message: "no incident after 3s",
				Evidence: []journey.Evidence{
					{Label: "GET /api/v2/alerts/groups", Detail: "HTTP/1.1 200\n[]"},
					{Label: "last observation", Detail: "0 groups, \"überfällig\" \x01 <tag>"},
				},
			},
			{Name: "notification sent", SLA: 5 * time.Second, Outcome: journey.Skipped},
		},
		Cleanup: []journey.CleanupResult{
			{Name: "expire alert", Elapsed: 12345},
			{Name: "delete silence", Elapsed: 678, Error: "silence s-1: 404 not found"},
		},
	}
}

func newVerdict(summary string) gate.Verdict {
	return gate.Verdict{
		Status:  gate.Failed,
		Summary: summary,
		Reasons: []gate.Reason{{
			Journey: "checkout", Mode: journey.ModeEnforce, Outcome: journey.SLABreach,
			Blocking: true, Step: "incident created", StepIndex: 2, StepCount: 3,
			SLA: 3 * time.Second, Elapsed: 3*time.Second + 1, Message: "no incident after 3s",
		}},
		Passed:   1,
		Blocking: 1,
	}
}

func label(r journey.Result) string {
	return r.RunID + "/" + r.Journey + "#" + strconv.Itoa(r.Attempt)
}

func mustCreateRun(t *testing.T, s store.Store, r store.RunRecord) {
	t.Helper()
	if err := s.CreateRun(context.Background(), r); err != nil {
		t.Fatalf("CreateRun(%q): %v", r.ID, err)
	}
}

func mustPutResult(t *testing.T, s store.Store, r journey.Result) {
	t.Helper()
	if err := s.PutResult(context.Background(), r); err != nil {
		t.Fatalf("PutResult(%s): %v", label(r), err)
	}
}
