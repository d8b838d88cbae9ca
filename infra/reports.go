package infra

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ReportPrefix is where in the reports bucket the gate writes HTML run
// reports (reports/ENV/RUN.html, handler.ReportKey); it may write nowhere
// else.
const ReportPrefix = "reports/"

// ArtifactPrefix is where in the reports bucket the browser runner keeps
// what browser journeys capture (screenshots), reports/ENV/ then the run:
// reports/ENV/RUN/..., beside the run's report reports/ENV/RUN.html.
func ArtifactPrefix(environment string) string { return ReportPrefix + environment + "/" }

// ReportBucket holds the gate's HTML run reports: encrypted (S3 managed
// keys), no public access, TLS only, each report expiring after
// Props.ReportRetentionDays, its server access logs in ReportLogsBucket.
func (j *JourneyGate) ReportBucket() awss3.Bucket { return j.reports }

// ReportLogsBucket receives the reports bucket's server access logs.
func (j *JourneyGate) ReportLogsBucket() awss3.Bucket { return j.reportLogs }

// addReports adds the reports bucket and its access log bucket, and lets
// the gate write reports there: s3:PutObject under ReportPrefix, nothing
// else, the bucket's name in JOURNEYGATE_REPORT_BUCKET. Both buckets are
// kept when the stack is deleted (a stack cannot delete a bucket that
// still holds objects); their lifecycle rules keep expiring what is in
// them.
func (j *JourneyGate) addReports() {
	days := j.props.ReportRetentionDays
	logDays := max(days, retentionDaysOf(j.props.LogRetention))
	// Access logs are delivered under a bucket policy for the logging
	// service, not an ACL: the buckets enforce bucket-owner object
	// ownership, which turns ACLs off. The CDK does so where this feature
	// flag is on, which a scope of our own sets whatever the app's
	// context says.
	scope := constructs.NewConstruct(j.Construct, jsii.String("ReportStore"))
	scope.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	bucket := func(id string, expire int, logs awss3.IBucket) awss3.Bucket {
		props := &awss3.BucketProps{
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:        jsii.Bool(true),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Id:                                  jsii.String("expire"),
				Enabled:                             jsii.Bool(true),
				Expiration:                          awscdk.Duration_Days(jsii.Number(float64(expire))),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			}},
		}
		if logs != nil {
			props.ServerAccessLogsBucket = logs
			props.ServerAccessLogsPrefix = jsii.String("reports-bucket/")
		}
		return awss3.NewBucket(scope, jsii.String(id), props)
	}
	j.reportLogs = bucket("ReportLogs", logDays, nil)
	j.reports = bucket("Reports", days, j.reportLogs)

	gate := j.GateFunction()
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      gate,
		Actions:      jsii.Strings("s3:PutObject"),
		ResourceArns: jsii.Strings(*j.reports.ArnForObjects(jsii.String(ReportPrefix + "*"))),
	})
	gate.AddEnvironment(jsii.String("JOURNEYGATE_REPORT_BUCKET"), j.reports.BucketName(), nil)
	// The hook names the report in a CodePipeline job's failure message.
	j.HookFunction().AddEnvironment(jsii.String("JOURNEYGATE_REPORT_BUCKET"), j.reports.BucketName(), nil)
	// The browser runner keeps screenshots under the run, in its own
	// environment's prefix only.
	if fn := j.BrowserRunnerFunction(); fn != nil {
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      fn,
			Actions:      jsii.Strings("s3:PutObject"),
			ResourceArns: jsii.Strings(*j.reports.ArnForObjects(jsii.String(ArtifactPrefix(j.props.Environment) + "*"))),
		})
		fn.AddEnvironment(jsii.String("JOURNEYGATE_REPORT_BUCKET"), j.reports.BucketName(), nil)
		fn.AddEnvironment(jsii.String("JOURNEYGATE_ARTIFACT_PREFIX"), jsii.String(ArtifactPrefix(j.props.Environment)), nil)
	}
	// SES stores the inbox domain's raw mail here too (inbox.go).
	j.addInbox()
}

// retentionDaysOf is d in whole days, rounded up.
func retentionDaysOf(d time.Duration) int {
	return int((d + 24*time.Hour - 1) / (24 * time.Hour))
}
