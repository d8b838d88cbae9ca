package infra

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/internal/secrets"
)

// grantPoolSecrets lets fn read exactly the secrets and parameters the
// environment's pools reference (envconfig.Environment.Refs, from
// Props.EnvironmentsFile): secretsmanager:GetSecretValue and ssm:GetParameter,
// each on the named resources only. A secret named without its ARN matches
// its ARN's random suffix ("-??????"); an ARN is taken as it is. Nothing is
// granted when the pools reference none.
func (j *JourneyGate) grantPoolSecrets(fn awslambda.Function) {
	stack := awscdk.Stack_Of(j.Construct)
	var sm, ps []*string
	for _, r := range j.props.env.Refs() {
		arn := jsii.String(r.Name)
		switch r.Scheme {
		case secrets.SecretsManager:
			if !strings.HasPrefix(r.Name, "arn:") {
				arn = stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("secretsmanager"), Resource: jsii.String("secret"),
					ResourceName: jsii.String(r.Name + "-??????"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
				})
			}
			sm = append(sm, arn)
		case secrets.SSM:
			if !strings.HasPrefix(r.Name, "arn:") {
				arn = stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
					ResourceName: jsii.String(strings.TrimPrefix(r.Name, "/")), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
				})
			}
			ps = append(ps, arn)
		}
	}
	for _, g := range []struct {
		action string
		arns   []*string
	}{{"secretsmanager:GetSecretValue", sm}, {"ssm:GetParameter", ps}} {
		if len(g.arns) == 0 {
			continue
		}
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee: fn, Actions: jsii.Strings(g.action), ResourceArns: &g.arns,
		})
	}
}
