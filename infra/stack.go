package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ConstructID is the JourneyGate construct's ID within a NewStack stack.
const ConstructID = "JourneyGate"

// StackOption changes a deployment's props once its stack exists, for
// what needs a scope: a VPC (awsec2.Vpc_FromVpcAttributes with real IDs),
// security groups, an existing table or event bus.
type StackOption func(stack awscdk.Stack, p *Props)

// NewStack adds d's stack to scope (normally the app): the JourneyGate
// construct under cdk-nag's AwsSolutions checks, its props as opts change
// them. Without lookups in opts it synthesizes offline and without
// credentials.
func NewStack(scope constructs.Construct, d Deployment, opts ...StackOption) (awscdk.Stack, *JourneyGate, error) {
	var env *awscdk.Environment
	if d.Account != "" || d.Region != "" {
		env = &awscdk.Environment{}
		if d.Account != "" {
			env.Account = jsii.String(d.Account)
		}
		if d.Region != "" {
			env.Region = jsii.String(d.Region)
		}
	}
	stack := awscdk.NewStack(scope, jsii.String(d.StackName()), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String(d.StackName() + ": critical customer journeys as a deployment gate and a scheduled check (journeygate)"),
		Tags:        &map[string]*string{"journeygate:environment": jsii.String(d.Props.Environment)},
	})
	for _, o := range opts {
		o(stack, &d.Props)
	}
	jg, err := NewJourneyGate(stack, ConstructID, d.Props)
	if err != nil {
		return nil, nil, err
	}
	AddNagChecks(stack)
	return stack, jg, nil
}
