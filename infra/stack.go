package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ConstructID is the JourneyGate construct's ID within a NewStack stack.
const ConstructID = "JourneyGate"

// NewStack adds d's stack to scope (normally the app): the JourneyGate
// construct under cdk-nag's AwsSolutions checks. No lookups: it synthesizes
// offline and without credentials.
func NewStack(scope constructs.Construct, d Deployment) (awscdk.Stack, *JourneyGate, error) {
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
		Description: jsii.String("journeygate " + d.Props.Environment + ": critical customer journeys as a deployment gate and a scheduled check"),
		Tags:        &map[string]*string{"journeygate:environment": jsii.String(d.Props.Environment)},
	})
	jg, err := NewJourneyGate(stack, ConstructID, d.Props)
	if err != nil {
		return nil, nil, err
	}
	AddNagChecks(stack)
	return stack, jg, nil
}
