package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// target is a system under test: /login answers 200, /search 404, and
// /pay records the version it was asked about.
type target struct {
	*httptest.Server
	mu       sync.Mutex
	versions []string
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			w.WriteHeader(http.StatusOK)
		case "/pay":
			tg.mu.Lock()
			tg.versions = append(tg.versions, r.URL.Query().Get("v"))
			tg.mu.Unlock()
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(tg.Close)
	return tg
}

func get(path string) journey.StepFunc {
	return func(ctx context.Context, t *journey.T) error {
		if path == "/pay" {
			path += "?v=" + t.TargetVersion()
		}
		resp, err := t.HTTP("api").Get(ctx, path)
		if err != nil {
			return err
		}
		return resp.Expect(200)
	}
}

func registry(t *testing.T) *journey.Registry {
	t.Helper()
	mk := func(name string, tier journey.Tier, covers []string, path string) journey.Journey {
		return journey.Journey{
			Name: name, Description: name + " works", Tier: tier, Owner: "team", Covers: covers,
			Mode: journey.ModeEnforce, Targets: []string{"api"},
			Steps: []journey.Step{{Name: name + " answers", SLA: 2 * time.Second, Do: get(path)}},
		}
	}
	reg, err := journey.NewRegistry(
		mk("login", journey.TierGlobal, []string{"auth"}, "/login"),
		mk("pay", journey.TierDomain, []string{"payments"}, "/pay"),
		mk("search", journey.TierDomain, []string{"search"}, "/search"),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

type fixture struct {
	h      *runner.Handler
	lh     lambda.Handler
	store  *embedded.Store
	target *target
}

func newFixture(t *testing.T, opts ...runner.Option) *fixture {
	t.Helper()
	return newFixtureWith(t, registry(t), opts...)
}

// newFixtureWith is newFixture over another registry.
func newFixtureWith(t *testing.T, reg *journey.Registry, opts ...runner.Option) *fixture {
	t.Helper()
	tg := newTarget(t)
	envs, err := envconfig.Parse("envs.yaml", []byte(`
environments:
  staging:
    targets:
      api: ${API}
  bare:
    targets:
      other: http://127.0.0.1:1
`), func(string) string { return tg.URL })
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := runner.New(reg, envs, st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, lh: lambda.NewHandler(h.Handle), store: st, target: tg}
}

// invoke runs payload through aws-lambda-go's JSON path.
func (f *fixture) invoke(t *testing.T, payload string, out any) error {
	t.Helper()
	b, err := f.lh.Invoke(context.Background(), []byte(payload))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	return nil
}

// errorType is the name Lambda reports for err, which Step Functions matches.
func errorType(err error) string {
	typ := reflect.TypeOf(err)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return typ.Name()
}

func planPayload(runID, env string, trigger trigger.Trigger, services []string, tier journey.Tier, names []string) string {
	b, _ := json.Marshal(flow.RunnerRequest{Action: flow.ActionPlan, Input: &flow.Input{
		RunID: runID, Environment: env, Trigger: trigger, Services: services, Tier: tier, Journeys: names,
	}})
	return string(b)
}

var deploy = trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1", TargetVersion: "42"}

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		trigger  trigger.Trigger
		services []string
		tier     journey.Tier
		names    []string
		want     []string
	}{
		{"deployment: global plus covering domain", deploy, []string{"payments"}, "", nil, []string{"login", "pay"}},
		{"deployment without services: global only", deploy, nil, "", nil, []string{"login"}},
		{"pipeline of search", trigger.Trigger{Type: trigger.CodePipeline, JobID: "j-1"}, []string{"search", "x"}, "", nil, []string{"login", "search"}},
		{"schedule by tier", trigger.Trigger{Type: trigger.Schedule}, nil, journey.TierDomain, nil, []string{"pay", "search"}},
		{"schedule of everything", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil, []string{"login", "pay", "search"}},
		{"manual by name", trigger.Trigger{Type: trigger.Manual}, nil, "", []string{"search"}, []string{"search"}},
		{"schedule of a tier with nothing in it for the services", trigger.Trigger{Type: trigger.Schedule}, []string{"nothing"}, journey.TierDomain, nil, []string{}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			runID := "run-" + string(rune('a'+i))
			var plan flow.Plan
			if err := f.invoke(t, planPayload(runID, "staging", tt.trigger, tt.services, tt.tier, tt.names), &plan); err != nil {
				t.Fatalf("plan: %v", err)
			}
			var got []string
			for _, j := range plan.Journeys {
				got = append(got, j.Name)
				if j.TimeoutSeconds != 60 || j.SLASeconds != 2 || j.Mode != journey.ModeEnforce {
					t.Errorf("%s: timeout %ds sla %vs mode %s, want 60s (2 attempts of 2s SLA + 2s grace + 10s cleanup budget, the 1.25s most wait between them, + 30s margin, rounded up), 2s, enforce", j.Name, j.TimeoutSeconds, j.SLASeconds, j.Mode)
				}
			}
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("planned %v, want %v", got, tt.want)
			}
			rec, err := f.store.GetRun(context.Background(), runID)
			if err != nil {
				t.Fatalf("run not recorded: %v", err)
			}
			if len(rec.Planned) != len(tt.want) || rec.Trigger != tt.trigger {
				t.Errorf("recorded %+v", rec)
			}
		})
	}
}

