package cfnvalidate

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestTemplatesPassAWSValidators synthesizes every stack of the app (and
// the Variants) and runs the three validators on each: any finding not in
// accepted.yaml fails, and so does an accepted.yaml entry no finding
// matches any more.
func TestTemplatesPassAWSValidators(t *testing.T) {
	accepted, err := LoadAccepted()
	if err != nil {
		t.Fatal(err)
	}
	stacks, findings, err := Validate()
	if err != nil {
		t.Fatal(err)
	}
	unlisted, ok, stale := Triage(findings, accepted)
	for _, f := range unlisted {
		t.Errorf("%s", f)
	}
	for _, s := range stale {
		t.Error(s)
	}
	if len(unlisted) > 0 {
		t.Logf("%d findings are not in accepted.yaml: fix the template, or accept one there with its reason only when it is right for journeygate", len(unlisted))
	}
	t.Logf("validated %s: %d findings, %d of them accepted in accepted.yaml", strings.Join(stacks, ", "), len(findings), len(ok))
	if len(stacks) < 3 {
		t.Errorf("validated %d stacks (%v), want each environment of infra/deploy.yaml and the variants", len(stacks), stacks)
	}
}

// TestValidatorsReportBrokenTemplates shows each validator can fail: each
// template in testdata breaks its references, and the validator names the
// resource and what is wrong.
func TestValidatorsReportBrokenTemplates(t *testing.T) {
	type want struct{ rule, resource, subject string }
	tests := []struct {
		name  string
		file  string
		check func(Stack) ([]Finding, error)
		want  []want
		// clean are resources that must have no finding: the usual forms
		// a check must not mistake for wrong.
		clean []string
	}{
		{
			name:  ValidatorGuard,
			file:  "testdata/broken-guard.json",
			check: Guard,
			want: []want{
				{"CT.DYNAMODB.PR.1", "CarelessTable", ""},
				{"CT.STEPFUNCTIONS.PR.1", "CarelessStateMachine", ""},
			},
		},
		{
			name:  ValidatorSchema,
			file:  "testdata/broken-schema.json",
			check: Schemas,
			want: []want{
				{"schema.required", "CarelessFunction", ""},
				{"schema.type", "CarelessFunction", "MemorySize"},
				{"schema.additionalProperties", "CarelessFunction", "TimeoutSeconds"},
				{"schema.additionalProperties", "CarelessFunction", "Arn"},
				{"registry.minimum", "CarelessFunction", "Timeout"},
				{"registry.pattern", "CarelessPermission", "Action"},
				{"schema.type", "MisspeltType", "AWS::Lambda::Functoin"},
				{"resolve.unsupported", "UnresolvableQueue", ""},
			},
		},
		{
			name:  ValidatorIAM,
			file:  "testdata/broken-iam.json",
			check: IAM,
			want: []want{
				{"iam.resource-type", "CarelessPolicy", "dynamodb:GetItem"},
				{"iam.resource-type", "CarelessPolicy", "dynamodb:PutItem"},
				{"iam.wildcard-only", "CarelessPolicy", "codedeploy:PutLifecycleEventHookExecutionStatus"},
				{"iam.unknown-action", "CarelessPolicy", "s3:GetObjekt"},
				{"iam.unknown-service", "CarelessPolicy", "dynamo:GetItem"},
				{"iam.resource-type", "CarelessTopicPolicy", "sns:Publish"},
				{"iam.unknown-action", "CarelessPermission", "lambda:InvokeFunctions"},
			},
			clean: []string{"UsualPolicy", "Role"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			findings, err := tt.check(Stack{Name: tt.file, JSON: data})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, fmt.Sprintf("%s %s %s", f.Rule, f.Resource, f.Subject))
				if slices.Contains(tt.clean, f.Resource) {
					t.Errorf("false finding on %s, which is written as AWS documents it: %s", f.Resource, f)
				}
			}
			for _, w := range tt.want {
				found := false
				for _, f := range findings {
					found = found || (f.Rule == w.rule && f.Resource == w.resource && (w.subject == "" || f.Subject == w.subject))
				}
				if !found {
					t.Errorf("%s did not report %s on %s %s; it reported:\n%s", tt.name, w.rule, w.resource, w.subject, strings.Join(got, "\n"))
				}
			}
			for _, f := range findings {
				if f.Message == "" || f.Resource == "" || f.Validator == "" {
					t.Errorf("finding without a message, resource or validator: %#v", f)
				}
			}
		})
	}
}

// TestCDKReport reads a validation report as aws-cdk-lib writes it (this
// one from the staging stack with a circular dependency): the CDK's own
// check can fail too, and its finding names the resource and the cycle.
func TestCDKReport(t *testing.T) {
	data, err := os.ReadFile("testdata/validation-report.json")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := CDKReport("journeygate-staging", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %v", len(fs), fs)
	}
	f := fs[0]
	if f.Validator != ValidatorCDK || f.Rule != "F3004" || f.Resource != "JourneyGateHookFunctionRoleDefaultPolicy2D383EC1" ||
		!strings.HasPrefix(f.Message, "Circular Dependencies for resource") {
		t.Errorf("finding = %#v", f)
	}
}

// TestTriage: a finding is accepted only by an entry of its validator,
// rule and resource (and subject, when the entry names one); an entry's
// resource no finding matches is stale.
func TestTriage(t *testing.T) {
	f := Finding{Validator: ValidatorIAM, Rule: "iam.resource-type", Stack: "s", Resource: "Policy", Subject: "dynamodb:GetItem", Message: "m"}
	tests := []struct {
		name          string
		entry         Accepted
		accepted      bool
		staleEntryRes int
	}{
		{"matching entry", Accepted{Validator: ValidatorIAM, Rule: "iam.resource-type", Resources: []string{"Policy"}}, true, 0},
		{"matching subject", Accepted{Validator: ValidatorIAM, Rule: "iam.resource-type", Resources: []string{"Policy"}, Subject: "dynamodb:GetItem"}, true, 0},
		{"other subject", Accepted{Validator: ValidatorIAM, Rule: "iam.resource-type", Resources: []string{"Policy"}, Subject: "dynamodb:Query"}, false, 1},
		{"other rule", Accepted{Validator: ValidatorIAM, Rule: "iam.wildcard-only", Resources: []string{"Policy"}}, false, 1},
		{"other validator", Accepted{Validator: ValidatorGuard, Rule: "iam.resource-type", Resources: []string{"Policy"}}, false, 1},
		{"other resource, one stale", Accepted{Validator: ValidatorIAM, Rule: "iam.resource-type", Resources: []string{"Policy", "Gone"}}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unlisted, ok, stale := Triage([]Finding{f}, []Accepted{tt.entry})
			if got := len(ok) == 1; got != tt.accepted || len(unlisted)+len(ok) != 1 {
				t.Errorf("accepted = %v, want %v", got, tt.accepted)
			}
			if len(stale) != tt.staleEntryRes {
				t.Errorf("stale = %v, want %d", stale, tt.staleEntryRes)
			}
		})
	}
}

// TestAcceptedFileIsWellFormed: every entry names a validator, a rule,
// resources and a reason (LoadAccepted's checks).
func TestAcceptedFileIsWellFormed(t *testing.T) {
	list, err := LoadAccepted()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("accepted.yaml has no entries: did it fail to embed?")
	}
}
