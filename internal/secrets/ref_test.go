package secrets_test

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/secrets"
)

func TestParse(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:journeygate/sink-token-AbCdEf"
	tests := []struct {
		ref     string
		want    secrets.Ref
		wantStr string
		wantErr string
	}{
		{ref: "secretsmanager:" + arn, want: secrets.Ref{Scheme: secrets.SecretsManager, Name: arn}},
		{ref: "secretsmanager:db#password", want: secrets.Ref{Scheme: secrets.SecretsManager, Name: "db", Key: "password"}},
		{ref: "secretsmanager:db#a#b", want: secrets.Ref{Scheme: secrets.SecretsManager, Name: "db", Key: "a#b"}},
		{ref: "ssm:/journeygate/staging/api-key", want: secrets.Ref{Scheme: secrets.SSM, Name: "/journeygate/staging/api-key"}},
		{ref: "ssm:/p#k", want: secrets.Ref{Scheme: secrets.SSM, Name: "/p", Key: "k"}},
		{ref: "env:JG_TOKEN", want: secrets.Ref{Scheme: secrets.Env, Name: "JG_TOKEN"}},
		{ref: "env:A#B", want: secrets.Ref{Scheme: secrets.Env, Name: "A#B"}},
		{ref: "token-literal", want: secrets.Ref{Scheme: secrets.Literal, Name: "token-literal"}, wantStr: "(literal)"},
		{ref: "vault:kv/x", want: secrets.Ref{Scheme: secrets.Literal, Name: "vault:kv/x"}, wantStr: "(literal)"},
		{ref: "SSM:/upper", want: secrets.Ref{Scheme: secrets.Literal, Name: "SSM:/upper"}, wantStr: "(literal)"},
		{ref: "", wantErr: "empty secret reference"},
		{ref: "secretsmanager:", wantErr: "no secret name or ARN"},
		{ref: "secretsmanager:#k", wantErr: "no secret name or ARN"},
		{ref: "ssm:/p#", wantErr: "empty key"},
		{ref: "env:", wantErr: "no environment variable name"},
		{ref: "env:A=B", wantErr: "invalid environment variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := secrets.Parse(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse = %+v, %v, want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %+v, %v, want %+v", got, err, tt.want)
			}
			wantStr := tt.wantStr
			if wantStr == "" {
				wantStr = tt.ref
			}
			if got.String() != wantStr {
				t.Errorf("String() = %q, want %q", got.String(), wantStr)
			}
		})
	}
}
