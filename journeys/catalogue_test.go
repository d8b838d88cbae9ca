package journeys

import (
	"testing"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/shared/journey"
)

// TestCatalogueIsValid checks the examples it knows by name; a journey
// added to the catalogue is checked by the registry's validation, never by
// a count.
func TestCatalogueIsValid(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatalf("catalogue invalid: %v", err)
	}
	want := map[string]journey.Tier{
		"alert-to-notification": journey.TierGlobal,
		"alert-to-email":        journey.TierDomain,
		"resolve-lifecycle":     journey.TierGlobal,
		"alert-grouping":        journey.TierDomain,
		"silence-suppresses":    journey.TierDomain,
		"silence-through-ui":    journey.TierDomain,
	}
	for name, tier := range want {
		j, ok := reg.Get(name)
		if !ok {
			t.Errorf("journey %s missing", name)
			continue
		}
		if j.Tier != tier {
			t.Errorf("%s tier %s, want %s", name, j.Tier, tier)
		}
		if want := name == "silence-through-ui"; j.Browser != want {
			t.Errorf("%s Browser %t, want %t: only the UI journey drives a browser", name, j.Browser, want)
		}
		if want := name == "alert-to-email"; j.Inbox != want {
			t.Errorf("%s Inbox %t, want %t: only the email journey reads mail", name, j.Inbox, want)
		}
	}
}

func TestShippedEnvironmentsDefineEveryTarget(t *testing.T) {
	cfg, err := envconfig.Parse(EnvironmentsPath, EnvironmentsFile, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Get("local"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(All()); err != nil {
		t.Fatal(err)
	}
}
