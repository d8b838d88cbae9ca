package awslocal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/journeygate/journeygate/test/awslocal"
)

func TestSSMGetParameter(t *testing.T) {
	s := awslocal.StartSSM(t)
	s.PutParameter("/journeygate/staging/api-key", awslocal.Parameter{Value: "old-api-key"})
	arn := s.PutParameter("/journeygate/staging/api-key", awslocal.Parameter{Value: "api-key-value"})
	if arn != "arn:aws:ssm:us-east-1:123456789012:parameter/journeygate/staging/api-key" {
		t.Fatalf("ARN = %s", arn)
	}
	plainARN := s.PutParameter("base-url", awslocal.Parameter{Value: "http://127.0.0.1:9", Type: awslocal.ParameterString})
	client := s.Client()

	tests := []struct {
		name        string
		in          ssm.GetParameterInput
		wantName    string
		wantValue   string // "" = any value but the parameter's (ciphertext)
		wantVersion int64
		wantErr     any
	}{
		{name: "SecureString decrypted", in: ssm.GetParameterInput{Name: aws.String("/journeygate/staging/api-key"), WithDecryption: aws.Bool(true)}, wantName: "/journeygate/staging/api-key", wantValue: "api-key-value", wantVersion: 2},
		{name: "SecureString without decryption", in: ssm.GetParameterInput{Name: aws.String("/journeygate/staging/api-key")}, wantName: "/journeygate/staging/api-key", wantVersion: 2},
		{name: "by ARN", in: ssm.GetParameterInput{Name: aws.String(arn), WithDecryption: aws.Bool(true)}, wantName: "/journeygate/staging/api-key", wantValue: "api-key-value", wantVersion: 2},
		{name: "current version selector", in: ssm.GetParameterInput{Name: aws.String("/journeygate/staging/api-key:2"), WithDecryption: aws.Bool(true)}, wantName: "/journeygate/staging/api-key", wantValue: "api-key-value", wantVersion: 2},
		{name: "plain name String", in: ssm.GetParameterInput{Name: aws.String("base-url")}, wantName: "base-url", wantValue: "http://127.0.0.1:9", wantVersion: 1},
		{name: "plain name by ARN", in: ssm.GetParameterInput{Name: aws.String(plainARN)}, wantName: "base-url", wantValue: "http://127.0.0.1:9", wantVersion: 1},
		{name: "unknown name", in: ssm.GetParameterInput{Name: aws.String("/journeygate/nope"), WithDecryption: aws.Bool(true)}, wantErr: new(*ssmtypes.ParameterNotFound)},
		{name: "unknown version", in: ssm.GetParameterInput{Name: aws.String("/journeygate/staging/api-key:7")}, wantErr: new(*ssmtypes.ParameterVersionNotFound)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetParameter(ctx(t), &tt.in)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err = %v, want %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetParameter: %v", err)
			}
			p := out.Parameter
			if aws.ToString(p.Name) != tt.wantName || p.Version != tt.wantVersion {
				t.Errorf("name, version = %s, %d, want %s, %d", aws.ToString(p.Name), p.Version, tt.wantName, tt.wantVersion)
			}
			switch v := aws.ToString(p.Value); {
			case tt.wantValue != "" && v != tt.wantValue:
				t.Errorf("value = %q, want %q", v, tt.wantValue)
			case tt.wantValue == "" && (v == "" || strings.Contains(v, "api-key-value")):
				t.Errorf("value without decryption = %q, want ciphertext", v)
			}
			if p.ARN == nil || p.LastModifiedDate == nil || p.Type == "" {
				t.Errorf("parameter = %+v", p)
			}
		})
	}
	for _, r := range s.Requests() {
		if r.Operation != "GetParameter" {
			t.Errorf("operation = %q", r.Operation)
		}
	}
}
