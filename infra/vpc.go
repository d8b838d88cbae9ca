package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// attachRunner puts the runner in Props.Vpc: its subnets, its security
// groups (Props.SecurityGroups, or one of its own allowing all outbound
// traffic and nothing inbound), and the network-interface calls Lambda
// makes with the function's role to attach it. The role is the runner's
// own (without AWSLambdaVPCAccessExecutionRole, as it has no
// AWSLambdaBasicExecutionRole), so the calls are granted here, in a
// policy of their own.
//
// The browser runner is attached alike, with the same security groups and
// the same policy.
func (j *JourneyGate) attachRunner(fp *awslambda.FunctionProps, role awsiam.IRole) {
	if j.vpcPolicy != nil {
		fp.Vpc, fp.VpcSubnets, fp.SecurityGroups = j.props.Vpc, j.props.VpcSubnets, &j.runnerGroups
		j.vpcPolicy.AttachToRole(role)
		return
	}
	groups := j.props.SecurityGroups
	if len(groups) == 0 {
		groups = []awsec2.ISecurityGroup{awsec2.NewSecurityGroup(j.Construct, jsii.String("RunnerSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc: j.props.Vpc,
			// EC2 allows a-z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* here.
			Description:      jsii.String("journeygate " + j.props.Environment + " runner: calls the journey targets and AWS, accepts no connections"),
			AllowAllOutbound: jsii.Bool(true),
		})}
	}
	j.runnerGroups = groups
	fp.Vpc = j.props.Vpc
	fp.VpcSubnets = j.props.VpcSubnets
	fp.SecurityGroups = &groups
	j.vpcPolicy = awsiam.NewPolicy(j.Construct, jsii.String("RunnerFunctionVpcAccess"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(vpcAccessActions...),
			// Describe* have no resource types, and the interfaces'
			// IDs are Lambda's to choose.
			Resources: jsii.Strings("*"),
		})},
	})
}

// vpcAccessActions are the calls Lambda makes with a VPC function's role
// to manage its network interfaces (those of AWSLambdaVPCAccessExecutionRole
// without its log permissions).
var vpcAccessActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}
