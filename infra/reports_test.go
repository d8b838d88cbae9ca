package infra_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
)

// TestReportBucket: the gate's HTML reports go to a bucket of the stack
// that is encrypted, private, TLS only, access-logged and expiring its
// objects; the gate may write reports/* there and nothing else, and reads
// the bucket's name from JOURNEYGATE_REPORT_BUCKET.
func TestReportBucket(t *testing.T) {
	for _, tc := range []struct {
		variant             string
		reportDays, logDays float64
	}{
		{"staging", 30, 30},    // the defaults
		{"production", 30, 90}, // log_retention 2160h: the access logs follow it
		{"pagerduty", 7, 30},   // ReportRetentionDays 7
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			tpl := s.Assert()
			stack := s.Stack
			reports, _ := stack.Resolve(stack.GetLogicalId(s.Gate.ReportBucket().Node().DefaultChild().(awscdk.CfnElement))).(string)
			logs, _ := stack.Resolve(stack.GetLogicalId(s.Gate.ReportLogsBucket().Node().DefaultChild().(awscdk.CfnElement))).(string)
			if reports == "" || logs == "" || reports == logs {
				t.Fatalf("logical IDs %q and %q", reports, logs)
			}
			check(t, "two buckets", func() { tpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(2)) })
			private := map[string]any{
				"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
				}},
				"PublicAccessBlockConfiguration": map[string]any{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				},
				"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
			}
			expiring := func(days float64) map[string]any {
				return map[string]any{"Rules": []any{map[string]any{
					"Id": "expire", "Status": "Enabled", "ExpirationInDays": days,
					"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1},
				}}}
			}
			for _, b := range []struct {
				id      string
				days    float64
				logging any
			}{
				{reports, tc.reportDays, map[string]any{"DestinationBucketName": map[string]any{"Ref": logs}, "LogFilePrefix": "reports-bucket/"}},
				{logs, tc.logDays, assertions.Match_Absent()},
			} {
				p := map[string]any{"LifecycleConfiguration": expiring(b.days), "LoggingConfiguration": b.logging}
				for k, v := range private {
					p[k] = v
				}
				check(t, "bucket "+b.id, func() {
					tpl.HasResource(jsii.String("AWS::S3::Bucket"), props(map[string]any{
						"Properties": assertions.Match_ObjectEquals(&p), "DeletionPolicy": "Retain",
					}))
				})
				check(t, "TLS only on "+b.id, func() {
					tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), props(map[string]any{
						"Bucket": map[string]any{"Ref": b.id},
						"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
							"Action": "s3:*", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
							"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
							"Resource":  assertions.Match_AnyValue(),
						}})},
					}))
				})
			}
			check(t, "gate environment", func() {
				tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), props(map[string]any{
					"Description": assertions.Match_StringLikeRegexp(jsii.String("^Decides a journeygate run")),
					"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
						"JOURNEYGATE_REPORT_BUCKET": map[string]any{"Ref": reports},
					})},
				}))
			})
			check(t, "output", func() {
				tpl.HasOutput(jsii.String("JourneyGateReportBucketName"), props(map[string]any{"Value": map[string]any{"Ref": reports}}))
			})
			// Only the gate touches S3, with s3:PutObject under reports/
			// only, and the browser runner, under its environment's
			// prefix only (screenshots under the run).
			want := `{"Fn::Join":["",[{"Fn::GetAtt":["` + reports + `","Arn"]},"/` + infra.ReportPrefix + `*"]]}`
			artifacts := `{"Fn::Join":["",[{"Fn::GetAtt":["` + reports + `","Arn"]},"/` + infra.ArtifactPrefix(s.Deployment.Props.Environment) + `*"]]}`
			found := false
			for fn, statements := range functionStatements(t, s) {
				for _, st := range statements {
					res, _ := json.Marshal(st["Resource"])
					for _, a := range list(st["Action"]) {
						if !strings.HasPrefix(a, "s3:") {
							continue
						}
						if fn == infra.FunctionBrowserRunner && a == "s3:PutObject" && string(res) == artifacts {
							continue
						}
						if fn != infra.FunctionGate || a != "s3:PutObject" || string(res) != want {
							t.Errorf("%s may %s on %s; only the gate may s3:PutObject on %s (and the browser runner on %s)", fn, a, res, want, artifacts)
						}
						found = true
					}
				}
			}
			if !found {
				t.Error("the gate may not write reports")
			}
		})
	}
}

// functionStatements returns every identity policy statement of each of
// the four functions, by function name.
func functionStatements(t *testing.T, s *infratest.Synth) map[string][]map[string]any {
	t.Helper()
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(s.JSON, &tpl); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for id, name := range s.Gate.FunctionLogicalIDs() {
		roles[tpl.Resources[id].Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)] = name
	}
	out := map[string][]map[string]any{}
	for _, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Policy" {
			continue
		}
		for _, role := range r.Properties["Roles"].([]any) {
			name := roles[role.(map[string]any)["Ref"].(string)]
			for _, st := range r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				out[name] = append(out[name], st.(map[string]any))
			}
		}
	}
	return out
}

func TestReportRetentionIsChecked(t *testing.T) {
	for _, days := range []int{-1, 3651} {
		_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) { d.Props.ReportRetentionDays = days })
		if err == nil || !strings.Contains(err.Error(), "report retention of") {
			t.Errorf("ReportRetentionDays %d: err = %v, want it refused", days, err)
		}
	}
}
