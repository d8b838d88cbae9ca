package infra

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
)

// slowJourney is a journey whose Task timeout is about sla plus the margin
// (one attempt, one step).
func slowJourney(name string, sla time.Duration) journey.Journey {
	return journey.Journey{Name: name, Tier: journey.TierGlobal, Retry: journey.Retry{MaxAttempts: 1},
		Steps: []journey.Step{{Name: "wait", SLA: sla}}}
}

// TestRunBudget: the worst case is Plan, then ⌈journeys ÷ concurrency⌉
// rounds of the slowest Task, then every Decide attempt with its retry
// waits, then the last resort; a deployment-group stack whose worst case
// is over CodeDeploy's hour is refused at synth with the arithmetic and
// the slowest journeys named.
func TestRunBudget(t *testing.T) {
	js := []journey.Journey{slowJourney("a", 10*time.Minute), slowJourney("b", 10*time.Minute), slowJourney("c", time.Minute)}
	b := RunBudget(js, flow.DefaultTimeoutMargin, 1)
	round := flow.JourneyTimeout(js[0], flow.DefaultTimeoutMargin)
	decide := 3*seconds(flow.GateTimeoutSeconds) + 5*time.Second + 10*time.Second
	want := seconds(flow.PlanTimeoutSeconds) + 3*round + decide + seconds(flow.LastResortTimeoutSeconds)
	if b.Rounds != 3 || b.Round != round || b.Decide != decide || b.Total() != want {
		t.Errorf("budget %+v (total %s), want 3 rounds of %s, decide %s, total %s", b, b.Total(), round, decide, want)
	}
	if got := strings.Join(b.Slowest, ","); got != "a,b" {
		t.Errorf("slowest %q, want a,b", got)
	}

	p := Props{DeploymentGroups: []string{"app/group"}, TimeoutMargin: flow.DefaultTimeoutMargin, MaxConcurrency: 1}
	err := checkBudget(p, js)
	if err != nil {
		t.Fatalf("3 journeys of 10 minutes one at a time fit an hour, yet: %v", err)
	}
	for i := range 3 {
		js = append(js, slowJourney(string(rune('d'+i)), 10*time.Minute))
	}
	err = checkBudget(p, js)
	if err == nil {
		t.Fatal("6 journeys of 10 minutes one at a time fit CodeDeploy's hour, says checkBudget")
	}
	for _, s := range []string{"over the 1h0m0s CodeDeploy waits for a lifecycle hook", "⌈6 journeys ÷ 1 at once⌉ = 6 ×", "(slowest: a, b, d, e, f)", "decide 6m15s (3 attempts of 2m0s", "raise MaxConcurrency (at most 40)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q:\n%v", s, err)
		}
	}
	p.MaxConcurrency = 6
	if err := checkBudget(p, js); err != nil {
		t.Errorf("6 at once fit: %v", err)
	}
	p.MaxConcurrency, p.DeploymentGroups = 1, nil
	if err := checkBudget(p, js); err != nil {
		t.Errorf("without deployment groups nothing waits an hour (CodePipeline continues): %v", err)
	}
}

// TestTooManyJourneysForOneRun: a catalogue one run cannot plan is a synth
// error, not a scheduled run failing at Plan every time.
func TestTooManyJourneysForOneRun(t *testing.T) {
	var js []journey.Journey
	for i := range flow.MaxJourneysPerRun + 1 {
		j := slowJourney(fmt.Sprintf("j%03d", i), time.Second)
		j.Owner, j.Mode = "team", journey.ModeEnforce
		j.Steps[0].Do = func(context.Context, *journey.T) error { return nil }
		js = append(js, j)
	}
	catalogue := func(js []journey.Journey) *journey.Registry {
		reg, err := journey.NewRegistry(js...)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	_, err := Props{Environment: "staging", Catalogue: catalogue(js)}.resolve()
	if err == nil || !strings.Contains(err.Error(), "101 journeys: one run plans at most 100") {
		t.Errorf("err = %v, want the catalogue refused", err)
	}
	_, err = Props{Environment: "staging", Catalogue: catalogue(js[:flow.MaxJourneysPerRun])}.resolve()
	if err != nil && strings.Contains(err.Error(), "one run plans at most") {
		t.Errorf("100 journeys refused: %v", err)
	}
}

// DeploymentServices names only deployment groups the stack reports to,
// and services some journey running in the environment covers: a typo
// would silently run the global journeys only (issue 20 item 5).
func TestDeploymentServicesAreChecked(t *testing.T) {
	j := slowJourney("notify", time.Second)
	j.Owner, j.Mode, j.Tier, j.Covers = "team", journey.ModeEnforce, journey.TierDomain, []string{"notifier"}
	j.Steps[0].Do = func(context.Context, *journey.T) error { return nil }
	reg, err := journey.NewRegistry(j)
	if err != nil {
		t.Fatal(err)
	}
	p := Props{Environment: "staging", Catalogue: reg, DeploymentGroups: []string{"app/group"},
		DeploymentServices: map[string][]string{"app/group": {"notifier", "notfier"}, "app/other": {"notifier"}}}
	errs := p.checkDeploymentServices()
	got := fmt.Sprint(errs)
	for _, want := range []string{`DeploymentServices: "app/other" is not one of DeploymentGroups [app/group]`, `DeploymentServices["app/group"]: service "notfier" is covered by no journey that runs in staging`} {
		if !strings.Contains(got, want) {
			t.Errorf("errors %v do not say %q", errs, want)
		}
	}
	if len(errs) != 2 {
		t.Errorf("%d errors, want 2: %v", len(errs), errs)
	}
	p.DeploymentServices = map[string][]string{"app/group": {"notifier"}}
	if errs := p.checkDeploymentServices(); len(errs) != 0 {
		t.Errorf("a listed group of covered services: %v", errs)
	}
}

// The check runs when the construct resolves its props.
func TestDeploymentServicesCheckedAtSynth(t *testing.T) {
	j := slowJourney("notify", time.Second)
	j.Owner, j.Mode, j.Tier, j.Covers = "team", journey.ModeEnforce, journey.TierDomain, []string{"notifier"}
	j.Steps[0].Do = func(context.Context, *journey.T) error { return nil }
	reg, err := journey.NewRegistry(j)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Props{Environment: "staging", Catalogue: reg, DeploymentGroups: []string{"app/group"},
		DeploymentServices: map[string][]string{"app/group": {"notfier"}}}.resolve()
	if err == nil || !strings.Contains(err.Error(), `service "notfier" is covered by no journey`) {
		t.Errorf("err = %v, want the uncovered service named", err)
	}
}
