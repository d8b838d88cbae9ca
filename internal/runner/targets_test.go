package runner

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

func TestStageTargets(t *testing.T) {
	live := map[string]string{"api": "https://live"}
	test := map[string]string{"api": "https://test"}
	js := []journey.Journey{{Name: "checkout", Targets: []string{"api"}}}
	cd := func(stage trigger.Stage) trigger.Trigger {
		return trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1", Stage: stage}
	}
	for _, tc := range []struct {
		tr   trigger.Trigger
		want map[string]string
	}{
		{cd(trigger.BeforeAllowTraffic), test},
		{cd(trigger.AfterAllowTestTraffic), test},
		{cd(trigger.AfterAllowTraffic), live},
		{trigger.Trigger{Type: trigger.ECS, DeploymentID: "arn:aws:ecs:eu-west-1:1:service-deployment/c/s/x", Stage: trigger.PostTestTrafficShift}, test},
		{trigger.Trigger{Type: trigger.Schedule}, live},
		{trigger.Trigger{Type: trigger.CLI}, live},
	} {
		got, err := stageTargets(tc.tr, "staging", live, test, js)
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%s at %q: targets %v, %v; want %v", tc.tr.Type, tc.tr.Stage, got, err, tc.want)
		}
	}

	_, err := stageTargets(cd(trigger.BeforeAllowTraffic), "staging", live, nil, js)
	want := `configuration: environments.staging.test_targets: no test_targets.api, which journey "checkout" needs at stage BeforeAllowTraffic (test traffic)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want it to start %q", err, want)
	}
}

// A run at a pre-traffic stage sends journeys to the test targets and
// shows them the stage and the version under test; a live stage to the
// live targets.
func TestRunUsesTheStageTargets(t *testing.T) {
	srv := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }))
		t.Cleanup(s.Close)
		return s
	}
	live, test := srv("live"), srv("test")
	for _, tc := range []struct {
		stage trigger.Stage
		want  string
	}{
		{trigger.BeforeAllowTraffic, "test|BeforeAllowTraffic|test|7"},
		{trigger.AfterAllowTraffic, "live|AfterAllowTraffic|live|7"},
	} {
		t.Run(string(tc.stage), func(t *testing.T) {
			var saw atomic.Value
			j := testJourney("checkout", journey.ModeEnforce, func(ctx context.Context, jt *journey.T) error {
				resp, err := jt.HTTP("api").Get(ctx, "/")
				if err != nil {
					return err
				}
				saw.Store(fmt.Sprintf("%s|%s|%s|%s", resp.Body, jt.Stage(), jt.Traffic(), jt.TargetVersion()))
				return nil
			})
			j.Targets = []string{"api"}
			p := plan(j)
			p.Trigger = trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1", Stage: tc.stage, TargetVersion: "7"}
			p.Targets, p.TestTargets = map[string]string{"api": live.URL}, map[string]string{"api": test.URL}
			out := Run(context.Background(), p, Deps{Store: openStore(t)})
			if out.Verdict.Status != gate.Succeeded {
				t.Fatalf("verdict %s: %s", out.Verdict.Status, out.Verdict.Summary)
			}
			if got, _ := saw.Load().(string); got != tc.want {
				t.Errorf("journey saw %q, want %q (body|stage|traffic|version)", got, tc.want)
			}
		})
	}
}

// A test target missing for the run's stage fails the run as a
// configuration fault, recorded with its verdict, before any journey runs.
func TestRunWithoutTestTargetFailsBeforeAnyJourney(t *testing.T) {
	var ran atomic.Int32
	count := func(context.Context, *journey.T) error { ran.Add(1); return nil }
	needs := testJourney("checkout", journey.ModeEnforce, count)
	needs.Targets = []string{"api"}
	other := testJourney("health", journey.ModeEnforce, count)
	p := plan(needs, other)
	p.Environment = "staging"
	p.Trigger = trigger.Trigger{Type: trigger.ECS, DeploymentID: "arn:aws:ecs:eu-west-1:1:service-deployment/c/s/x", Stage: trigger.PostTestTrafficShift}
	p.Targets = map[string]string{"api": "http://127.0.0.1:1"}
	st := openStore(t)
	out := Run(context.Background(), p, Deps{Store: st})
	if out.Verdict.Status != gate.Failed {
		t.Fatalf("verdict %s, want Failed", out.Verdict.Status)
	}
	want := `configuration: environments.staging.test_targets: no test_targets.api, which journey "checkout" needs at stage POST_TEST_TRAFFIC_SHIFT (test traffic)`
	if !strings.Contains(gate.RunFaults(out.Verdict), want) {
		t.Errorf("verdict %+v does not say %q", out.Verdict, want)
	}
	if n := ran.Load(); n != 0 || len(out.Results) != 0 {
		t.Errorf("%d journeys ran, %d results: none should run against a wrong target", n, len(out.Results))
	}
	rec, err := st.GetRun(context.Background(), out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Verdict == nil || rec.Verdict.Status != gate.Failed || !strings.Contains(gate.RunFaults(*rec.Verdict), "test_targets.api") {
		t.Errorf("stored verdict %+v, want Failed naming the missing test target", rec.Verdict)
	}
}
