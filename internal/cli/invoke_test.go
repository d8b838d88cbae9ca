package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/awslocal"
)

// sample returns the path of a sample event.
func sample(name string) string { return filepath.Join("..", "..", "events", name) }

// invokeCLI runs the CLI with vars as its environment.
func invokeCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
	return code, stdout.String(), stderr.String()
}

func TestInvokeUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no function", []string{"invoke"}, "name the function"},
		{"flag first", []string{"invoke", "--event", "x"}, "name the function"},
		{"unknown function", []string{"invoke", "deployer", "--event", sample("manual.json")}, `unknown function "deployer"`},
		{"no event", []string{"invoke", "hook"}, "--event FILE is required"},
		{"missing event file", []string{"invoke", "hook", "--event", "/nonexistent.json"}, "/nonexistent.json"},
		{"event not JSON", []string{"invoke", "hook", "--event", bad}, "not valid JSON"},
		{"unknown endpoint service", []string{"invoke", "hook", "--event", sample("manual.json"), "--endpoint", "s3=http://127.0.0.1:1"}, `unknown service "s3"`},
		{"anonymous sink", []string{"invoke", "sink", "--event", sample("sink-delivery.json")}, "no anonymous deliveries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := invokeCLI(t, nil, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestInvokeHelp(t *testing.T) {
	code, _, stderr := invokeCLI(t, nil, "invoke", "-h")
	if code != exitSucceeded || !strings.Contains(stderr, "Nothing here calls AWS") || !strings.Contains(stderr, "-endpoint") {
		t.Errorf("exit %d, help:\n%s", code, stderr)
	}
}

// TestInvokeHookDryRun: every sample hook event starts a run in a dry run
// that prints the StartExecution it would send, and nothing else.
func TestInvokeHookDryRun(t *testing.T) {
	for _, name := range []string{"codedeploy-hook.json", "codepipeline-job.json", "schedule.json", "manual.json"} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := invokeCLI(t, nil, "invoke", "hook", "--event", sample(name), "--env", "staging", "--store", filepath.Join(t.TempDir(), "s.db"))
			if code != exitSucceeded {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var resp struct {
				RunID string `json:"runId"`
			}
			if err := json.Unmarshal([]byte(stdout), &resp); err != nil || resp.RunID == "" {
				t.Fatalf("stdout is not the hook's response: %q (%v)", stdout, err)
			}
			if !strings.Contains(stderr, "dry run: StepFunctions StartExecution") || !strings.Contains(stderr, resp.RunID) {
				t.Errorf("stderr lacks the dry-run StartExecution of %s:\n%s", resp.RunID, stderr)
			}
			if strings.Contains(stderr, "PutLifecycleEventHookExecutionStatus") || strings.Contains(stderr, "PutJobFailureResult") {
				t.Errorf("a started run must report nothing:\n%s", stderr)
			}
		})
	}
}

// TestInvokeHookAgainstStandIns sends the hook's calls through the real SDK
// clients to local CodeDeploy and Step Functions endpoints.
func TestInvokeHookAgainstStandIns(t *testing.T) {
	cd := awslocal.StartCodeDeploy(t)
	cd.AddDeployment("d-7GW8E5HQ2", awslocal.Deployment{Application: "incident-pipeline", Group: "alertmanager-staging", FunctionName: "alertmanager-api", Alias: "live", CurrentVersion: "6", TargetVersion: "7"})
	sf := awslocal.StartStepFunctions(t, nil)
	args := []string{"invoke", "hook", "--event", sample("codedeploy-hook.json"), "--env", "staging", "--store", filepath.Join(t.TempDir(), "s.db"),
		"--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:journeygate",
		"--endpoint", "codedeploy=" + cd.URL(), "--endpoint", "stepfunctions=" + sf.URL()}
	for i := range 2 {
		code, stdout, stderr := invokeCLI(t, nil, args...)
		if code != exitSucceeded || strings.Contains(stderr, "dry run") {
			t.Fatalf("delivery %d: exit %d\n%s\n%s", i+1, code, stdout, stderr)
		}
	}
	ex := sf.Executions()
	if len(ex) != 1 {
		t.Fatalf("%d executions from two deliveries, want 1", len(ex))
	}
	var in flow.Input
	if err := json.Unmarshal([]byte(ex[0].Input), &in); err != nil {
		t.Fatal(err)
	}
	if in.Trigger.TargetVersion != "7" || in.Trigger.Application != "incident-pipeline" || ex[0].Name != in.RunID {
		t.Errorf("execution %s started with %+v", ex[0].Name, in)
	}
	if len(cd.Reports()) != 0 {
		t.Errorf("reports %v: the gate reports, not the hook", cd.Reports())
	}
}

// TestInvokeRunnerThenGate plans a manual run, runs its journey against a
// target nobody listens on, and has the gate decide: Failed, naming the
// journey, reported nowhere (a manual run).
func TestInvokeRunnerThenGate(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "s.db")
	vars := map[string]string{"JOURNEYGATE_ALERTMANAGER_URL": "http://127.0.0.1:1", "JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0"}

	code, stdout, stderr := invokeCLI(t, vars, "invoke", "runner", "--event", sample("runner-plan.json"), "--store", st)
	if code != exitSucceeded || !strings.Contains(stdout, `"timeoutSeconds"`) {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = invokeCLI(t, vars, "invoke", "runner", "--event", sample("runner-run.json"), "--store", st)
	if code != exitSucceeded || !strings.Contains(stdout, `"outcome": "error"`) {
		t.Fatalf("run: exit %d (a failed journey is a result)\n%s\n%s", code, stdout, stderr)
	}

	gateEvent := filepath.Join(dir, "gate.json")
	req := flow.GateRequest{Input: flow.Input{RunID: "manual-example-1", Environment: "local", Trigger: trigger.Trigger{Type: trigger.Manual}}}
	b, _ := json.Marshal(req)
	if err := os.WriteFile(gateEvent, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = invokeCLI(t, vars, "invoke", "gate", "--event", gateEvent, "--store", st)
	if code != exitSucceeded {
		t.Fatalf("gate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var resp flow.GateResponse
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Status != "Failed" || !strings.Contains(resp.Summary, "alert-to-notification step 1/3") || resp.Reported != "none" {
		t.Errorf("gate response %+v", resp)
	}
	if !strings.Contains(stderr, "dry run: EventBridge PutEvents") || strings.Contains(stderr, "CodeDeploy") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestInvokeFunctionErrorExits1(t *testing.T) {
	st := filepath.Join(t.TempDir(), "s.db")
	code, _, stderr := invokeCLI(t, map[string]string{"JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0"}, "invoke", "runner", "--event", sample("runner-run.json"), "--store", st)
	if code != exitFailed || !strings.Contains(stderr, "function error StoreError") {
		t.Errorf("exit %d, stderr %q; want 1 with the StoreError of an unplanned run", code, stderr)
	}
}

func TestInvokeSink(t *testing.T) {
	tests := []struct {
		token  string
		status int
	}{
		{"example-sink-token", 204},
		{"another-token", 403},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			st := filepath.Join(t.TempDir(), "s.db")
			code, stdout, stderr := invokeCLI(t, nil, "invoke", "sink", "--event", sample("sink-delivery.json"), "--store", st, "--sink-token", tt.token)
			if code != exitSucceeded {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var resp struct {
				StatusCode int `json:"statusCode"`
			}
			if err := json.Unmarshal([]byte(stdout), &resp); err != nil || resp.StatusCode != tt.status {
				t.Errorf("response %s (%v), want status %d", stdout, err, tt.status)
			}
		})
	}
}
