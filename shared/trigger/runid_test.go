package trigger_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/trigger"
)

// validName is Step Functions' rule for execution names.
var validName = regexp.MustCompile(`^[0-9A-Za-z_-]{1,80}$`)

func TestRunID(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name  string
		parts []string
		want  string // exact when not ""
	}{
		{"clean parts kept", []string{"cp", "c0d5e8b2-4a7f"}, "cp-c0d5e8b2-4a7f"},
		{"sanitised and hashed", []string{"manual", "ops drill/1"}, ""},
		{"long cut and hashed", []string{"manual", long}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := trigger.RunID(tt.parts...)
			if !validName.MatchString(got) {
				t.Fatalf("RunID = %q: not a valid execution name", got)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("RunID = %q, want %q", got, tt.want)
			}
			if again := trigger.RunID(tt.parts...); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
		})
	}
	if a, b := trigger.RunID("manual", "a/b"), trigger.RunID("manual", "a b"); a == b {
		t.Errorf("distinct inputs share a name: %q", a)
	}
	if a, b := trigger.RunID("m", long+"1"), trigger.RunID("m", long+"2"); a == b {
		t.Errorf("distinct long inputs share a name: %q", a)
	}
}

func TestDeploymentRunIDs(t *testing.T) {
	arn := "arn:aws:ecs:us-west-2:123456789012:service-deployment/my-cluster/my-service/EZe5RNVLH6PPzHXINuP28"
	ecs := func(stage trigger.Stage, deployment string) string {
		return trigger.Trigger{Type: trigger.ECS, DeploymentID: deployment, Stage: stage}.RunID()
	}
	a, b := ecs(trigger.PostTestTrafficShift, arn), ecs(trigger.PostScaleUp, arn)
	if a == b {
		t.Errorf("two stages of one ECS deployment share run %q", a)
	}
	if again := ecs(trigger.PostTestTrafficShift, arn); again != a {
		t.Errorf("the same stage gave %q then %q", a, again)
	}
	other := strings.Replace(arn, "my-service", "other-service", 1)
	if ecs(trigger.PostTestTrafficShift, other) == a {
		t.Errorf("two services' deployments share run %q", a)
	}
	if !strings.HasPrefix(a, "ecs-EZe5RNVLH6PPzHXINuP28-POST_TEST_TRAFFIC_SHIFT-") {
		t.Errorf("ECS run ID %q does not lead with the deployment and stage", a)
	}
	cd := trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-ABC", LifecycleEventHookExecutionID: "hook-1"}.RunID()
	cp := trigger.Trigger{Type: trigger.CodePipeline, JobID: "c0d5e8b2-4a7f"}.RunID()
	for _, id := range []string{a, b, cd, cp} {
		if !validName.MatchString(id) {
			t.Errorf("run ID %q is not a valid execution name", id)
		}
	}
	if cp != "cp-c0d5e8b2-4a7f" || !strings.HasPrefix(cd, "cd-d-ABC-") {
		t.Errorf("codepipeline %q, codedeploy %q", cp, cd)
	}
	if id := (trigger.Trigger{Type: trigger.Schedule}).RunID(); id != "" {
		t.Errorf("a schedule's run ID comes from its request, got %q", id)
	}
}
