package infra

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddNagChecks runs cdk-nag's AwsSolutions rules over scope at synth.
// Findings become error and warning annotations; they do not change the
// exit code of synth, so the tests read them (see the package tests).
func AddNagChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppressFindings records why each remaining AwsSolutions finding is
// accepted, each limited to the resources (appliesTo) it is about.
func (j *JourneyGate) suppressFindings() {
	const xray = "Tracing is active: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so their statement needs Resource *."
	for _, fn := range j.functions {
		suppress(fn.Role(), "AwsSolutions-IAM5", xray, "Resource::*")
	}
	suppress(j.stateMachine.Role(), "AwsSolutions-IAM5",
		"Logging ALL and tracing: the vended log delivery APIs (logs:CreateLogDelivery and the like) and X-Ray's PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets do not support resource-level permissions, so Step Functions needs Resource * for them.",
		"Resource::*")
	for _, p := range j.codePipelinePolicies {
		suppress(p, "AwsSolutions-IAM5",
			"codepipeline:PutJobSuccessResult and PutJobFailureResult do not support resource-level permissions (a job ID is not an ARN); only the two result calls are allowed.",
			"Resource::*")
	}
	for _, p := range j.codeDeployPolicies {
		suppress(p, "AwsSolutions-IAM5",
			"codedeploy:PutLifecycleEventHookExecutionStatus has no resource types in the Service Authorization Reference (wildcard only): it can only set the status of a lifecycle hook execution of a deployment in this account, and it is the only action allowed here.",
			"Resource::*")
	}
	if p := j.deployments.targetsPolicy; p != nil {
		suppress(p, "AwsSolutions-IAM5",
			"codedeploy:ListDeploymentTargets and GetDeploymentTarget have no resource types in the Service Authorization Reference (wildcard only): the hook reads the targets of the deployment it was invoked for, to learn the lifecycle event and the version under test; only these two read calls are allowed here.",
			"Resource::*")
	}
	if p := j.deployments.versionsPolicy; p != nil {
		stack := awscdk.Stack_Of(j.Construct)
		var versions []string
		for _, fn := range j.props.lambdaDeploymentFunctions() {
			versions = append(versions, "Resource::"+nagRendered(stack.Resolve(lambdaVersionsArn(stack, fn))))
		}
		suppress(p, "AwsSolutions-IAM5",
			"A journey invokes the version a Lambda deployment is about to shift its alias to, a number unknown until the deployment: the runner may invoke the versions (NAME:*) of the functions LambdaDeploymentFunctions names for the configured deployment groups, and no other function.",
			versions...)
	}
	if j.vpcPolicy != nil {
		suppress(j.vpcPolicy, "AwsSolutions-IAM5",
			"The runner is attached to Props.Vpc: Lambda creates, describes and deletes its network interfaces with its role; ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets have no resource types, and the interfaces' IDs are Lambda's to choose (AWSLambdaVPCAccessExecutionRole grants the same on *). Only those calls are allowed here.",
			"Resource::*")
	}
	stack := awscdk.Stack_Of(j.Construct)
	reportsID, _ := stack.Resolve(stack.GetLogicalId(j.reports.Node().DefaultChild().(awscdk.CfnElement))).(string)
	suppress(j.GateFunction().Role(), "AwsSolutions-IAM5",
		"The gate writes each run's HTML report to its own key, reports/ENV/RUN.html, unknown until the run: it may s3:PutObject under the reports/ prefix of the reports bucket and nowhere else.",
		"Resource::<"+reportsID+".Arn>/"+ReportPrefix+"*")
	if fn := j.BrowserRunnerFunction(); fn != nil {
		suppress(fn.Role(), "AwsSolutions-IAM5",
			"The browser runner keeps each failed browser step's screenshot under its run, reports/ENV/RUN/..., keys unknown until the run: it may s3:PutObject under its own environment's prefix of the reports bucket and nowhere else.",
			"Resource::<"+reportsID+".Arn>/"+ArtifactPrefix(j.props.Environment)+"*")
	}
	smID, _ := stack.Resolve(stack.GetLogicalId(j.stateMachine.Node().DefaultChild().(awscdk.CfnElement))).(string)
	suppress(j.HookFunction().Role(), "AwsSolutions-IAM5",
		"Re-invoked by CodePipeline with a run's continuation token, the hook asks whether that run's execution still goes (states:DescribeExecution); execution ARNs are the state machine's name and a run ID unknown until the run, so the grant names this state machine's executions and nothing else.",
		"Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<"+smID+".Name>:*")
	suppress(j.sinkSecret, "AwsSolutions-SMG4",
		"The sink token is also configured in the system under test's webhook receiver, which a rotation Lambda cannot update; rotate it by hand with the target (docs/deploy.md, Wiring it into deployments).")
}

// suppress records a reasoned suppression of one rule on c and its
// children, limited to appliesTo findings when given.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// nagRendered writes a resolved template value as cdk-nag's findings name
// it: Ref X as <X>, Fn::GetAtt X.A as <X.A>, Fn::Join joined, a string as
// it is.
func nagRendered(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case *string:
		return *v
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return "<" + ref + ">"
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("<%v.%v>", att[0], att[1])
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = nagRendered(p)
			}
			return strings.Join(out, sep)
		}
	}
	return fmt.Sprint(v)
}
