package flow

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// TestRunnerFor: a journey that drives a browser is planned on the browser
// runner, every other on the runner.
func TestRunnerFor(t *testing.T) {
	if got := RunnerFor(journey.Journey{Name: "api"}); got != RunnerAPI {
		t.Errorf("RunnerFor(API journey) = %q, want %q", got, RunnerAPI)
	}
	if got := RunnerFor(journey.Journey{Name: "ui", Browser: true}); got != RunnerBrowser {
		t.Errorf("RunnerFor(browser journey) = %q, want %q", got, RunnerBrowser)
	}
}

func TestInputValidate(t *testing.T) {
	ok := Input{RunID: "cd-d-ABC-0123", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-ABC", LifecycleEventHookExecutionID: "h"}}
	tests := []struct {
		name   string
		mutate func(*Input)
		want   string // "" = valid
	}{
		{"valid codedeploy", func(*Input) {}, ""},
		{"valid schedule", func(in *Input) { in.Trigger = trigger.Trigger{Type: trigger.Schedule}; in.Tier = "global" }, ""},
		{"empty run id", func(in *Input) { in.RunID = "" }, "runId is empty"},
		{"run id too long", func(in *Input) { in.RunID = strings.Repeat("a", 81) }, "at most 80"},
		{"run id with a dot", func(in *Input) { in.RunID = "a.b" }, `has '.'`},
		{"no environment", func(in *Input) { in.Environment = "" }, "environment is empty"},
		{"codedeploy without hook id", func(in *Input) { in.Trigger.LifecycleEventHookExecutionID = "" }, "lifecycleEventHookExecutionId"},
		{"codepipeline without job", func(in *Input) { in.Trigger = trigger.Trigger{Type: trigger.CodePipeline} }, "needs jobId"},
		{"unknown trigger", func(in *Input) { in.Trigger.Type = "cron" }, `trigger type "cron"`},
		{"unknown tier", func(in *Input) { in.Tier = "gold" }, `tier "gold"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.mutate(&in)
			err := in.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestTaskErrorString(t *testing.T) {
	tests := []struct {
		in   TaskError
		want string
	}{
		{TaskError{Error: "States.Timeout", Cause: ""}, "States.Timeout"},
		{TaskError{Error: "StoreError", Cause: `{"errorMessage":"recording result: throttled","errorType":"StoreError"}`}, "StoreError: recording result: throttled"},
		{TaskError{Error: "ConfigError", Cause: "no environment \"prod\""}, `ConfigError: no environment "prod"`},
		{TaskError{}, "unknown error"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRunnerRequestFromItemSelector decodes what the Map's ItemSelector
// builds into the runner's request type.
func TestRunnerRequestFromItemSelector(t *testing.T) {
	payload := `{"action":"run","runId":"r-1","environment":"staging","journey":"a","timeoutSeconds":40,
		"trigger":{"type":"codedeploy","deploymentId":"d-1","lifecycleEventHookExecutionId":"h","targetVersion":"7"}}`
	var req RunnerRequest
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		t.Fatal(err)
	}
	if req.Action != ActionRun || req.RunID != "r-1" || req.Journey != "a" || req.TimeoutSeconds != 40 || req.Trigger.TargetVersion != "7" {
		t.Errorf("decoded %+v", req)
	}
}
