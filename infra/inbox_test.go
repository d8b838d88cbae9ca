package infra_test

//lint:file-ignore SA1019 cxapi.SynthesisMessage is what assertions.Annotations returns in Go; its replacement has no Go binding yet

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
)

const inboxDomain = "inbox.example.com"

// inboxSynth synthesizes staging with the inbox domain, in a rule set the
// construct creates (ruleSet "") or an existing one.
func inboxSynth(t *testing.T, ruleSet string) *infratest.Synth {
	t.Helper()
	s, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
		d.Props.InboxDomain, d.Props.InboxRuleSet = inboxDomain, ruleSet
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sesTypes are the resource types only an inbox domain makes.
var sesTypes = []string{"AWS::SES::ReceiptRule", "AWS::SES::ReceiptRuleSet"}

// TestInbox: with an inbox domain the stack receives the domain's mail
// with SES (a receipt rule storing it under inbox/ of the reports bucket,
// which SES alone may put there, then invoking the sink) and tells the
// runner and the sink the domain; without one it has no SES resource, no
// inbox policy and no inbox variable.
func TestInbox(t *testing.T) {
	s := inboxSynth(t, "")
	tpl := s.Assert()
	sink := idOf(t, s, infra.FunctionSink)
	rules := s.Template.OfType("AWS::SES::ReceiptRule")
	sets := s.Template.OfType("AWS::SES::ReceiptRuleSet")
	if len(rules) != 1 || len(sets) != 1 {
		t.Fatalf("%d receipt rules and %d rule sets, want one of each", len(rules), len(sets))
	}
	if got := s.Gate.InboxRuleSetName(); got != "journeygate-staging-inbox" {
		t.Errorf("InboxRuleSetName = %q", got)
	}
	bucket := map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^JourneyGateReportStoreReports"))}
	check(t, "receipt rule: every address of the domain, S3 then the sink", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SES::ReceiptRule"), props(map[string]any{
			"RuleSetName": "journeygate-staging-inbox",
			"Rule": map[string]any{
				"Name": "journeygate-staging-inbox", "Enabled": true, "ScanEnabled": true,
				"Recipients": []any{inboxDomain},
				"Actions": []any{
					map[string]any{"S3Action": map[string]any{"BucketName": bucket, "ObjectKeyPrefix": infra.InboxPrefix}},
					map[string]any{"LambdaAction": map[string]any{"FunctionArn": map[string]any{"Fn::GetAtt": []any{sink, "Arn"}}, "InvocationType": "Event"}},
				},
			},
		}))
	})
	var raw struct {
		Resources map[string]struct{ DependsOn []string }
	}
	if err := json.Unmarshal(s.JSON, &raw); err != nil {
		t.Fatal(err)
	}
	check(t, "output naming the rule set to activate", func() {
		tpl.HasOutput(jsii.String("JourneyGateInboxRuleSetName"), props(map[string]any{"Value": "journeygate-staging-inbox"}))
	})
	deps := raw.Resources[rules[0]].DependsOn
	for _, want := range []string{"ReportStoreReportsPolicy", "InboxInvokeSink", "InboxRuleSet"} {
		if !strings.Contains(strings.Join(deps, " "), want) {
			t.Errorf("the rule depends on %v, want %s first (SES checks its permissions when the rule is made)", deps, want)
		}
	}
	check(t, "bucket policy: SES puts under inbox/, this account's rule only", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), props(map[string]any{
			"Bucket": bucket,
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Sid": "SESInboxPut", "Effect": "Allow", "Action": "s3:PutObject",
				"Principal": map[string]any{"Service": "ses.amazonaws.com"},
				"Resource":  map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{"/" + infra.InboxPrefix + "*"})}},
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
					"ArnLike": map[string]any{"aws:SourceArn": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
						":receipt-rule-set/journeygate-staging-inbox:receipt-rule/journeygate-staging-inbox"})}}},
				},
			}})},
		}))
	})
	check(t, "raw mail expires", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), props(map[string]any{
			"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Id": "expire-inbox", "Status": "Enabled", "Prefix": infra.InboxPrefix, "ExpirationInDays": infra.InboxExpirationDays,
			}})},
			"BucketEncryption": assertions.Match_ObjectLike(&map[string]any{}),
		}))
	})
	check(t, "SES may invoke the sink, for this rule only", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), props(map[string]any{
			"Action": "lambda:InvokeFunction", "Principal": "ses.amazonaws.com",
			"FunctionName":  map[string]any{"Fn::GetAtt": []any{sink, "Arn"}},
			"SourceAccount": map[string]any{"Ref": "AWS::AccountId"},
			"SourceArn":     assertions.Match_ObjectLike(&map[string]any{}),
		}))
	})
	check(t, "the sink reads inbox/ only", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), props(map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Effect": "Allow", "Action": "s3:GetObject",
				"Resource": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{"/" + infra.InboxPrefix + "*"})}},
			}})},
		}))
	})
	for _, fn := range []string{infra.FunctionRunner, infra.FunctionSink} {
		if got := s.Template.Resources[idOf(t, s, fn)].Properties["Environment"]; !strings.Contains(jsonOf(t, got), `"JOURNEYGATE_INBOX_DOMAIN":"`+inboxDomain+`"`) {
			t.Errorf("%s environment %s: no JOURNEYGATE_INBOX_DOMAIN=%s", fn, jsonOf(t, got), inboxDomain)
		}
	}
	if env := jsonOf(t, s.Template.Resources[sink].Properties["Environment"]); !strings.Contains(env, `"JOURNEYGATE_INBOX_BUCKET":{"Ref":"JourneyGateReportStoreReports`) ||
		!strings.Contains(env, `"JOURNEYGATE_INBOX_PREFIX":"inbox/"`) {
		t.Errorf("sink environment %s: want the bucket and prefix of the raw mail", env)
	}
	ann := assertions.Annotations_FromStack(s.Stack)
	for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("unsuppressed cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
	}

	t.Run("an existing rule set", func(t *testing.T) {
		s := inboxSynth(t, "team-rules")
		if n := len(s.Template.OfType("AWS::SES::ReceiptRuleSet")); n != 0 {
			t.Errorf("%d rule sets made, want none: the rule goes into team-rules", n)
		}
		check(t, "rule in the named set", func() {
			s.Assert().HasResourceProperties(jsii.String("AWS::SES::ReceiptRule"), props(map[string]any{"RuleSetName": "team-rules"}))
		})
		if !strings.Contains(string(s.JSON), ":receipt-rule-set/team-rules:receipt-rule/journeygate-staging-inbox") {
			t.Error("the bucket policy and permission do not name the rule in team-rules")
		}
	})

	t.Run("no inbox domain, no SES", func(t *testing.T) {
		s := synth(t, "staging")
		for _, typ := range sesTypes {
			if ids := s.Template.OfType(typ); len(ids) != 0 {
				t.Errorf("%s %v without an inbox domain", typ, ids)
			}
		}
		for _, absent := range []string{"ses.amazonaws.com", "JOURNEYGATE_INBOX_", "expire-inbox", `"` + infra.InboxPrefix, "InboxRuleSetName"} {
			if strings.Contains(string(s.JSON), absent) {
				t.Errorf("the template has %q without an inbox domain", absent)
			}
		}
		if s.Gate.InboxRuleSetName() != "" || s.Gate.InboxRule() != nil {
			t.Error("InboxRuleSetName or InboxRule without an inbox domain")
		}
	})
}

// TestInboxPropsErrors: a bad domain or rule set is refused at synth,
// each with its reason.
func TestInboxPropsErrors(t *testing.T) {
	for _, tt := range []struct{ domain, ruleSet, want string }{
		{"jg@inbox.example.com", "", `Props.InboxDomain "jg@inbox.example.com": a domain, not an address`},
		{"Inbox.Example.com", "", `Props.InboxDomain "Inbox.Example.com": want a lowercase domain name`},
		{"localhost", "", `Props.InboxDomain "localhost": want a lowercase domain name`},
		{"", "team-rules", `Props.InboxRuleSet "team-rules": set without an inbox domain`},
		{inboxDomain, "rules/with/slashes", `Props.InboxRuleSet "rules/with/slashes": not an SES receipt rule set name`},
	} {
		t.Run(tt.want, func(t *testing.T) {
			_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
				d.Props.InboxDomain, d.Props.InboxRuleSet = tt.domain, tt.ruleSet
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
