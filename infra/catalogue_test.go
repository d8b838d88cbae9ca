package infra_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
)

// testJourney is a valid global journey of one step of sla.
func testJourney(name string, sla time.Duration) journey.Journey {
	return journey.Journey{
		Name: name, Description: name + " works", Tier: journey.TierGlobal, Owner: "team-b", Mode: journey.ModeEnforce,
		Steps: []journey.Step{{Name: "done", SLA: sla, Do: func(context.Context, *journey.T) error { return nil }}},
	}
}

// catalogue is a registry of js, or the test fails.
func catalogue(t *testing.T, js ...journey.Journey) *journey.Registry {
	t.Helper()
	reg, err := journey.NewRegistry(js...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestConstructIsSizedAndAlarmedFromTheCatalogue: Props.Catalogue is the
// registry itself, and everything the stack says about journeys comes from
// its journeys that run in the stack's environment: the runner's timeout
// (a slow journey raises it), one alarm per global journey (none for a
// journey left out of the catalogue, none for one scoped to local), the
// dashboard's rows, and the fingerprint the runner checks at start.
func TestConstructIsSizedAndAlarmedFromTheCatalogue(t *testing.T) {
	var kept []journey.Journey
	for _, j := range journeys.All() {
		if j.Name != "resolve-lifecycle" { // a global journey this team does not run
			kept = append(kept, j)
		}
	}
	slow := testJourney("slow-checkout", 3*time.Minute)
	local := testJourney("local-mailbox", time.Second)
	local.Environments, local.Targets = []string{"local"}, []string{"mailbox"}
	reg := catalogue(t, append(kept, slow, local)...)
	s, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) { d.Props.Catalogue = reg })
	if err != nil {
		t.Fatal(err)
	}
	runner := s.Template.Resources[idOf(t, s, infra.FunctionRunner)].Properties
	timeout := time.Duration(runner["Timeout"].(float64)) * time.Second
	if need := flow.JourneyTimeout(slow, flow.DefaultTimeoutMargin); timeout <= need || timeout > need+time.Minute {
		t.Errorf("runner timeout %s, want just above slow-checkout's %s", timeout, need)
	}
	vars := runner["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got := vars["JOURNEYGATE_CATALOGUE_FINGERPRINT"]; got != reg.Fingerprint() || s.Gate.CatalogueFingerprint() != reg.Fingerprint() {
		t.Errorf("runner's JOURNEYGATE_CATALOGUE_FINGERPRINT %v (construct %s), want the catalogue's %s", got, s.Gate.CatalogueFingerprint(), reg.Fingerprint())
	}

	var alarms []string
	for _, id := range s.Template.OfType("AWS::CloudWatch::Alarm") {
		alarms = append(alarms, s.Template.Resources[id].Properties["AlarmName"].(string))
	}
	slices.Sort(alarms)
	want := []string{
		"journeygate-staging-alert-to-notification", "journeygate-staging-domain-journeys", "journeygate-staging-executions-failed",
		"journeygate-staging-global-journeys", "journeygate-staging-slow-checkout",
	}
	if !slices.Equal(alarms, want) {
		t.Errorf("alarms %v, want %v", alarms, want)
	}

	body, _ := json.Marshal(s.Template.Resources[s.Template.OfType("AWS::CloudWatch::Dashboard")[0]].Properties["DashboardBody"])
	for _, j := range reg.All() {
		if shown := strings.Contains(string(body), `\"label\":\"`+j.Name+`\"`); shown != j.RunsIn("staging") {
			t.Errorf("dashboard row for %s: %v, want %v (runs in staging: %v)", j.Name, shown, j.RunsIn("staging"), j.RunsIn("staging"))
		}
	}
	if strings.Contains(string(body), "resolve-lifecycle") {
		t.Error("the dashboard shows resolve-lifecycle, which is not in the catalogue")
	}
}

// TestCatalogueIsRequired: a stack without a catalogue, or whose catalogue
// has nothing for its environment, is a synth error saying what to set.
func TestCatalogueIsRequired(t *testing.T) {
	local := testJourney("local-mailbox", time.Second)
	local.Environments = []string{"local"}
	for _, tc := range []struct {
		name string
		reg  *journey.Registry
		want string
	}{
		{"none", nil, "no catalogue: set Props.Catalogue to the registry the runner registers"},
		{"nothing for staging", catalogue(t, local), `the catalogue (Props.Catalogue): none of its 1 journeys runs in "staging"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) { d.Props.Catalogue = tc.reg })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
