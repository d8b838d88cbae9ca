package cli

import (
	"context"
	"path/filepath"
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

// TestRunNamesHowManyJourneys: the line that starts a run counts its
// journeys in the singular for one, the plural otherwise.
func TestRunNamesHowManyJourneys(t *testing.T) {
	nop := func(context.Context, *journey.T) error { return nil }
	for _, tc := range []struct {
		journeys []journey.Journey
		want     string
	}{
		{[]journey.Journey{oneStep("alone", journey.ModeEnforce, nop)}, ": 1 journey against "},
		{[]journey.Journey{oneStep("one", journey.ModeEnforce, nop), oneStep("two", journey.ModeEnforce, nop)}, ": 2 journeys against "},
	} {
		useJourneys(t, tc.journeys...)
		code, stdout, stderr := runWith(t, "run", "--store", filepath.Join(t.TempDir(), "s.db"))
		if code != exitSucceeded {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, tc.want) {
			t.Errorf("output lacks %q:\n%s", tc.want, stdout)
		}
	}
}
