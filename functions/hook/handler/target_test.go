package handler

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// LambdaTarget is lambdaTarget for the external tests' fakes.
var LambdaTarget = lambdaTarget

// lambdaTarget is a Lambda deployment's target with stage in progress.
func lambdaTarget(stage, version string) *codedeploy.GetDeploymentTargetOutput {
	var events []cdtypes.LifecycleEvent
	status := cdtypes.LifecycleEventStatusSucceeded
	for _, n := range []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"} {
		if n == stage {
			status = cdtypes.LifecycleEventStatusInProgress
		}
		events = append(events, cdtypes.LifecycleEvent{LifecycleEventName: aws.String(n), Status: status})
		if n == stage {
			status = cdtypes.LifecycleEventStatusPending
		}
	}
	return &codedeploy.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{
		DeploymentTargetType: cdtypes.DeploymentTargetTypeLambdaTarget,
		LambdaTarget: &cdtypes.LambdaTarget{
			LifecycleEvents:    events,
			LambdaFunctionInfo: &cdtypes.LambdaFunctionInfo{TargetVersion: aws.String(version)},
		},
	}}
}
