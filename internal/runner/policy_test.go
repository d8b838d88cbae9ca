package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// TestRunAppliesFreezeAndOverride drives the local runner through the
// policies: a failing scheduled run freezes a run that gates a deployment;
// an override recorded for that deployment lets it through, audited in the
// recorded verdict.
func TestRunAppliesFreezeAndOverride(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	deps := Deps{Store: st}
	global := testJourney("alert-to-notification", journey.ModeEnforce, fail)
	healthy := testJourney("alert-grouping", journey.ModeEnforce, pass)

	sched := plan(global)
	sched.Trigger = trigger.Trigger{Type: trigger.Schedule}
	sched.FreezeWindow = 30 * time.Minute
	out := Run(ctx, sched, deps)
	if out.Verdict.Status != gate.Failed || hasFreeze(out.Verdict) {
		t.Fatalf("scheduled run: %s %+v; want Failed by its own journey, never frozen", out.Verdict.Status, out.Verdict.Reasons)
	}

	deploy := func(deployment string, window time.Duration) Outcome {
		p := plan(healthy)
		p.Trigger, p.FreezeWindow = trigger.Trigger{Type: trigger.CLI, DeploymentID: deployment}, window
		return Run(ctx, p, deps)
	}
	frozen := deploy("d-1", 30*time.Minute)
	if frozen.Verdict.Status != gate.Failed || !hasFreeze(frozen.Verdict) {
		t.Fatalf("deployment run: %s %q; want frozen", frozen.Verdict.Status, frozen.Verdict.Summary)
	}
	for _, w := range []string{"alert-to-notification", sched.RunID, "journeygate show " + sched.RunID} {
		if !strings.Contains(frozen.Verdict.Summary, w) {
			t.Errorf("freeze summary lacks %q: %q", w, frozen.Verdict.Summary)
		}
	}
	if v := deploy("d-1", 0).Verdict; v.Status != gate.Succeeded {
		t.Errorf("freeze off: %s %q", v.Status, v.Summary)
	}
	if v := deploy("", 30*time.Minute).Verdict; v.Status != gate.Succeeded {
		t.Errorf("a run gating no deployment is not frozen: %s %q", v.Status, v.Summary)
	}

	now := time.Now().UTC()
	o := gate.Override{Deployment: "d-1", By: "alice", Reason: "INC-42: the scheduled failure is a known alerting outage", At: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.(store.OverrideStore).PutOverride(ctx, o); err != nil {
		t.Fatal(err)
	}
	over := deploy("d-1", 30*time.Minute)
	if over.Verdict.Status != gate.Succeeded || over.Verdict.Overridden == nil || over.Verdict.Overridden.By != "alice" || !hasFreeze(over.Verdict) {
		t.Fatalf("overridden run: %+v", over.Verdict)
	}
	rec, err := st.GetRun(ctx, over.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Verdict == nil || rec.Verdict.Overridden == nil || rec.Verdict.Overridden.Reason != o.Reason || rec.Trigger.Deployment() != "d-1" {
		t.Errorf("recorded run %+v: want the overridden verdict with its audit", rec)
	}
	if v := deploy("d-2", 30*time.Minute).Verdict; v.Status != gate.Failed || v.Overridden != nil {
		t.Errorf("another deployment is not overridden: %s %q", v.Status, v.Summary)
	}
}

func hasFreeze(v gate.Verdict) bool {
	for _, r := range v.Reasons {
		if r.Policy == gate.PolicyFreeze {
			return true
		}
	}
	return false
}
