package flow

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var testOptions = Options{
	RunnerArn:        "arn:aws:lambda:eu-west-1:123456789012:function:journeygate-runner",
	BrowserRunnerArn: "arn:aws:lambda:eu-west-1:123456789012:function:journeygate-browser-runner",
	GateArn:          "arn:aws:lambda:eu-west-1:123456789012:function:journeygate-gate",
	HookArn:          "arn:aws:lambda:eu-west-1:123456789012:function:CodeDeployHook_journeygate",
	MaxConcurrency:   3,
}

// parsed renders the test definition and decodes it generically.
func parsed(t *testing.T) map[string]any {
	t.Helper()
	s, err := Definition(testOptions)
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(s), &def); err != nil {
		t.Fatalf("definition is not JSON: %v", err)
	}
	return def
}

// state is one state with the name of the state machine it belongs to.
type state struct {
	machine string
	name    string
	body    map[string]any
}

// allStates walks a definition's states, nested ItemProcessors included.
func allStates(machine string, def map[string]any) []state {
	var out []state
	states, _ := def["States"].(map[string]any)
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		body := states[n].(map[string]any)
		out = append(out, state{machine, n, body})
		for _, key := range []string{"ItemProcessor", "Iterator"} {
			if sub, ok := body[key].(map[string]any); ok {
				out = append(out, allStates(machine+"/"+n, sub)...)
			}
		}
	}
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestGolden(t *testing.T) {
	got, err := Definition(testOptions)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "definition.golden.json")
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got+"\n" != string(want) {
		t.Errorf("definition differs from %s (run go test ./internal/flow -update if intended):\n%s", path, got)
	}
}

// TestTaskRetries: every Task retries Lambda's service errors as AWS
// recommends for Lambda Tasks (6 retries, backoff 2, full jitter); only
// Decide retries anything else (its own errors, idempotent), and that
// retrier comes last, on States.ALL.
func TestTaskRetries(t *testing.T) {
	tasks := 0
	for _, s := range allStates("", parsed(t)) {
		if s.body["Type"] != "Task" {
			if _, ok := s.body["Retry"]; ok {
				t.Errorf("%s%s: only Tasks may retry", s.machine, s.name)
			}
			continue
		}
		tasks++
		t.Run(s.name, func(t *testing.T) {
			retry, ok := s.body["Retry"].([]any)
			if !ok || len(retry) == 0 {
				t.Fatal("no Retry: Lambda service errors must be retried")
			}
			first := retry[0].(map[string]any)
			for _, want := range []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.ClientExecutionTimeoutException"} {
				if !slices.Contains(strs(first["ErrorEquals"]), want) {
					t.Errorf("Retry[0] does not retry %s", want)
				}
			}
			if first["MaxAttempts"] != float64(6) || first["BackoffRate"] != float64(2) || first["JitterStrategy"] != "FULL" {
				t.Errorf("Retry[0] = %v, want 6 attempts, backoff 2, full jitter", first)
			}
			for i, r := range retry[1:] {
				got := strs(r.(map[string]any)["ErrorEquals"])
				if s.name != StateDecide || i != len(retry)-2 || !slices.Equal(got, []string{"States.ALL"}) {
					t.Errorf("Retry[%d] retries %v; only Decide may retry its own errors, last, on States.ALL", i+1, got)
				}
			}
			if s.name == StateDecide && len(retry) != 2 {
				t.Errorf("Decide has %d retriers, want 2 (Lambda service errors, then its own)", len(retry))
			}
		})
	}
	if tasks != 4 {
		t.Errorf("found %d Tasks, want 4 (Plan, RunJourney, Decide, LastResort)", tasks)
	}
}

