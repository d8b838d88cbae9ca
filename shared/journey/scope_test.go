package journey_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// TestEnvironmentsScopeAJourney: a journey naming environments runs only
// there; the names are validated up front; the registry selects by
// environment and refuses a journey asked for where it does not run.
func TestEnvironmentsScopeAJourney(t *testing.T) {
	local := valid("local-mailbox", okStep("mail arrives"))
	local.Environments = []string{"local"}
	everywhere := valid("everywhere", okStep("ok"))
	if !everywhere.RunsIn("staging") || !local.RunsIn("local") || local.RunsIn("staging") {
		t.Fatalf("RunsIn: everywhere in staging %v, local in local %v, local in staging %v", everywhere.RunsIn("staging"), local.RunsIn("local"), local.RunsIn("staging"))
	}
	reg, err := journey.NewRegistry(local, everywhere)
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string][]string{"": {"local-mailbox", "everywhere"}, "local": {"local-mailbox", "everywhere"}, "staging": {"everywhere"}} {
		got, err := reg.Select(journey.Selector{Environment: env})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, j := range got {
			names = append(names, j.Name)
		}
		if !slices.Equal(names, want) {
			t.Errorf("Select(Environment %q) = %v, want %v", env, names, want)
		}
	}
	if _, err := reg.Select(journey.Selector{Names: []string{"local-mailbox"}, Environment: "staging"}); err == nil || !strings.Contains(err.Error(), `journey "local-mailbox" runs only in local, not in "staging"`) {
		t.Errorf("naming a journey where it does not run: %v", err)
	}
	bad := local
	bad.Environments = []string{"local", "Staging", "local"}
	err = journey.Validate([]journey.Journey{bad})
	for _, want := range []string{`journey "local-mailbox": environments.1: "Staging" is not an environment name`, `journey "local-mailbox": environments.2: "local" is listed twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

// TestFingerprint: what sizes and checks a deployment changes the
// fingerprint; order, descriptions, owners, coverage and code do not.
func TestFingerprint(t *testing.T) {
	a := valid("a", okStep("one"), okStep("two"))
	b := valid("b", okStep("one"))
	base := journey.Fingerprint([]journey.Journey{a, b})
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+24 {
		t.Fatalf("fingerprint %q", base)
	}
	if got := journey.Fingerprint([]journey.Journey{b, a}); got != base {
		t.Errorf("order changed the fingerprint: %s, %s", got, base)
	}
	same := a
	same.Description, same.Owner, same.Covers = "other words", "team-b", []string{"x"}
	same.Steps = []journey.Step{step("one", time.Second, nil), okStep("two")}
	if got := journey.Fingerprint([]journey.Journey{same, b}); got != base {
		t.Errorf("description, owner, coverage or a step's code changed the fingerprint")
	}
	reg, err := journey.NewRegistry(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Fingerprint() != base {
		t.Errorf("Registry.Fingerprint %s, want %s", reg.Fingerprint(), base)
	}
	for name, change := range map[string]func(j *journey.Journey){
		"name":         func(j *journey.Journey) { j.Name = "c" },
		"tier":         func(j *journey.Journey) { j.Tier = journey.TierDomain },
		"mode":         func(j *journey.Journey) { j.Mode = journey.ModeObserve },
		"environments": func(j *journey.Journey) { j.Environments = []string{"local"} },
		"targets":      func(j *journey.Journey) { j.Targets = []string{"api"} },
		"pools":        func(j *journey.Journey) { j.Needs = []string{"tenants"} },
		"step SLA":     func(j *journey.Journey) { j.Steps = []journey.Step{okStep("one"), step("two", 2*time.Second, nil)} },
		"step name":    func(j *journey.Journey) { j.Steps = []journey.Step{okStep("one"), okStep("three")} },
		"a step more":  func(j *journey.Journey) { j.Steps = append(slices.Clone(j.Steps), okStep("three")) },
		"attempts":     func(j *journey.Journey) { j.Retry.MaxAttempts = 3 },
		"retry on":     func(j *journey.Journey) { j.Retry.On = []journey.Outcome{journey.Failed} },
		"retry delay":  func(j *journey.Journey) { j.Retry.Delay = time.Second },
		"cleanup":      func(j *journey.Journey) { j.CleanupBudget = time.Minute },
	} {
		c := a
		change(&c)
		if got := journey.Fingerprint([]journey.Journey{c, b}); got == base {
			t.Errorf("changing the %s left the fingerprint %s", name, got)
		}
	}
	if got := journey.Fingerprint([]journey.Journey{a}); got == base {
		t.Errorf("dropping a journey left the fingerprint")
	}
}
