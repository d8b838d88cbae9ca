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
	RunnerArn:      "arn:aws:lambda:eu-west-1:123456789012:function:journeygate-runner",
	GateArn:        "arn:aws:lambda:eu-west-1:123456789012:function:journeygate-gate",
	MaxConcurrency: 3,
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
		t.Errorf("definition differs from %s (run go test ./shared/flow -update if intended):\n%s", path, got)
	}
}

func TestEveryTaskRetriesOnlyLambdaServiceErrors(t *testing.T) {
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
			for i, r := range retry {
				got := strs(r.(map[string]any)["ErrorEquals"])
				for _, e := range got {
					if !slices.Contains(LambdaServiceErrors, e) {
						t.Errorf("Retry[%d] retries %q; only Lambda service errors may be retried", i, e)
					}
				}
			}
		})
	}
	if tasks != 3 {
		t.Errorf("found %d Tasks, want 3 (Plan, RunJourney, Decide)", tasks)
	}
}

// TestEveryPathReachesTheGate follows Next and every Catch from each
// top-level state: all must end at Decide, and every state that can fail
// (Task, Map) except Decide itself must catch States.ALL.
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
			if name == StateDecide {
				if body["Type"] != "Task" || body["Resource"] != testOptions.GateArn || body["End"] != true {
					t.Fatalf("Decide must be the final Task calling the gate: %v", body)
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
				if cur != StateDecide && len(succ) == 0 {
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
// output naming the journey, so the Map itself completes.
func TestMapItemsNeverFail(t *testing.T) {
	m := parsed(t)["States"].(map[string]any)[StateRunJourneys].(map[string]any)
	if got := m["MaxConcurrency"]; got != float64(testOptions.MaxConcurrency) {
		t.Errorf("MaxConcurrency = %v, want %d", got, testOptions.MaxConcurrency)
	}
	if got := m["ItemsPath"]; got != "$.plan.journeys" {
		t.Errorf("ItemsPath = %v", got)
	}
	proc := m["ItemProcessor"].(map[string]any)
	states := proc["States"].(map[string]any)
	run := states[proc["StartAt"].(string)].(map[string]any)
	if run["Resource"] != testOptions.RunnerArn {
		t.Errorf("item starts with %v, want the runner", run["Resource"])
	}
	if run["TimeoutSecondsPath"] != "$.timeoutSeconds" {
		t.Errorf("runner Task TimeoutSecondsPath = %v, want $.timeoutSeconds", run["TimeoutSecondsPath"])
	}
	if !catchesAll(run) {
		t.Fatal("runner Task does not catch States.ALL")
	}
	c := run["Catch"].([]any)[0].(map[string]any)
	faulted := states[c["Next"].(string)].(map[string]any)
	params := faulted["Parameters"].(map[string]any)
	if faulted["End"] != true || params["journey.$"] != "$.journey" || params["error.$"] != c["ResultPath"] || params["outcome"] != "error" {
		t.Errorf("caught runner fault must end the item with {journey, outcome: error, error}: %v (catch %v)", faulted, c)
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
		{"planned journey", PlannedJourney{}, []string{"name", "timeoutSeconds"}},
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
		{"no runner", Options{GateArn: "g"}, "RunnerArn is empty"},
		{"no gate", Options{RunnerArn: "r"}, "GateArn is empty"},
		{"negative concurrency", Options{RunnerArn: "r", GateArn: "g", MaxConcurrency: -1}, "MaxConcurrency -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Definition(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	def, err := Build(Options{RunnerArn: "r", GateArn: "g"})
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
