package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// TestRunSelectsTheEnvironmentsJourneys: `journeygate run --env staging`
// leaves out a journey scoped to another environment (as the runner's Plan
// does), and naming one is a usage error saying where it runs.
func TestRunSelectsTheEnvironmentsJourneys(t *testing.T) {
	step := []journey.Step{{Name: "s", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}}
	reg, err := journey.NewRegistry(
		journey.Journey{Name: "everywhere", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Steps: step},
		journey.Journey{Name: "local-only", Tier: journey.TierGlobal, Environments: []string{"local"}, Owner: "team", Mode: journey.ModeEnforce, Steps: step},
	)
	if err != nil {
		t.Fatal(err)
	}
	names := func(js []journey.Journey) string {
		var out []string
		for _, j := range js {
			out = append(out, j.Name)
		}
		return strings.Join(out, ",")
	}
	for env, want := range map[string]string{"staging": "everywhere", "local": "everywhere,local-only", "": "everywhere,local-only"} {
		got, err := selectJourneys(reg, nil, "", env)
		if err != nil || names(got) != want {
			t.Errorf("environment %q: %s, %v; want %s", env, names(got), err, want)
		}
	}
	if _, err := selectJourneys(reg, []string{"local-only"}, "", "staging"); err == nil || !strings.Contains(err.Error(), "local") {
		t.Errorf("naming a journey scoped to local in staging: %v, want an error saying where it runs", err)
	}
}
