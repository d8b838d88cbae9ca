package infra

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// A journey that reads mail and runs in an environment without an inbox
// domain would end as error at every run: the stack refuses it, naming
// the journey and the fix, and takes it once the domain is set or the
// journey runs elsewhere.
func TestInboxJourneyNeedsAnInboxDomain(t *testing.T) {
	mail := journey.Journey{
		Name: "alert-by-mail", Tier: journey.TierDomain, Owner: "team", Covers: []string{"svc"}, Mode: journey.ModeEnforce, Inbox: true,
		Steps: []journey.Step{{Name: "await", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
	}
	const want = `journey "alert-by-mail" reads mail (Inbox: true) and runs in "staging", which has no inbox domain`
	for _, tt := range []struct {
		name    string
		domain  string
		envs    []string
		refused bool
	}{
		{"no domain", "", nil, true},
		{"domain", "inbox.example.com", nil, false},
		{"runs elsewhere", "", []string{"staging-b", "local"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := mail
			j.Environments = tt.envs
			other := mail
			other.Name, other.Inbox, other.Environments = "api-only", false, nil
			reg, err := journey.NewRegistry(j, other)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Props{Environment: "staging", Catalogue: reg, InboxDomain: tt.domain}.resolve()
			if got := err != nil && strings.Contains(err.Error(), want); got != tt.refused {
				t.Errorf("refused = %v, want %v (err: %v)", got, tt.refused, err)
			}
		})
	}
}
