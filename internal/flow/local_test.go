package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeModules is where `make tools` installs the pinned npm test tools.
var nodeModules = filepath.Join("..", "..", "test", "node_modules")

// requireTools skips when the npm tools are not installed (`make unit`
// runs without them; `make test` installs them first).
func requireTools(t *testing.T) (node, modules string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(nodeModules, "aws-local-stepfunctions")); err != nil {
		t.Skip("test/node_modules not installed: run make tools")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	modules, err = filepath.Abs(nodeModules)
	if err != nil {
		t.Fatal(err)
	}
	return node, modules
}

func TestDefinitionIsValidASL(t *testing.T) {
	node, modules := requireTools(t)
	path := filepath.Join(t.TempDir(), "definition.json")
	def, err := Definition(testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join(modules, "asl-validator", "dist", "bin", "asl-validator.js"), "--json-path", path).CombinedOutput()
	if err != nil {
		t.Fatalf("asl-validator rejects the definition: %v\n%s", err, out)
	}
}

// stubScript runs the definition under aws-local-stepfunctions with every
// Task overridden by a stub that records its payload and behaves as the
// scenario says, and prints {"result", "calls"} as JSON.
const stubScript = `
if (!Promise.withResolvers) Promise.withResolvers = function () {
  let resolve, reject;
  const promise = new Promise((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
};
const { StateMachine } = require(process.env.MODULES + '/aws-local-stepfunctions');
const def = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const scenario = process.env.SCENARIO;
const fail = (name, msg) => { const e = new Error(msg); e.name = name; throw e; };
const calls = [];
// Both runners behave alike; the scenario says which one and which journey
// fails. The one Task invokes the function the plan named (lambda:invoke:
// the library hands the override the evaluated Parameters, and the result
// is the invocation's, the function's answer under Payload).
const run = async (task, p) => {
  calls.push([task, p]);
  if (scenario === 'runner-times-out' && p.journey === 'a') await new Promise(r => setTimeout(r, 1500));
  if (scenario === 'browser-runner-times-out' && p.journey === 'b') await new Promise(r => setTimeout(r, 2500));
  if (scenario === 'runner-crashes' && p.journey === 'b') fail('Runtime.ExitError', 'panic: nil map');
  if (scenario === 'runner-fault-retried') fail('StoreError', 'recording result: throttled');
  return { Payload: { journey: p.journey, outcome: 'passed', attempt: 1 }, StatusCode: 200 };
};
const runners = { [process.env.RUNNER_ARN]: 'runner', [process.env.BROWSER_RUNNER_ARN]: 'browser-runner' };
const sm = new StateMachine(def);
const input = { runId: 'cd-d-ABC-1', environment: 'staging', trigger: { type: 'codedeploy', deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'h-1' } };
const ex = sm.run(input, { overrides: {
  retryIntervalOverrides: { Plan: 0, RunJourney: 0, Decide: 0 },
  taskResourceLocalHandlers: {
    Plan: async (p) => {
      calls.push(['Plan', p]);
      if (scenario === 'plan-fails') fail('ConfigError', 'no environment "staging"');
      if (scenario === 'plan-throttled' && calls.filter(c => c[0] === 'Plan').length === 1) fail('Lambda.TooManyRequestsException', 'slow down');
      // As the runner plans: each journey gets its runner's function
      // from the ones the definition names, or the plan is refused.
      const journeys = [
        { name: 'a', mode: 'enforce', tier: 'global', slaSeconds: 1, timeoutSeconds: 1, runner: 'api' },
        { name: 'b', mode: 'enforce', tier: 'domain', slaSeconds: 1, timeoutSeconds: 2, runner: 'browser' },
        { name: 'c', mode: 'observe', tier: 'domain', slaSeconds: 1, timeoutSeconds: 5, runner: scenario === 'unknown-runner' ? 'gpu' : 'api' } ];
      for (const j of journeys) {
        j.function = (p.functions || {})[j.runner];
        if (!j.function) fail('ConfigError', 'configuration: journey ' + j.name + ' runs on the ' + j.runner + ' runner, and this state machine has none (journeygate.NoRunner)');
      }
      return { runId: p.input.runId, environment: p.input.environment, journeys };
    },
    RunJourney: async (p) => run(runners[p.FunctionName] || 'unknown function ' + p.FunctionName, p.Payload),
    Decide: async (p) => { calls.push(['Decide', p]); return { runId: p.input.runId, status: 'decided' }; },
  } } });
ex.result
  .then(result => console.log(JSON.stringify({ result, calls })))
  .catch(e => { console.log(JSON.stringify({ error: e.name + ': ' + e.message, calls })); });
`

