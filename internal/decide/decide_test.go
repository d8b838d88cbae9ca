package decide_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/decide"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// verdicts is the narrow part of a store Record uses: PutVerdict and
// GetRun (the rest of store.Store is nil and never called).
type verdicts struct {
	store.Store
	putErr error
	kept   *gate.Verdict
}

func (v *verdicts) PutVerdict(_ context.Context, _ string, vd gate.Verdict, _ time.Time) error {
	if v.putErr != nil {
		return v.putErr
	}
	if v.kept != nil {
		return store.ErrExists
	}
	v.kept = &vd
	return nil
}

func (v *verdicts) GetRun(_ context.Context, id string) (store.RunRecord, error) {
	return store.RunRecord{ID: id, Verdict: v.kept}, nil
}

var log = slog.New(slog.DiscardHandler)

func failing() gate.Input {
	o := gate.Override{Deployment: "d-1", By: "alice", Reason: "known outage", At: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	return gate.Input{
		Planned: []gate.Planned{{Name: "checkout", Mode: journey.ModeEnforce}},
		Results: []journey.Result{{Journey: "checkout", Attempt: 1, Outcome: journey.Failed, Mode: journey.ModeEnforce}},
		Policy:  gate.Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, Now: time.Now(), Overrides: []gate.Override{o}},
	}
}

func TestRecordKeepsTheFirstVerdict(t *testing.T) {
	st := &verdicts{}
	pass := gate.Input{Planned: []gate.Planned{{Name: "checkout", Mode: journey.ModeEnforce}}, Results: []journey.Result{{Journey: "checkout", Attempt: 1, Outcome: journey.Passed, Mode: journey.ModeEnforce}}}
	first, already := decide.Record(t.Context(), st, "run-1", pass, time.Now(), log)
	if first.Status != gate.Succeeded || already || st.kept == nil {
		t.Fatalf("first: %s, already %v", first.Status, already)
	}
	again, already := decide.Record(t.Context(), st, "run-1", failing(), time.Now(), log)
	if again.Status != gate.Succeeded || !already {
		t.Errorf("a second decision got %s (already %v), want the recorded Succeeded kept", again.Status, already)
	}
}

// A verdict that cannot be recorded fails closed, and no override
// applies, since its use would not be on record.
func TestRecordFailsClosed(t *testing.T) {
	st := &verdicts{putErr: errors.New("ProvisionedThroughputExceededException")}
	v, already := decide.Record(t.Context(), st, "run-1", failing(), time.Now(), log)
	if v.Status != gate.Failed || already || v.Overridden != nil || !strings.Contains(v.Summary+fmtReasons(v), "recording the verdict: ProvisionedThroughputExceededException") {
		t.Errorf("verdict %s, overridden %v: %s %s; want Failed naming the lost record, no override", v.Status, v.Overridden, v.Summary, fmtReasons(v))
	}
	if v, _ := decide.Record(t.Context(), nil, "run-1", failing(), time.Now(), log); v.Status != gate.Succeeded || v.Overridden == nil {
		t.Errorf("without a store the override applies as decided: %s", v.Summary)
	}
}

func fmtReasons(v gate.Verdict) string {
	var b strings.Builder
	for _, r := range v.Reasons {
		b.WriteString(r.Message + ";")
	}
	return b.String()
}
