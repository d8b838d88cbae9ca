package envconfig

import (
	"maps"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

const stagingFile = `environments:
  staging:
    targets:
      api: https://api.example.com/
      mail: ${MAIL_URL}
    test_targets:
      api: ${TEST_API:-https://api.example.com:8443/}
      mail: http://${MAIL_HOST}:9000
  local:
    targets:
      api: http://127.0.0.1:1
`

func TestTestTargetsParseLikeTargets(t *testing.T) {
	cfg, err := Parse("envs.yaml", []byte(stagingFile), env(map[string]string{"MAIL_URL": "https://mail.example.com", "MAIL_HOST": "10.0.0.9"}))
	if err != nil {
		t.Fatal(err)
	}
	staging, _ := cfg.Get("staging")
	want := map[string]string{"api": "https://api.example.com:8443", "mail": "http://10.0.0.9:9000"}
	if !maps.Equal(staging.TestTargets, want) {
		t.Errorf("TestTargets = %v, want %v (expanded, default applied, slash trimmed)", staging.TestTargets, want)
	}
	if got := staging.TargetsFor(trigger.Test); !maps.Equal(got, want) {
		t.Errorf("TargetsFor(Test) = %v, want the test targets %v", got, want)
	}
	if got := staging.TargetsFor(trigger.Live); got["api"] != "https://api.example.com" {
		t.Errorf("TargetsFor(Live) = %v, want the live targets", got)
	}
	local, _ := cfg.Get("local")
	if got := local.TargetsFor(trigger.Test); len(got) != 0 {
		t.Errorf("an environment without test_targets gave test targets %v: a test run must never fall back to the live ones", got)
	}
}

func TestTestTargetsErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name string
		data string
		want []string
	}{
		{"not a URL", "environments:\n  staging:\n    targets: {api: http://a}\n    test_targets:\n      api: ftp://x\n",
			[]string{"envs.yaml:5: environments.staging.test_targets.api: ", "not an absolute http(s) URL"}},
		{"unset variable", "environments:\n  staging:\n    targets: {api: http://a}\n    test_targets:\n      api: ${NOPE}\n",
			[]string{"envs.yaml:5: environments.staging.test_targets.api: ", "variable NOPE is not set"}},
		{"no such target", "environments:\n  staging:\n    targets:\n      api: http://a\n    test_targets:\n      apj: http://b\n",
			[]string{"envs.yaml:6: environments.staging.test_targets.apj: ", `test target "apj" has no target of that name`, "(defined: api)"}},
		{"not a map", "environments:\n  staging:\n    test_targets: [http://b]\n", []string{"envs.yaml:3", "test_targets"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("envs.yaml", []byte(tc.data), env(nil))
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCheckForTestStageNeedsTestTargets(t *testing.T) {
	data := `environments:
  staging:
    targets:
      api: https://api.example.com
      mail: https://mail.example.com
    test_targets:
      mail: https://mail.example.com:8443
`
	cfg, err := Parse("envs.yaml", []byte(data), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	js := []journey.Journey{{Name: "checkout", Targets: []string{"api", "mail"}}, {Name: "inbox", Targets: []string{"mail"}}}
	if err := cfg.Check(js); err != nil {
		t.Errorf("live targets define api and mail: %v", err)
	}
	live := trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h", Stage: trigger.AfterAllowTraffic}
	if err := cfg.CheckFor(live, js); err != nil {
		t.Errorf("AfterAllowTraffic runs at live traffic, whose targets define api and mail: %v", err)
	}

	pre := trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h", Stage: trigger.BeforeAllowTraffic}
	err = cfg.CheckFor(pre, js)
	if err == nil {
		t.Fatal("staging has no test target api, which checkout needs at BeforeAllowTraffic: expected an error")
	}
	want := `envs.yaml:6: environments.staging.test_targets: no test_targets.api, which journey "checkout" needs at stage BeforeAllowTraffic (test traffic)`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error\n%v\nlacks\n%s", err, want)
	}
	if !strings.Contains(err.Error(), "defined: mail") {
		t.Errorf("error %q should list the test targets defined", err)
	}
	if strings.Contains(err.Error(), "inbox") || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("only checkout lacks a test target, once: %v", err)
	}

	// An environment that declares no test_targets: the line is the
	// environment's, and the live api is not taken in its place.
	ecs := trigger.Trigger{Type: trigger.ECS, DeploymentID: "arn:aws:ecs:eu-west-1:1:service-deployment/c/s/x", Stage: trigger.PostTestTrafficShift}
	cfg2, err := Parse("envs.yaml", []byte("environments:\n  staging:\n    targets:\n      api: https://api.example.com\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg2.CheckFor(ecs, js[:1])
	for _, w := range []string{"envs.yaml:2: environments.staging.test_targets: ", "no test_targets.api", "no test_targets.mail", "POST_TEST_TRAFFIC_SHIFT (test traffic)", "defined: none"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestCheckForWithoutStageIsLive(t *testing.T) {
	cfg, err := Parse("envs.yaml", []byte("environments:\n  staging:\n    targets: {}\n    test_targets: {}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckFor(trigger.Trigger{Type: trigger.Schedule}, []journey.Journey{{Name: "checkout", Targets: []string{"api"}}})
	if err == nil || !strings.Contains(err.Error(), `environments.staging.targets: missing target "api" used by journey "checkout"`) {
		t.Errorf("a scheduled run uses the live targets; got %v", err)
	}
}

// CheckTargets is CheckFor's check of targets for an environment given as
// values: the same problems, without the file's lines.
func TestCheckTargetsOfAnEnvironment(t *testing.T) {
	e := Environment{Name: "staging", Targets: map[string]string{"api": "https://a", "mail": "https://m"}, TestTargets: map[string]string{"mail": "https://m:8443"}}
	js := []journey.Journey{{Name: "checkout", Targets: []string{"api", "mail"}}, {Name: "local-only", Targets: []string{"mailbox"}, Environments: []string{"local"}}}
	if err := e.CheckTargets(trigger.Trigger{Type: trigger.Schedule}, js); err != nil {
		t.Errorf("live targets define api and mail, and local-only does not run in staging: %v", err)
	}
	tr := trigger.Trigger{Type: trigger.ECS, DeploymentID: "arn:aws:ecs:eu-west-1:1:service-deployment/c/s/x", Stage: trigger.TestTrafficShift}
	err := e.CheckTargets(tr, js)
	want := `environments.staging.test_targets: no test_targets.api, which journey "checkout" needs at stage TEST_TRAFFIC_SHIFT (test traffic)`
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "mail,") {
		t.Errorf("err = %v, want it to start %q", err, want)
	}
	e.TestTargets["api"] = "https://a:8443"
	if err := e.CheckTargets(tr, js); err != nil {
		t.Errorf("test targets define api and mail: %v", err)
	}
}