func TestEmptyPlanHasJourneysArray(t *testing.T) {
	f := newFixture(t)
	b, err := f.lh.Invoke(context.Background(), []byte(planPayload("r-empty", "staging", trigger.Trigger{Type: trigger.Schedule}, []string{"none"}, journey.TierDomain, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"journeys":[]`) {
		t.Errorf("empty plan must carry journeys: [] for the Map's ItemsPath: %s", b)
	}
}

func TestPlanReplay(t *testing.T) {
	f := newFixture(t)
	var plan flow.Plan
	p := planPayload("r-1", "staging", deploy, []string{"payments"}, "", nil)
	for i := range 2 {
		if err := f.invoke(t, p, &plan); err != nil {
			t.Fatalf("plan #%d: %v", i+1, err)
		}
	}
	err := f.invoke(t, planPayload("r-1", "staging", deploy, nil, "", nil), &plan)
	var se *runner.StoreError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "a different run") {
		t.Fatalf("a different plan under the same run ID: err = %v, want StoreError", err)
	}
}

func TestFaultsAreNamedErrors(t *testing.T) {
	tests := []struct {
		name, payload, wantType, wantMsg string
	}{
		{"no action", `{}`, "InvalidRequestError", `no "action"`},
		{"unknown action", `{"action":"dance"}`, "InvalidRequestError", `unknown action "dance"`},
		{"plan without input", `{"action":"plan"}`, "InvalidRequestError", `needs "input"`},
		{"invalid input", planPayload("", "staging", deploy, nil, "", nil), "InvalidRequestError", "runId is empty"},
		{"unknown environment", planPayload("r-2", "prod", deploy, nil, "", nil), "ConfigError", `no environment "prod"`},
		{"environment lacks a target", planPayload("r-3", "bare", deploy, nil, "", nil), "ConfigError", `missing target "api"`},
		{"unknown journey in plan", planPayload("r-4", "staging", trigger.Trigger{Type: trigger.Manual}, nil, "", []string{"checkout"}), "UnknownJourneyError", `unknown journey "checkout"`},
		{"run without fields", `{"action":"run"}`, "InvalidRequestError", "[runId environment journey]"},
		{"run unknown journey", `{"action":"run","runId":"r-5","environment":"staging","journey":"checkout"}`, "UnknownJourneyError", `"checkout"`},
		{"run a mistyped journey", `{"action":"run","runId":"r-5","environment":"staging","journey":"logni"}`, "UnknownJourneyError", `unknown journey "logni" (3 known: login, pay, search); did you mean "login"?`},
		{"run of an unrecorded run", `{"action":"run","runId":"r-6","environment":"staging","journey":"login"}`, "StoreError", "reading run r-6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var out any
			err := f.invoke(t, tt.payload, &out)
			if err == nil {
				t.Fatalf("no error; response %v", out)
			}
			if got := errorType(err); got != tt.wantType {
				t.Errorf("Lambda error type %q (%v), want %q", got, err, tt.wantType)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
		})
	}
}

func runPayload(runID, name string, trigger trigger.Trigger) string {
	b, _ := json.Marshal(flow.RunnerRequest{Action: flow.ActionRun, RunRequest: flow.RunRequest{
		RunID: runID, Environment: "staging", Journey: name, Trigger: trigger, TimeoutSeconds: 34,
	}})
	return string(b)
}

func TestRun(t *testing.T) {
	f := newFixture(t)
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-run", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		journey     string
		wantOutcome journey.Outcome
		wantAttempt int
		wantMsg     string
	}{
		{"login", journey.Passed, 1, ""},
		{"pay", journey.Passed, 1, ""},
		{"search", journey.Failed, 1, "step 1/1 (search answers)"},
		{"login", journey.Passed, 2, ""}, // a second invocation is a new attempt
	}
	for _, tt := range tests {
		t.Run(tt.journey, func(t *testing.T) {
			var sum flow.JourneySummary
			if err := f.invoke(t, runPayload("r-run", tt.journey, deploy), &sum); err != nil {
				t.Fatalf("a journey's failure is a result, not an error: %v", err)
			}
			if sum.Journey != tt.journey || sum.Outcome != tt.wantOutcome || sum.Attempt != tt.wantAttempt || !strings.Contains(sum.Message, tt.wantMsg) {
				t.Errorf("summary %+v, want %s attempt %d message containing %q", sum, tt.wantOutcome, tt.wantAttempt, tt.wantMsg)
			}
		})
	}
	results, err := f.store.Results(context.Background(), "r-run")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("recorded %d results, want 4", len(results))
	}
	f.target.mu.Lock()
	defer f.target.mu.Unlock()
	if !slices.Equal(f.target.versions, []string{"42"}) {
		t.Errorf("pay asked for versions %v, want the deployment's target version 42 from t.TargetVersion()", f.target.versions)
	}
}

func TestRunRejectsJourneyNotPlanned(t *testing.T) {
	f := newFixture(t)
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-np", "staging", deploy, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	var sum flow.JourneySummary
	err := f.invoke(t, runPayload("r-np", "search", deploy), &sum)
	if err == nil || errorType(err) != "InvalidRequestError" || !strings.Contains(err.Error(), "not planned") {
		t.Fatalf("err = %v, want InvalidRequestError naming the unplanned journey", err)
	}
}

// brokenStore fails every result write.
type brokenStore struct{ store.Store }

func (brokenStore) PutResult(context.Context, journey.Result) error {
	return errors.New("throughput exceeded")
}

func TestRunStoreFaultIsStoreError(t *testing.T) {
	f := newFixture(t)
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-sf", "staging", deploy, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	envs, _ := envconfig.Parse("e.yaml", []byte("environments:\n  staging:\n    targets:\n      api: "+f.target.URL+"\n"), os.Getenv)
	h, err := runner.New(registry(t), envs, brokenStore{f.store})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(runPayload("r-sf", "login", deploy)))
	if err == nil || errorType(err) != "StoreError" || !strings.Contains(err.Error(), "throughput exceeded") {
		t.Fatalf("err = %v, want StoreError", err)
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	if _, err := runner.New(nil, nil, nil); err == nil || !strings.Contains(err.Error(), "no journey registry") || !strings.Contains(err.Error(), "no store") {
		t.Fatalf("err = %v", err)
	}
}

// TestEventFiles feeds the sample runner events through the handler.
func TestEventFiles(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"runner-plan.json", "runner-run.json"} {
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
			if err != nil {
				t.Fatal(err)
			}
			// The sample events use the catalogue's environment "local";
			// rewrite it to this fixture's.
			p := strings.ReplaceAll(string(payload), `"local"`, `"staging"`)
			p = strings.ReplaceAll(p, `"alert-to-notification"`, `"login"`)
			var out map[string]any
			if err := f.invoke(t, p, &out); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		})
	}
}

// TestPlanTimeoutIsJourneyTimeout: each planned Task timeout is
// flow.JourneyTimeout with the handler's margin, rounded up to seconds,
// the budget infra/ sizes the runner function's timeout by.
func TestPlanTimeoutIsJourneyTimeout(t *testing.T) {
	for _, margin := range []time.Duration{0, 1500 * time.Millisecond, flow.DefaultTimeoutMargin} {
		t.Run(margin.String(), func(t *testing.T) {
			reg := metricsRegistry(t)
			f := newFixtureWith(t, reg, runner.WithTimeoutMargin(margin))
			var plan flow.Plan
			if err := f.invoke(t, planPayload("r-timeout", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
				t.Fatal(err)
			}
			if len(plan.Journeys) != len(reg.Names()) {
				t.Fatalf("planned %d journeys, want %d", len(plan.Journeys), len(reg.Names()))
			}
			for _, pj := range plan.Journeys {
				j, _ := reg.Get(pj.Name)
				budget := flow.JourneyTimeout(j, margin)
				want := int((budget + time.Second - 1) / time.Second)
				if pj.TimeoutSeconds != want || pj.SLASeconds != j.TotalSLA().Seconds() {
					t.Errorf("%s: timeout %ds, SLA %vs; want %ds (flow.JourneyTimeout %s), %vs", pj.Name, pj.TimeoutSeconds, pj.SLASeconds, want, budget, j.TotalSLA().Seconds())
				}
			}
		})
	}
	if runner.DefaultTimeoutMargin != flow.DefaultTimeoutMargin {
		t.Errorf("DefaultTimeoutMargin %s, want flow's %s", runner.DefaultTimeoutMargin, flow.DefaultTimeoutMargin)
	}
}

// TestPlanMarksRunners: each planned journey names its runner, the one the
// state machine routes it to: the browser runner for a journey that drives
// a browser, the runner for the others.
func TestPlanMarksRunners(t *testing.T) {
	step := journey.Step{Name: "login answers", SLA: 2 * time.Second, Do: get("/login")}
	mk := func(name string, browser bool) journey.Journey {
		return journey.Journey{Name: name, Description: name, Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
			Targets: []string{"api"}, Browser: browser, Steps: []journey.Step{step}}
	}
	reg, err := journey.NewRegistry(mk("api-login", false), mk("ui-login", true))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, reg)
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-runners", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, pj := range plan.Journeys {
		got[pj.Name] = pj.Runner
	}
	want := map[string]string{"api-login": flow.RunnerAPI, "ui-login": flow.RunnerBrowser}
	if !maps.Equal(got, want) {
		t.Errorf("planned runners %v, want %v", got, want)
	}
}

// TestPlanGivesFunctions: with the functions the state machine names, each
// planned journey gets its runner's function, which its Map item invokes;
// a journey whose runner has none there is refused before the run is
// recorded (flow.ErrNoRunner), never sent to another runner.
func TestPlanGivesFunctions(t *testing.T) {
	step := journey.Step{Name: "login answers", SLA: 2 * time.Second, Do: get("/login")}
	mk := func(name string, browser bool) journey.Journey {
		return journey.Journey{Name: name, Description: name, Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
			Targets: []string{"api"}, Browser: browser, Steps: []journey.Step{step}}
	}
	reg, err := journey.NewRegistry(mk("api-login", false), mk("ui-login", true))
	if err != nil {
		t.Fatal(err)
	}
	payload := func(runID string, functions map[string]string) string {
		b, _ := json.Marshal(flow.RunnerRequest{Action: flow.ActionPlan, Functions: functions,
			Input: &flow.Input{RunID: runID, Environment: "staging", Trigger: trigger.Trigger{Type: trigger.Schedule}}})
		return string(b)
	}
	f := newFixtureWith(t, reg)
	both := map[string]string{flow.RunnerAPI: "arn:runner", flow.RunnerBrowser: "arn:browser-runner"}
	var plan flow.Plan
	if err := f.invoke(t, payload("r-functions", both), &plan); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, pj := range plan.Journeys {
		got[pj.Name] = pj.Function
	}
	if want := map[string]string{"api-login": "arn:runner", "ui-login": "arn:browser-runner"}; !maps.Equal(got, want) {
		t.Errorf("planned functions %v, want %v", got, want)
	}

	err = f.invoke(t, payload("r-no-browser", map[string]string{flow.RunnerAPI: "arn:runner"}), &plan)
	var ce *runner.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("plan without the browser runner: err = %v (%s), want a ConfigError", err, errorType(err))
	}
	for _, want := range []string{"ui-login", flow.RunnerBrowser, flow.ErrNoRunner} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := f.store.GetRun(context.Background(), "r-no-browser"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused plan: GetRun = %v, want no run recorded", err)
	}
}
