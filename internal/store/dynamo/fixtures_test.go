package dynamo_test

import (
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

var t0 = time.Date(2025, time.March, 14, 9, 0, 0, 0, time.UTC)

func runRecord(id string) store.RunRecord {
	return store.RunRecord{ID: id, Environment: "local", Trigger: trigger.Trigger{Type: trigger.CLI}, StartedAt: t0}
}

func result(runID, name string, attempt int) journey.Result {
	return journey.Result{
		RunID: runID, Journey: name, Environment: "local", Attempt: attempt,
		StartedAt: t0.Add(time.Duration(attempt) * time.Millisecond), Outcome: journey.Passed,
	}
}
