package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// TestListJSONSaysWhichJourneysDriveABrowser: list --json gives every
// journey its fields, browser among them (true for the example
// catalogue's UI journey only), one "browser": true line per browser
// journey, as a starter's make build looks for it to decide whether to
// build the browser runner and stage Chromium.
func TestListJSONSaysWhichJourneysDriveABrowser(t *testing.T) {
	code, out, stderr := runCLI(t, "list", "--json")
	if code != exitSucceeded {
		t.Fatalf("list --json: exit %d: %s", code, stderr)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(entries) < 2 {
		t.Fatalf("list --json lists %d journeys, want the example catalogue's:\n%s", len(entries), out)
	}
	for _, e := range entries {
		for _, field := range []string{"name", "description", "tier", "owner", "covers", "mode", "browser", "steps"} {
			if _, ok := e[field]; !ok {
				t.Errorf("%v: no %q", e["name"], field)
			}
		}
		if want := e["name"] == "silence-through-ui"; e["browser"] != want {
			t.Errorf("%v: browser %v, want %t", e["name"], e["browser"], want)
		}
	}
	if n := strings.Count(out, `"browser": true`); n != 1 {
		t.Errorf(`list --json has %d "browser": true, want 1 (silence-through-ui):%s`, n, out)
	}

	// A catalogue without a browser journey has no "browser": true.
	pass := func(context.Context, *journey.T) error { return nil }
	useJourneys(t,
		oneStep("checkout", journey.ModeEnforce, pass),
		journey.Journey{Name: "order-page", Description: `says "browser": true in its description`, Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
			Steps: []journey.Step{{Name: "answers", SLA: 2 * time.Second, Do: pass}}})
	code, out, stderr = runCLI(t, "list", "--json")
	if code != exitSucceeded {
		t.Fatalf("list --json: exit %d: %s", code, stderr)
	}
	if strings.Contains(out, `"browser": true`) || strings.Count(out, `"browser": false`) != 2 {
		t.Errorf(`a catalogue of API journeys: want two "browser": false and no "browser": true:%s`, out)
	}
}