// TestEveryPathReachesTheGate follows Next and every Catch from each
// top-level state: all must reach Decide, and every state that can fail
// (Task, Map) must catch States.ALL. Decide's Catch goes to the last
// resort, whose own Catch goes to a Fail state: the only way an execution
// ends without a report is failing, which pages.
func TestEveryPathReachesTheGate(t *testing.T) {
	def := parsed(t)
	states := def["States"].(map[string]any)
	next := func(body map[string]any) []string {
		var out []string
		if n, ok := body["Next"].(string); ok {
			out = append(out, n)
		}
		if cs, ok := body["Catch"].([]any); ok {
			for _, c := range cs {
				out = append(out, c.(map[string]any)["Next"].(string))
			}
		}
		return out
	}
	for name, raw := range states {
		t.Run(name, func(t *testing.T) {
			body := raw.(map[string]any)
			switch name {
			case StateDecide:
				if body["Type"] != "Task" || body["Resource"] != testOptions.GateArn || body["End"] != true {
					t.Fatalf("Decide must be the final Task calling the gate: %v", body)
				}
				if !catchesAll(body) || !slices.Equal(next(body), []string{StateLastResort}) {
					t.Errorf("Decide must catch States.ALL into %s: %v", StateLastResort, body["Catch"])
				}
				return
			case StateLastResort:
				if body["Type"] != "Task" || body["Resource"] != testOptions.HookArn || body["End"] != true {
					t.Fatalf("LastResort must be a final Task calling the hook: %v", body)
				}
				if !catchesAll(body) || !slices.Equal(next(body), []string{StateUnreported}) {
					t.Errorf("LastResort must catch States.ALL into %s: %v", StateUnreported, body["Catch"])
				}
				return
			case StateUnreported:
				if body["Type"] != "Fail" {
					t.Errorf("Unreported must fail the execution: %v", body)
				}
				return
			}
			if typ := body["Type"]; typ == "Task" || typ == "Map" {
				if !catchesAll(body) {
					t.Errorf("%s %s has no Catch on States.ALL", typ, name)
				}
			}
			if body["End"] == true {
				t.Errorf("%s ends the execution without the gate", name)
			}
			// Breadth-first: every successor, transitively, reaches Decide.
			seen := map[string]bool{name: true}
			queue := []string{name}
			for len(queue) > 0 {
				cur := queue[0]
				queue = queue[1:]
				b, ok := states[cur].(map[string]any)
				if !ok {
					t.Fatalf("transition to unknown state %q", cur)
				}
				succ := next(b)
				if cur == StateDecide {
					continue
				}
				if len(succ) == 0 {
					t.Errorf("path %s -> ... -> %s stops before the gate", name, cur)
				}
				for _, n := range succ {
					if !seen[n] {
						seen[n] = true
						queue = append(queue, n)
					}
				}
			}
			if !seen[StateDecide] {
				t.Errorf("%s never reaches %s", name, StateDecide)
			}
		})
	}
}

