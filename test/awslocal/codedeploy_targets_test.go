package awslocal_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/journeygate/journeygate/test/awslocal"
)

// The real SDK reads a deployment's target, with the lifecycle event in
// progress, as CodeDeploy describes a Lambda and an ECS deployment.
func TestCodeDeployDeploymentTargets(t *testing.T) {
	cd := awslocal.StartCodeDeploy(t)
	cd.AddDeployment("d-LAMBDA", awslocal.Deployment{Application: "a", Group: "g", FunctionName: "checkout-api", Alias: "live", CurrentVersion: "6", TargetVersion: "7", Stage: "BeforeAllowTraffic"})
	cd.AddDeployment("d-ECS", awslocal.Deployment{Application: "a", Group: "g", ComputePlatform: "ECS", ECSCluster: "prod", ECSService: "web", Stage: "AfterAllowTestTraffic"})
	client := cd.Client()
	inProgress := func(events []cdtypes.LifecycleEvent) (string, int) {
		var name string
		n := 0
		for _, e := range events {
			if e.Status == cdtypes.LifecycleEventStatusInProgress {
				name, n = aws.ToString(e.LifecycleEventName), n+1
			}
		}
		return name, n
	}

	ids, err := client.ListDeploymentTargets(ctx(t), &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String("d-LAMBDA")})
	if err != nil || len(ids.TargetIds) != 1 || ids.TargetIds[0] != "checkout-api:live" {
		t.Fatalf("ListDeploymentTargets = %+v, %v", ids, err)
	}
	out, err := client.GetDeploymentTarget(ctx(t), &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String("d-LAMBDA"), TargetId: aws.String(ids.TargetIds[0])})
	if err != nil {
		t.Fatal(err)
	}
	lt := out.DeploymentTarget.LambdaTarget
	if out.DeploymentTarget.DeploymentTargetType != cdtypes.DeploymentTargetTypeLambdaTarget || lt == nil || lt.LambdaFunctionInfo == nil || aws.ToString(lt.LambdaFunctionInfo.TargetVersion) != "7" {
		t.Fatalf("lambda target = %+v", out.DeploymentTarget)
	}
	if name, n := inProgress(lt.LifecycleEvents); name != "BeforeAllowTraffic" || n != 1 {
		t.Errorf("in progress: %q (%d events), want BeforeAllowTraffic alone", name, n)
	}

	ids, err = client.ListDeploymentTargets(ctx(t), &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String("d-ECS")})
	if err != nil || len(ids.TargetIds) != 1 {
		t.Fatalf("ListDeploymentTargets = %+v, %v", ids, err)
	}
	out, err = client.GetDeploymentTarget(ctx(t), &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String("d-ECS"), TargetId: aws.String(ids.TargetIds[0])})
	if err != nil || out.DeploymentTarget.EcsTarget == nil {
		t.Fatalf("ecs target = %+v, %v", out, err)
	}
	if name, _ := inProgress(out.DeploymentTarget.EcsTarget.LifecycleEvents); name != "AfterAllowTestTraffic" {
		t.Errorf("ECS in progress: %q", name)
	}

	_, err = client.GetDeploymentTarget(ctx(t), &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String("d-LAMBDA"), TargetId: aws.String("other:live")})
	var missing *cdtypes.DeploymentTargetDoesNotExistException
	if !errors.As(err, &missing) {
		t.Errorf("unknown target: %v, want DeploymentTargetDoesNotExistException", err)
	}
}
