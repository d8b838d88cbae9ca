package envconfig

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

// TestCheckAsksOnlyWhatApplies: a journey scoped to local needs its target
// and pool in local only; a journey of every environment needs them in
// each.
func TestCheckAsksOnlyWhatApplies(t *testing.T) {
	data := `environments:
  local:
    targets: {mailbox: "http://127.0.0.1:8025", api: "http://127.0.0.1:8080"}
    pools:
      inboxes:
        resources: [{id: a, values: {addr: a@example.com}}]
  staging:
    targets: {api: "https://api.staging.example.com"}
`
	cfg, err := Parse("envs.yaml", []byte(data), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	mailbox := journey.Journey{Name: "mail-arrives", Environments: []string{"local"}, Targets: []string{"mailbox"}, Needs: []string{"inboxes"}}
	api := journey.Journey{Name: "api-answers", Targets: []string{"api"}}
	if err := cfg.Check([]journey.Journey{mailbox, api}); err != nil {
		t.Errorf("Check of a journey scoped to local against a staging without its target and pool: %v", err)
	}
	mailbox.Environments = nil
	err = cfg.Check([]journey.Journey{mailbox, api})
	for _, want := range []string{`environments.staging.targets: missing target "mailbox" used by journey "mail-arrives"`, `environments.staging.pools: missing pool "inboxes" needed by journey mail-arrives`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check of an unscoped journey = %v, want %q", err, want)
		}
	}
}
