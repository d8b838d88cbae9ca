package trigger_test

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/trigger"
)

func TestValidate(t *testing.T) {
	arn := "arn:aws:ecs:us-west-2:123456789012:service-deployment/c/s/d1"
	tests := []struct {
		name    string
		trigger trigger.Trigger
		wantErr string // "" = valid
	}{
		{"codedeploy", trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h", Stage: trigger.BeforeAllowTraffic}, ""},
		{"codedeploy without hook", trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, "needs lifecycleEventHookExecutionId"},
		{"codedeploy with an ECS stage", trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h", Stage: trigger.PostScaleUp}, `codedeploy stage "POST_SCALE_UP" is not one of BeforeInstall`},
		{"codepipeline", trigger.Trigger{Type: trigger.CodePipeline, JobID: "j"}, ""},
		{"codepipeline without job", trigger.Trigger{Type: trigger.CodePipeline}, "needs jobId"},
		{"ecs", trigger.Trigger{Type: trigger.ECS, DeploymentID: arn, Stage: trigger.PostTestTrafficShift}, ""},
		{"ecs without stage", trigger.Trigger{Type: trigger.ECS, DeploymentID: arn}, "needs stage"},
		{"ecs with a lower-case stage", trigger.Trigger{Type: trigger.ECS, DeploymentID: arn, Stage: "post_test_traffic_shift"}, "is not one of RECONCILE_SERVICE"},
		{"schedule with a stage", trigger.Trigger{Type: trigger.Schedule, Stage: trigger.BeforeAllowTraffic}, "only codedeploy, ecs and cli triggers have stages"},
		{"manual", trigger.Trigger{Type: trigger.Manual}, ""},
		{"unknown", trigger.Trigger{Type: "cron"}, `trigger type "cron" is not codedeploy, codepipeline, ecs, schedule, manual or cli`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.trigger.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want valid", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestTrafficByStage(t *testing.T) {
	test := map[trigger.Stage]bool{
		trigger.AfterAllowTestTraffic: true, trigger.BeforeAllowTraffic: true,
		trigger.PostScaleUp: true, trigger.TestTrafficShift: true, trigger.PostTestTrafficShift: true,
	}
	for _, s := range append(append([]trigger.Stage{}, trigger.CodeDeployStages...), trigger.ECSStages...) {
		want := trigger.Live
		if test[s] {
			want = trigger.Test
		}
		if got := s.Traffic(); got != want {
			t.Errorf("%s: traffic %s, want %s", s, got, want)
		}
	}
	if got := (trigger.Trigger{Type: trigger.CodePipeline}).Traffic(); got != trigger.Live {
		t.Errorf("a run outside a lifecycle uses %s targets, want live", got)
	}
}

func TestGatesDeployment(t *testing.T) {
	for _, tt := range []struct {
		trigger trigger.Trigger
		want    bool
	}{
		{trigger.Trigger{Type: trigger.ECS}, true},
		{trigger.Trigger{Type: trigger.CodeDeploy}, true},
		{trigger.Trigger{Type: trigger.Schedule, DeploymentID: "d-1"}, false},
		{trigger.Trigger{Type: trigger.CLI, DeploymentID: "d-1"}, true},
		{trigger.Trigger{Type: trigger.CLI}, false},
	} {
		if got := tt.trigger.GatesDeployment(); got != tt.want {
			t.Errorf("%s: GatesDeployment %v, want %v", tt.trigger, got, tt.want)
		}
	}
	if got := (trigger.Trigger{Type: trigger.CodePipeline, JobID: "job-1"}).Deployment(); got != "job-1" {
		t.Errorf("a pipeline run's deployment is its job, got %q", got)
	}
}
