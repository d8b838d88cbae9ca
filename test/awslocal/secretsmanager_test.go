package awslocal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/journeygate/journeygate/test/awslocal"
)

func TestSecretsManagerGetSecretValue(t *testing.T) {
	sm := awslocal.StartSecretsManager(t)
	arn := sm.PutSecret("journeygate/sink-token", "first-token-value")
	if again := sm.PutSecret("journeygate/sink-token", "second-token-value"); again != arn {
		t.Fatalf("ARN changed on a new version: %s, then %s", arn, again)
	}
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:journeygate/sink-token-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:123456789012:secret:journeygate/sink-token-")+6 {
		t.Fatalf("ARN = %s, want the name, a dash and six characters", arn)
	}
	binaryARN := sm.PutSecretBinary("binary", []byte{0, 1, 2, 0xff})
	client := sm.Client()

	tests := []struct {
		name       string
		in         secretsmanager.GetSecretValueInput
		wantString string
		wantBinary []byte
		wantStage  string
		wantARN    string // default arn
		wantErr    any
	}{
		{name: "by name", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("journeygate/sink-token")}, wantString: "second-token-value", wantStage: "AWSCURRENT"},
		{name: "by ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}, wantString: "second-token-value", wantStage: "AWSCURRENT"},
		{name: "by partial ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-7])}, wantString: "second-token-value", wantStage: "AWSCURRENT"},
		{name: "previous version", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPREVIOUS")}, wantString: "first-token-value", wantStage: "AWSPREVIOUS"},
		{name: "binary", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("binary")}, wantBinary: []byte{0, 1, 2, 0xff}, wantStage: "AWSCURRENT", wantARN: binaryARN},
		{name: "unknown name", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}, wantErr: new(*smtypes.ResourceNotFoundException)},
		{name: "unknown ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn + "x")}, wantErr: new(*smtypes.ResourceNotFoundException)},
		{name: "unknown stage", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPENDING")}, wantErr: new(*smtypes.ResourceNotFoundException)},
		{name: "unknown version ID", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionId: aws.String("00000000-0000-0000-0000-000000000000")}, wantErr: new(*smtypes.ResourceNotFoundException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetSecretValue(ctx(t), &tt.in)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err = %v, want %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetSecretValue: %v", err)
			}
			if tt.wantBinary != nil {
				if out.SecretString != nil || string(out.SecretBinary) != string(tt.wantBinary) {
					t.Errorf("binary = %v (string %v), want %v", out.SecretBinary, out.SecretString, tt.wantBinary)
				}
			} else if aws.ToString(out.SecretString) != tt.wantString {
				t.Errorf("SecretString = %q, want %q", aws.ToString(out.SecretString), tt.wantString)
			}
			wantARN := arn
			if tt.wantARN != "" {
				wantARN = tt.wantARN
			}
			if aws.ToString(out.ARN) != wantARN || aws.ToString(out.VersionId) == "" || out.CreatedDate == nil {
				t.Errorf("ARN, version, created = %s, %s, %v", aws.ToString(out.ARN), aws.ToString(out.VersionId), out.CreatedDate)
			}
			if len(out.VersionStages) != 1 || out.VersionStages[0] != tt.wantStage {
				t.Errorf("stages = %v, want [%s]", out.VersionStages, tt.wantStage)
			}
		})
	}
	if got, want := len(sm.Requests()), len(tests); got != want {
		t.Errorf("%d requests, want %d", got, want)
	}
	for _, r := range sm.Requests() {
		if r.Operation != "GetSecretValue" {
			t.Errorf("operation = %q", r.Operation)
		}
	}
}

func TestSecretsManagerThrottlingIsRetried(t *testing.T) {
	sm := awslocal.StartSecretsManager(t)
	sm.PutSecret("s", "value-1234")
	sm.ThrottleNext(2)
	out, err := sm.Client(func(o *secretsmanager.Options) { o.Retryer = retry.NewStandard(noBackoff) }).
		GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
	if err != nil || aws.ToString(out.SecretString) != "value-1234" {
		t.Fatalf("GetSecretValue = %v, %v", out, err)
	}
	reqs := sm.Requests()
	if len(reqs) != 3 || reqs[0].ErrorCode != "ThrottlingException" || reqs[2].ErrorCode != "" {
		t.Errorf("requests = %+v, want two throttled, then a success", reqs)
	}
}
