package handler_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// TestPlanLeavesOutJourneysOfOtherEnvironments: a journey scoped to
// another environment is never planned here, and its target is not asked
// of this environment; naming it is an invalid request that says where it
// runs.
func TestPlanLeavesOutJourneysOfOtherEnvironments(t *testing.T) {
	login := registry(t).All()[0]
	mailbox := journey.Journey{
		Name: "mailbox", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Environments: []string{"bare"}, Targets: []string{"other"},
		Steps: []journey.Step{{Name: "mail arrives", SLA: 2 * time.Second, Do: get("/mail")}},
	}
	reg, err := journey.NewRegistry(login, mailbox)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, reg)
	var plan flow.Plan
	if err := f.invoke(t, planPayload("run-scoped", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
		t.Fatalf("plan in staging: %v", err)
	}
	var got []string
	for _, j := range plan.Journeys {
		got = append(got, j.Name)
	}
	if !slices.Equal(got, []string{"login"}) {
		t.Errorf("planned %v in staging, want [login]: mailbox runs only in bare", got)
	}
	err = f.invoke(t, planPayload("run-named", "staging", trigger.Trigger{Type: trigger.Manual}, nil, "", []string{"mailbox"}), &plan)
	if err == nil || !strings.Contains(err.Error(), `journey "mailbox" runs only in bare, not in "staging"`) {
		t.Errorf("naming mailbox in staging: %v", err)
	}
}