// TestMapItemsNeverFail checks that a runner fault becomes the item's
// output naming the journey, so the Map itself completes; and that each
// item is one Task invoking the function the plan gave its journey, from
// the functions the Plan Task names: one transition per journey.
func TestMapItemsNeverFail(t *testing.T) {
	m := parsed(t)["States"].(map[string]any)[StateRunJourneys].(map[string]any)
	if got := m["MaxConcurrency"]; got != float64(testOptions.MaxConcurrency) {
		t.Errorf("MaxConcurrency = %v, want %d", got, testOptions.MaxConcurrency)
	}
	if got := m["ItemsPath"]; got != "$.plan.journeys" {
		t.Errorf("ItemsPath = %v", got)
	}
	sel := m["ItemSelector"].(map[string]any)
	payload, _ := sel["Payload"].(map[string]any)
	if payload["runner.$"] != "$$.Map.Item.Value.runner" || sel["FunctionName.$"] != "$$.Map.Item.Value.function" {
		t.Errorf("ItemSelector %v, want the planned journey's function, and its runner in the payload", sel)
	}
	proc := m["ItemProcessor"].(map[string]any)
	states := proc["States"].(map[string]any)
	if len(states) != 2 {
		t.Errorf("item states %v, want the Task and its fault's Pass", states)
	}
	run := states[proc["StartAt"].(string)].(map[string]any)
	params, _ := run["Parameters"].(map[string]any)
	if proc["StartAt"] != StateRunJourney || run["Type"] != "Task" || run["Resource"] != LambdaInvokeResource ||
		params["FunctionName.$"] != "$.FunctionName" || params["Payload.$"] != "$.Payload" || run["OutputPath"] != "$.Payload" {
		t.Errorf("item starts with %v, want a Task invoking the item's function with its payload, output the answer", run)
	}
	if run["TimeoutSecondsPath"] != "$.Payload.timeoutSeconds" {
		t.Errorf("TimeoutSecondsPath = %v, want $.Payload.timeoutSeconds", run["TimeoutSecondsPath"])
	}
	if !catchesAll(run) {
		t.Fatalf("%s does not catch States.ALL", StateRunJourney)
	}
	c := run["Catch"].([]any)[0].(map[string]any)
	faulted := states[c["Next"].(string)].(map[string]any)
	fp := faulted["Parameters"].(map[string]any)
	if faulted["End"] != true || fp["journey.$"] != "$.Payload.journey" || fp["error.$"] != c["ResultPath"] || fp["outcome"] != "error" {
		t.Errorf("caught runner fault must end the item with {journey, outcome: error, error}: %v (catch %v)", faulted, c)
	}
	// The plan is told each runner's function: the browser runner's only
	// when there is one.
	without, err := Build(Options{RunnerArn: "r", GateArn: "g", HookArn: "h"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		def  map[string]any
		want map[string]any
	}{
		"with browser runner": {parsed(t), map[string]any{RunnerAPI: testOptions.RunnerArn, RunnerBrowser: testOptions.BrowserRunnerArn}},
		"without":             {without, map[string]any{RunnerAPI: "r"}},
	} {
		plan := tc.def["States"].(map[string]any)[StatePlan].(map[string]any)["Parameters"].(map[string]any)
		got, _ := plan["functions"].(map[string]any)
		if len(got) != len(tc.want) {
			t.Errorf("%s: Plan's functions %v, want %v", name, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: Plan's functions %v, want %v", name, got, tc.want)
			}
		}
	}
}

func TestNoJSONata(t *testing.T) {
	s, err := Definition(testOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"JSONata", "{%", `"Arguments"`, `"Output"`, `"Assign"`, `"Items"`} {
		if strings.Contains(s, bad) {
			t.Errorf("definition contains %s: JSONPath only (aws-local-stepfunctions ignores JSONata)", bad)
		}
	}
	if ql := parsed(t)["QueryLanguage"]; ql != "JSONPath" {
		t.Errorf("QueryLanguage = %v, want JSONPath", ql)
	}
}

// TestPathsReadFieldsThatAlwaysExist: a JSONPath matching nothing is an
// uncatchable States.Runtime error, so the Go types must always marshal
// the fields the definition reads, even when empty.
func TestPathsReadFieldsThatAlwaysExist(t *testing.T) {
	keys := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"input", Input{}, []string{"runId", "environment", "trigger"}},
		{"plan", Plan{}, []string{"journeys"}},
		{"planned journey", PlannedJourney{}, []string{"name", "timeoutSeconds", "runner", "function"}},
		{"summary", JourneySummary{}, []string{"journey", "outcome"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := keys(tt.v)
			for _, k := range tt.want {
				if _, ok := m[k]; !ok {
					t.Errorf("%T marshals without %q: %v", tt.v, k, m)
				}
			}
		})
	}
	if j := keys(Plan{})["journeys"]; j == nil {
		t.Error("empty Plan marshals journeys as null; the Map's ItemsPath needs []")
	}
}

func TestOptionsValidated(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no runner", Options{GateArn: "g", HookArn: "h"}, "RunnerArn is empty"},
		{"no gate", Options{RunnerArn: "r", HookArn: "h"}, "GateArn is empty"},
		{"no hook", Options{RunnerArn: "r", GateArn: "g"}, "HookArn is empty"},
		{"negative concurrency", Options{RunnerArn: "r", GateArn: "g", HookArn: "h", MaxConcurrency: -1}, "MaxConcurrency -1"},
		{"concurrency over the inline Map's limit", Options{RunnerArn: "r", GateArn: "g", HookArn: "h", MaxConcurrency: 41}, "MaxConcurrency 41 is over the inline Map's 40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Definition(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	def, err := Build(Options{RunnerArn: "r", GateArn: "g", HookArn: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if got := def["States"].(map[string]any)[StateRunJourneys].(map[string]any)["MaxConcurrency"]; got != DefaultMaxConcurrency {
		t.Errorf("default MaxConcurrency = %v, want %d", got, DefaultMaxConcurrency)
	}
}

func catchesAll(body map[string]any) bool {
	cs, _ := body["Catch"].([]any)
	for _, c := range cs {
		if slices.Contains(strs(c.(map[string]any)["ErrorEquals"]), "States.ALL") {
			return true
		}
	}
	return false
}
