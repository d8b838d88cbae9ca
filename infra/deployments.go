package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/shared/trigger"
)

// deployments is what lets deployment services drive the gate and the gate
// look at what they deploy: the role Amazon ECS invokes the hook with, and
// the policies of the grants on what a deployment group deploys.
type deployments struct {
	// ecsHookRole is the role ECS assumes to invoke the hook.
	ecsHookRole awsiam.Role
	// targetsPolicy lets the hook read a CodeDeploy deployment's targets
	// (nil without DeploymentGroups).
	targetsPolicy awsiam.Policy
	// versionsPolicy lets the runner invoke the versions of
	// LambdaDeploymentFunctions (nil without any).
	versionsPolicy awsiam.Policy
}

// EcsHookRole is the role Amazon ECS assumes to invoke the hook function
// at a service deployment's lifecycle stages: the roleArn of a
// deploymentConfiguration.lifecycleHooks entry whose hookTargetArn is
// HookFunction's ARN (output JourneyGateEcsHookRoleArn). Only ECS acting
// for this account may assume it, and it may invoke the hook function and
// nothing else.
func (j *JourneyGate) EcsHookRole() awsiam.Role { return j.deployments.ecsHookRole }

// EcsLifecycleHook is a lifecycle hook of an ECS service's
// deploymentConfiguration (awsecs.CfnService) that runs this gate at
// stages ("POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", ...):
// the hook function as target, invoked with EcsHookRole. With the L2
// service, awsecs.NewDeploymentLifecycleLambdaTarget(HookFunction(), id,
// &awsecs.DeploymentLifecycleLambdaTargetProps{Role: EcsHookRole(), ...})
// does the same.
func (j *JourneyGate) EcsLifecycleHook(stages ...trigger.Stage) *awsecs.CfnService_DeploymentLifecycleHookProperty {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = string(s)
	}
	return &awsecs.CfnService_DeploymentLifecycleHookProperty{
		HookTargetArn:   j.HookFunction().FunctionArn(),
		RoleArn:         j.deployments.ecsHookRole.RoleArn(),
		LifecycleStages: jsii.Strings(names...),
	}
}

// addDeployments adds the ECS hook role and the grants on what the
// configured deployment groups deploy.
func (j *JourneyGate) addDeployments() {
	j.addEcsHookRole()
	j.grantDeploymentTargets()
	j.grantLambdaVersions()
}

func (j *JourneyGate) addEcsHookRole() {
	stack := awscdk.Stack_Of(j.Construct)
	role := awsiam.NewRole(j.Construct, jsii.String("EcsHookRole"), &awsiam.RoleProps{
		// ECS acting for this account only: no other account's service
		// deployment can name this role (a confused deputy).
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
		}),
		Description: jsii.String("Amazon ECS invokes the journeygate hook at service deployment lifecycle stages (" + j.props.Environment + ")"),
	})
	// The unqualified function, as hookTargetArn names it (the
	// HookFunctionArn output): not its versions or aliases, which nothing
	// publishes.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{j.HookFunction().FunctionArn()},
	}))
	j.deployments.ecsHookRole = role
}

// grantDeploymentTargets lets the hook learn which lifecycle event a
// CodeDeploy hook serves and which version it deploys: a deployment's
// targets (ListDeploymentTargets) and each one's lifecycle events and
// revision (GetDeploymentTarget). Granted with DeploymentGroups, as the
// hook's GetDeployment is.
func (j *JourneyGate) grantDeploymentTargets() {
	if len(j.props.DeploymentGroups) == 0 {
		return
	}
	// Neither call has a resource type in the Service Authorization
	// Reference (wildcard only): scoped to deployment groups, each would be
	// denied. On * in a policy of its own, so its finding's suppression is
	// about these two read calls alone.
	j.deployments.targetsPolicy = awsiam.NewPolicy(j.Construct, jsii.String("HookFunctionCodeDeployTargets"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{j.HookFunction().Role()},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"),
			Resources: jsii.Strings("*"),
		})},
	})
}

// grantLambdaVersions lets the runner invoke the versions of the functions
// the configured Lambda deployment groups deploy, so a journey calls a
// deployment's target version before the alias moves to it.
func (j *JourneyGate) grantLambdaVersions() {
	fns := j.props.lambdaDeploymentFunctions()
	if len(fns) == 0 {
		return
	}
	arns := make([]*string, len(fns))
	for i, fn := range fns {
		arns[i] = lambdaVersionsArn(awscdk.Stack_Of(j.Construct), fn)
	}
	// In a policy of its own, so its finding's suppression names these
	// functions' versions and nothing else.
	var roles []awsiam.IRole
	for _, fn := range j.runners() {
		roles = append(roles, fn.Role())
	}
	j.deployments.versionsPolicy = awsiam.NewPolicy(j.Construct, jsii.String("RunnerFunctionDeployedVersions"), &awsiam.PolicyProps{
		Roles: &roles,
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: &arns,
		})},
	})
}

// lambdaVersionsArn matches every qualified ARN of function name in the
// stack's account and region: arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME:*.
func lambdaVersionsArn(stack awscdk.Stack, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(name + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}
