package infra

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/fuzzcheck"
)

// TestParseConfigInbox: inbox_domain and inbox_rule_set reach the props,
// expanded, and a wrong one is reported with its line.
func TestParseConfigInbox(t *testing.T) {
	envs := fuzzcheck.Sample(t, "journeys/environments.yaml")
	getenv := func(k string) string { return map[string]string{"INBOX": "inbox.example.com"}[k] }
	ds, err := ParseConfig(ConfigPath, []byte("environments:\n  staging:\n    inbox_domain: ${INBOX}\n    inbox_rule_set: team-rules\n"), getenv, shippedEnvironments(envs))
	if err != nil {
		t.Fatal(err)
	}
	if p := ds[0].Props; p.InboxDomain != "inbox.example.com" || p.InboxRuleSet != "team-rules" {
		t.Errorf("InboxDomain %q, InboxRuleSet %q", p.InboxDomain, p.InboxRuleSet)
	}
	for _, tt := range []struct{ name, data, want string }{
		{"an address", "environments:\n  staging:\n    inbox_domain: jg@inbox.example.com\n", ConfigPath + `:3: environments.staging.inbox_domain: "jg@inbox.example.com": a domain, not an address`},
		{"not a domain", "environments:\n  staging:\n    inbox_domain: inbox_example\n", ConfigPath + `:3: environments.staging.inbox_domain: "inbox_example": want a lowercase domain name`},
		{"rule set without a domain", "environments:\n  staging:\n    inbox_rule_set: team-rules\n", ConfigPath + `:3: environments.staging.inbox_rule_set: "team-rules": set without an inbox domain`},
		{"rule set name", "environments:\n  staging:\n    inbox_domain: inbox.example.com\n    inbox_rule_set: \"-rules\"\n", ConfigPath + `:4: environments.staging.inbox_rule_set: "-rules": not an SES receipt rule set name`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(ConfigPath, []byte(tt.data), getenv, shippedEnvironments(envs))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
