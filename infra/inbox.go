package infra

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/jsii-runtime-go"
)

// InboxPrefix is where in the reports bucket SES's receipt rule stores the
// raw messages to the inbox domain, InboxPrefix + the SES message ID; the
// sink may read there and nowhere else.
const InboxPrefix = "inbox/"

// InboxExpirationDays is how long a raw message is kept in the bucket:
// the sink has stored it in the table within seconds of its arrival.
const InboxExpirationDays = 1

var (
	// domainPattern is a lowercase DNS name of two labels or more.
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
	// ruleSetPattern is an SES receipt rule set's name.
	ruleSetPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$`)
)

// checkInbox says what is wrong with the inbox props.
func checkInbox(p Props) []error {
	var errs []error
	if why := inboxDomainProblem(p.InboxDomain); why != "" {
		errs = append(errs, fmt.Errorf("Props.InboxDomain %q: %s", p.InboxDomain, why))
	}
	if why := inboxRuleSetProblem(p.InboxDomain, p.InboxRuleSet); why != "" {
		errs = append(errs, fmt.Errorf("Props.InboxRuleSet %q: %s", p.InboxRuleSet, why))
	}
	return errs
}

// inboxDomainProblem says why domain cannot be the inbox domain; "" when
// it can (or is empty: no inbox).
func inboxDomainProblem(domain string) string {
	switch {
	case domain == "":
		return ""
	case strings.Contains(domain, "@"):
		return "a domain, not an address: every address of the domain is an inbox"
	case len(domain) > 253 || !domainPattern.MatchString(domain):
		return "want a lowercase domain name such as inbox.example.com"
	}
	return ""
}

// inboxRuleSetProblem says why ruleSet cannot hold the inbox rule; "" when
// it can (or is empty: the construct creates one).
func inboxRuleSetProblem(domain, ruleSet string) string {
	switch {
	case ruleSet == "":
		return ""
	case domain == "":
		return "set without an inbox domain: set the domain the rule receives mail for"
	case !ruleSetPattern.MatchString(ruleSet):
		return "not an SES receipt rule set name: want 1-64 of letters, digits, ., _ and -, starting and ending with a letter or digit"
	}
	return ""
}

// InboxRuleSetName is the receipt rule set the inbox's rule is in:
// Props.InboxRuleSet, or the one the construct created (which must be
// made the region's active set: see docs/inbox.md); "" without an inbox
// domain.
func (j *JourneyGate) InboxRuleSetName() string {
	switch {
	case j.props.InboxDomain == "":
		return ""
	case j.props.InboxRuleSet != "":
		return j.props.InboxRuleSet
	}
	return j.name("-inbox")
}

// InboxRule is the SES receipt rule of the inbox domain; nil without one.
func (j *JourneyGate) InboxRule() awsses.CfnReceiptRule {
	if c := j.Node().TryFindChild(jsii.String("InboxRule")); c != nil {
		return c.(awsses.CfnReceiptRule)
	}
	return nil
}

// addInbox receives the inbox domain's mail with SES, when Props has an
// InboxDomain: a receipt rule for every address of the domain stores the
// raw message in the reports bucket under InboxPrefix (encrypted by the
// bucket's default encryption, expiring after InboxExpirationDays), then
// invokes the sink (Event invocation), which reads the message by its ID,
// parses nothing, and stores it as a delivery of the recipient's inbox.
//
// The sink is invoked by the rule's Lambda action rather than by an S3
// event notification: SES runs a rule's actions in order, so the object is
// written before the sink is invoked; the event carries the recipients and
// the receipt time the sink attributes and deduplicates with; and S3
// notifications would need the CDK's notifications custom resource (a
// Lambda of its own with a wildcard policy). SES's Lambda event does not
// carry the message, hence the S3 action first.
//
// SES has one active receipt rule set per region, and CloudFormation
// cannot activate one: the rule goes into Props.InboxRuleSet when set (the
// region's active set, say), or into a set the construct creates, which
// `aws ses set-active-receipt-rule-set` must activate.
func (j *JourneyGate) addInbox() {
	p := j.props
	if p.InboxDomain == "" {
		return
	}
	stack := awscdk.Stack_Of(j.Construct)
	sink := j.SinkFunction()
	ruleName := j.name("-inbox")
	ruleSetName := j.InboxRuleSetName()
	var ruleSet awsses.CfnReceiptRuleSet
	if p.InboxRuleSet == "" {
		ruleSet = awsses.NewCfnReceiptRuleSet(j.Construct, jsii.String("InboxRuleSet"), &awsses.CfnReceiptRuleSetProps{
			RuleSetName: jsii.String(ruleSetName),
		})
	}
	ruleArn := fmt.Sprintf("arn:%s:ses:%s:%s:receipt-rule-set/%s:receipt-rule/%s",
		*stack.Partition(), *stack.Region(), *stack.Account(), ruleSetName, ruleName)

	// SES may put messages under the prefix, for this account's rule only.
	j.reports.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("SESInboxPut"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("ses.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*j.reports.ArnForObjects(jsii.String(InboxPrefix + "*"))),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": ruleArn},
		},
	}))
	j.reports.AddLifecycleRule(&awss3.LifecycleRule{
		Id:         jsii.String("expire-inbox"),
		Enabled:    jsii.Bool(true),
		Prefix:     jsii.String(InboxPrefix),
		Expiration: awscdk.Duration_Days(jsii.Number(InboxExpirationDays)),
	})
	// SES may invoke the sink, for this account's rule only.
	permission := awslambda.NewCfnPermission(j.Construct, jsii.String("InboxInvokeSink"), &awslambda.CfnPermissionProps{
		Action:        jsii.String("lambda:InvokeFunction"),
		FunctionName:  sink.FunctionArn(),
		Principal:     jsii.String("ses.amazonaws.com"),
		SourceAccount: stack.Account(),
		SourceArn:     jsii.String(ruleArn),
	})
	rule := awsses.NewCfnReceiptRule(j.Construct, jsii.String("InboxRule"), &awsses.CfnReceiptRuleProps{
		RuleSetName: jsii.String(ruleSetName),
		Rule: &awsses.CfnReceiptRule_RuleProperty{
			Name:        jsii.String(ruleName),
			Enabled:     jsii.Bool(true),
			ScanEnabled: jsii.Bool(true),
			// The domain itself matches every address of it.
			Recipients: jsii.Strings(p.InboxDomain),
			Actions: &[]*awsses.CfnReceiptRule_ActionProperty{
				{S3Action: &awsses.CfnReceiptRule_S3ActionProperty{
					BucketName:      j.reports.BucketName(),
					ObjectKeyPrefix: jsii.String(InboxPrefix),
				}},
				{LambdaAction: &awsses.CfnReceiptRule_LambdaActionProperty{
					FunctionArn:    sink.FunctionArn(),
					InvocationType: jsii.String("Event"),
				}},
			},
		},
	})
	// SES checks it may write to the bucket and invoke the function when
	// the rule is made.
	rule.Node().AddDependency(permission)
	if pol := j.reports.Policy(); pol != nil {
		rule.Node().AddDependency(pol)
	}
	if ruleSet != nil {
		rule.Node().AddDependency(ruleSet)
	}

	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      sink,
		Actions:      jsii.Strings("s3:GetObject"),
		ResourceArns: jsii.Strings(*j.reports.ArnForObjects(jsii.String(InboxPrefix + "*"))),
	})
	reportsID, _ := stack.Resolve(stack.GetLogicalId(j.reports.Node().DefaultChild().(awscdk.CfnElement))).(string)
	suppress(sink.Role(), "AwsSolutions-IAM5",
		"SES stores each message to the inbox domain under inbox/ and its SES message ID, unknown until the mail arrives: the sink may s3:GetObject under the inbox/ prefix of the reports bucket and nowhere else.",
		"Resource::<"+reportsID+".Arn>/"+InboxPrefix+"*")
	sink.AddEnvironment(jsii.String("JOURNEYGATE_INBOX_DOMAIN"), jsii.String(p.InboxDomain), nil)
	sink.AddEnvironment(jsii.String("JOURNEYGATE_INBOX_BUCKET"), j.reports.BucketName(), nil)
	sink.AddEnvironment(jsii.String("JOURNEYGATE_INBOX_PREFIX"), jsii.String(InboxPrefix), nil)
	for _, fn := range j.runners() {
		fn.AddEnvironment(jsii.String("JOURNEYGATE_INBOX_DOMAIN"), jsii.String(p.InboxDomain), nil)
	}
	out := awscdk.NewCfnOutput(j.Construct, jsii.String("InboxRuleSetName"), &awscdk.CfnOutputProps{
		Value:       jsii.String(ruleSetName),
		Description: jsii.String("SES receipt rule set holding the inbox rule: the region's active set must be this one (aws ses set-active-receipt-rule-set)"),
	})
	out.OverrideLogicalId(jsii.String(pascal(*j.Node().Id()) + "InboxRuleSetName"))
}
