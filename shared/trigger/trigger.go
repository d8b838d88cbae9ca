package trigger

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Type says what started a run.
type Type string

// The trigger types.
const (
	// CodeDeploy is a CodeDeploy lifecycle hook (Lambda or ECS deployment).
	CodeDeploy Type = "codedeploy"
	// CodePipeline is a CodePipeline Lambda invoke action.
	CodePipeline Type = "codepipeline"
	// ECS is an Amazon ECS service deployment's lifecycle hook.
	ECS Type = "ecs"
	// Schedule is an EventBridge schedule.
	Schedule Type = "schedule"
	// Manual is a request by a person or a script to the hook.
	Manual Type = "manual"
	// CLI is `journeygate run` on a laptop or in any CI.
	CLI Type = "cli"
)

// Types lists every trigger type, for messages.
var Types = []Type{CodeDeploy, CodePipeline, ECS, Schedule, Manual, CLI}

// Trigger describes what started a run and where its verdict goes. The run
// record stores it as it is.
type Trigger struct {
	// Type is one of the Type constants.
	Type Type `json:"type"`
	// DeploymentID is the deployment the verdict gates: CodeDeploy's
	// deployment ID, or the ECS service deployment's ARN; for a CLI run,
	// the --deployment it was given.
	DeploymentID string `json:"deploymentId,omitempty"`
	// LifecycleEventHookExecutionID identifies a CodeDeploy hook execution;
	// the gate reports to it.
	LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId,omitempty"`
	// JobID identifies a CodePipeline job; the hook answers it.
	JobID string `json:"jobId,omitempty"`
	// Stage is the lifecycle stage the run serves: a CodeDeploy lifecycle
	// event (BeforeAllowTraffic, ...) or an ECS lifecycle stage
	// (POST_TEST_TRAFFIC_SHIFT, ...); "" for a run outside a deployment's
	// lifecycle. It decides the run's Traffic.
	Stage Stage `json:"stage,omitempty"`
	// Application and DeploymentGroup name a CodeDeploy deployment's.
	Application     string `json:"application,omitempty"`
	DeploymentGroup string `json:"deploymentGroup,omitempty"`
	// Service is an ECS deployment's service ARN.
	Service string `json:"service,omitempty"`
	// TargetVersion is the version being deployed, when known: a Lambda
	// deployment's target version, an ECS deployment's target service
	// revision ARN, a pipeline's source revision.
	TargetVersion string `json:"targetVersion,omitempty"`
	// Source names the schedule or the requester of a manual run.
	Source string `json:"source,omitempty"`
}

// Reports says whether a deployment waits for this run's verdict.
func (t Trigger) Reports() bool {
	return t.Type == CodeDeploy || t.Type == CodePipeline || t.Type == ECS
}

// Deployment returns the deployment or job the run belongs to, or "".
func (t Trigger) Deployment() string {
	if t.Type == CodePipeline {
		return t.JobID
	}
	return t.DeploymentID
}

// GatesDeployment says whether the run gates a deployment, so that the
// unhealthy-environment freeze and overrides apply: every deployment
// trigger, and a CLI or manual run naming a deployment. Scheduled runs
// never do.
func (t Trigger) GatesDeployment() bool {
	switch t.Type {
	case Schedule:
		return false
	case CodeDeploy, CodePipeline, ECS:
		return true
	}
	return t.DeploymentID != ""
}

// Traffic returns the targets the run uses: its stage's (Traffic of
// Stage), Live for a run outside a lifecycle.
func (t Trigger) Traffic() Traffic {
	if t.Stage == "" {
		return Live
	}
	return t.Stage.Traffic()
}

// Validate checks the fields the trigger's type needs, and that its stage
// is one the type has.
func (t Trigger) Validate() error {
	var errs []error
	need := func(field, value string) {
		if value == "" {
			errs = append(errs, fmt.Errorf("%s trigger needs %s", t.Type, field))
		}
	}
	switch t.Type {
	case CodeDeploy:
		need("deploymentId", t.DeploymentID)
		need("lifecycleEventHookExecutionId", t.LifecycleEventHookExecutionID)
	case CodePipeline:
		need("jobId", t.JobID)
	case ECS:
		need("deploymentId (the service deployment ARN)", t.DeploymentID)
		need("stage", string(t.Stage))
	case Schedule, Manual, CLI:
	default:
		errs = append(errs, fmt.Errorf("trigger type %q is not %s", t.Type, typeList()))
	}
	if t.Stage != "" {
		if err := t.Stage.validFor(t.Type); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func typeList() string {
	names := make([]string, len(Types))
	for i, k := range Types {
		names[i] = string(k)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParseType returns the Type named s, or an error listing the types.
func ParseType(s string) (Type, error) {
	if slices.Contains(Types, Type(s)) {
		return Type(s), nil
	}
	return "", fmt.Errorf("trigger type %q is not %s", s, typeList())
}

// String describes the trigger for people: its type, then the deployment,
// hook execution or job, stage and version it carries.
func (t Trigger) String() string {
	s := string(t.Type)
	if s == "" {
		s = "unknown"
	}
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	add("deployment", t.DeploymentID)
	add("lifecycle hook", t.LifecycleEventHookExecutionID)
	add("job", t.JobID)
	add("service", t.Service)
	add("stage", string(t.Stage))
	add("version", t.TargetVersion)
	add("by", t.Source)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
