package handler

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/journeygate/journeygate/shared/trigger"
)

// lifecycleStage learns which lifecycle event a CodeDeploy hook execution
// serves: the hook event does not say, and the stage decides whether the
// run tests the new version (test targets) or the live one. It is the hook
// event of the deployment's target in progress; a Lambda target also gives
// the version being deployed.
func (h *Handler) lifecycleStage(ctx context.Context, deploymentID string) (trigger.Stage, string, error) {
	ids, err := h.cd.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(deploymentID)})
	if err != nil {
		return "", "", fmt.Errorf("listing the deployment's targets: %w", err)
	}
	if len(ids.TargetIds) == 0 {
		return "", "", fmt.Errorf("deployment %s has no targets: cannot tell which lifecycle event this hook serves", deploymentID)
	}
	out, err := h.cd.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(deploymentID), TargetId: aws.String(ids.TargetIds[0])})
	if err != nil {
		return "", "", fmt.Errorf("reading deployment target %s: %w", ids.TargetIds[0], err)
	}
	var events []cdtypes.LifecycleEvent
	version := ""
	switch t := out.DeploymentTarget; {
	case t == nil:
	case t.LambdaTarget != nil:
		events = t.LambdaTarget.LifecycleEvents
		if info := t.LambdaTarget.LambdaFunctionInfo; info != nil {
			version = aws.ToString(info.TargetVersion)
		}
	case t.EcsTarget != nil:
		events = t.EcsTarget.LifecycleEvents
	}
	var seen []string
	for _, e := range events {
		name := trigger.Stage(aws.ToString(e.LifecycleEventName))
		seen = append(seen, fmt.Sprintf("%s %s", name, e.Status))
		if e.Status == cdtypes.LifecycleEventStatusInProgress && slices.Contains(trigger.CodeDeployStages, name) {
			return name, version, nil
		}
	}
	return "", "", fmt.Errorf("no hook lifecycle event of target %s is in progress (%v): cannot tell which one this hook serves", ids.TargetIds[0], seen)
}
