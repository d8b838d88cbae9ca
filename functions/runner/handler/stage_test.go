package handler_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// The stage decides the target: a run at a pre-traffic stage sends its
// journeys to the environment's test_targets (here the only reachable
// one), a run after traffic moved to its targets; an environment without
// the test target a run needs fails the plan, before any journey runs.
func TestStageDecidesTarget(t *testing.T) {
	tg := newTarget(t)
	envs, err := envconfig.Parse("envs.yaml", []byte(`
environments:
  staging:
    targets:
      api: http://127.0.0.1:1
    test_targets:
      api: ${API}
  live-only:
    targets:
      api: ${API}
`), func(string) string { return tg.URL })
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := runner.New(registry(t), envs, st)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{h: h, lh: lambda.NewHandler(h.Handle), store: st, target: tg}
	at := func(stage trigger.Stage) trigger.Trigger {
		return trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-" + string(stage), Stage: stage, TargetVersion: "42"}
	}
	for _, tt := range []struct {
		stage trigger.Stage
		want  journey.Outcome
	}{
		{trigger.BeforeAllowTraffic, journey.Passed}, // test_targets: reachable
		{trigger.AfterAllowTraffic, journey.Errored}, // targets: nothing listens
	} {
		run := "r-" + string(tt.stage)
		var plan flow.Plan
		if err := f.invoke(t, planPayload(run, "staging", at(tt.stage), nil, "", []string{"login"}), &plan); err != nil {
			t.Fatalf("%s: plan: %v", tt.stage, err)
		}
		var sum flow.JourneySummary
		if err := f.invoke(t, runPayload(run, "login", at(tt.stage)), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Outcome != tt.want {
			t.Errorf("at %s: login %s (%s), want %s", tt.stage, sum.Outcome, sum.Message, tt.want)
		}
	}

	var plan flow.Plan
	err = f.invoke(t, planPayload("r-missing", "live-only", at(trigger.BeforeAllowTraffic), nil, "", []string{"login"}), &plan)
	if err == nil || errorType(err) != "ConfigError" || !strings.Contains(err.Error(), "test_targets.api") || !strings.Contains(err.Error(), "BeforeAllowTraffic") {
		t.Errorf("plan without the test target: %v, want a ConfigError naming test_targets.api and the stage", err)
	}
}