// TestDefinitionRunsLocally runs the definition with stub Tasks: each
// scenario must reach the gate exactly once, with the fault where it
// belongs, and only Lambda service errors may be retried.
func TestDefinitionRunsLocally(t *testing.T) {
	node, modules := requireTools(t)
	noBrowser := testOptions
	noBrowser.BrowserRunnerArn = ""
	tests := []struct {
		scenario string
		// opts builds the definition (nil: testOptions).
		opts  *Options
		check func(t *testing.T, gate GateRequest, counts map[string]int)
	}{
		{"healthy", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			if g.Fault != nil || len(g.Items) != 3 || g.Plan == nil || len(g.Plan.Journeys) != 3 {
				t.Errorf("gate got %+v, want plan and three items without fault", g)
			}
			for _, it := range g.Items {
				if it.Outcome != "passed" || it.Error != nil {
					t.Errorf("item %+v, want passed", it)
				}
			}
			if n["runner"] != 2 || n["browser-runner"] != 1 || len(n) != 4 {
				t.Errorf("calls %v, want a and c on the runner, b on the browser runner", n)
			}
		}},
		{"browser-runner-times-out", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			if b := itemFor(g, "b"); b == nil || b.Outcome != "error" || b.Error == nil || b.Error.Error != "States.Timeout" {
				t.Errorf("item b = %+v, want outcome error with States.Timeout", b)
			}
			if a := itemFor(g, "a"); a == nil || a.Outcome != "passed" {
				t.Errorf("item a = %+v, want passed", a)
			}
		}},
		// Without the browser runner the definition names the runner's
		// function only, so the plan refuses the browser journey and the
		// gate reports the fault: it never runs on the runner.
		{"no-browser-runner", &noBrowser, func(t *testing.T, g GateRequest, n map[string]int) {
			if g.Fault == nil || g.Fault.Error != "ConfigError" || !strings.Contains(g.Fault.Cause, ErrNoRunner) || !strings.Contains(g.Fault.Cause, "journey b") {
				t.Errorf("gate fault = %+v, want the plan's ConfigError naming journey b and %s", g.Fault, ErrNoRunner)
			}
			if n["runner"]+n["browser-runner"] != 0 {
				t.Errorf("calls %v, want no journey run", n)
			}
		}},
		{"unknown-runner", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			if g.Fault == nil || g.Fault.Error != "ConfigError" || !strings.Contains(g.Fault.Cause, "gpu") {
				t.Errorf("gate fault = %+v, want the plan's ConfigError naming the gpu runner", g.Fault)
			}
		}},
		{"plan-fails", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			if g.Fault == nil || g.Fault.Error != "ConfigError" || !strings.Contains(g.Fault.Cause, "staging") {
				t.Errorf("gate fault = %+v, want the ConfigError", g.Fault)
			}
			if n["runner"]+n["browser-runner"] != 0 || n["Plan"] != 1 {
				t.Errorf("calls %v: a plan fault must not be retried nor run journeys", n)
			}
			if g.Input.RunID != "cd-d-ABC-1" || g.Input.Trigger.DeploymentID != "d-ABC" {
				t.Errorf("forced failure lost the input: %+v", g.Input)
			}
		}},
		{"plan-throttled", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			if n["Plan"] != 2 || g.Fault != nil || len(g.Items) != 3 {
				t.Errorf("calls %v, gate %+v: a Lambda throttle must be retried, then run normally", n, g)
			}
		}},
		{"runner-times-out", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			item := itemFor(g, "a")
			if item == nil || item.Outcome != "error" || item.Error == nil || item.Error.Error != "States.Timeout" {
				t.Errorf("item a = %+v, want outcome error with States.Timeout", item)
			}
			if b := itemFor(g, "b"); b == nil || b.Outcome != "passed" {
				t.Errorf("item b = %+v, want passed", b)
			}
		}},
		{"runner-crashes", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			item := itemFor(g, "b")
			if item == nil || item.Error == nil || item.Error.Error != "Runtime.ExitError" || !strings.Contains(item.Error.Cause, "panic") {
				t.Errorf("item b = %+v, want the crash recorded", item)
			}
		}},
		{"runner-fault-retried", nil, func(t *testing.T, g GateRequest, n map[string]int) {
			if n["runner"] != 2 || n["browser-runner"] != 1 {
				t.Errorf("runners called %v, want once per journey (no retry of a function error)", n)
			}
			for _, it := range g.Items {
				if it.Error == nil || it.Error.Error != "StoreError" {
					t.Errorf("item %+v, want the StoreError", it)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			o := testOptions
			if tt.opts != nil {
				o = *tt.opts
			}
			def, err := Definition(o)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "-e", stubScript)
			cmd.Env = append(os.Environ(), "MODULES="+modules, "SCENARIO="+tt.scenario, "RUNNER_ARN="+o.RunnerArn, "BROWSER_RUNNER_ARN="+testOptions.BrowserRunnerArn)
			cmd.Stdin = strings.NewReader(def)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, stderr.String())
			}
			var got struct {
				Error string              `json:"error"`
				Calls [][]json.RawMessage `json:"calls"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("decoding %s: %v", out, err)
			}
			if got.Error != "" {
				t.Fatalf("execution failed: %s", got.Error)
			}
			counts := map[string]int{}
			var gate []GateRequest
			for _, c := range got.Calls {
				var name string
				if err := json.Unmarshal(c[0], &name); err != nil {
					t.Fatal(err)
				}
				counts[name]++
				if name == StateDecide {
					var g GateRequest
					if err := json.Unmarshal(c[1], &g); err != nil {
						t.Fatal(err)
					}
					gate = append(gate, g)
				}
			}
			if len(gate) != 1 {
				t.Fatalf("gate called %d times, want exactly 1 (calls %v)", len(gate), counts)
			}
			tt.check(t, gate[0], counts)
		})
	}
}

func itemFor(g GateRequest, name string) *JourneySummary {
	for i := range g.Items {
		if g.Items[i].Journey == name {
			return &g.Items[i]
		}
	}
	return nil
}
