package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/journeygate/journeygate/internal/buildtest"
	"github.com/journeygate/journeygate/test/awslocal"
)

func TestBuild(t *testing.T) {
	buildtest.Run(t, build, []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_SINK_MAX_BODY": "2048", "JOURNEYGATE_SINK_CORRELATE": "/groupLabels/jg_run, /commonLabels/jg_run", "JOURNEYGATE_DELIVERY_TTL": "24h"}, Want: ""},
		{Name: "with the inbox", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_INBOX_DOMAIN": "inbox.example.com", "JOURNEYGATE_INBOX_BUCKET": "reports", "JOURNEYGATE_INBOX_PREFIX": "inbox/"}, Want: ""},
		{Name: "inbox domain without its bucket", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_INBOX_DOMAIN": "inbox.example.com"}, Want: "JOURNEYGATE_INBOX_BUCKET"},
		{Name: "no table", Env: nil, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "no credentials", Env: map[string]string{"JOURNEYGATE_TABLE": "jg"}, Want: "anonymous"},
		{Name: "bad max body", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_SINK_MAX_BODY": "1MB"}, Want: "JOURNEYGATE_SINK_MAX_BODY"},
		{Name: "bad ttl", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_DELIVERY_TTL": "a week"}, Want: "JOURNEYGATE_DELIVERY_TTL"},
		{Name: "token and token secret", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_SINK_TOKEN_SECRET": "journeygate-sink-token"}, Want: "JOURNEYGATE_SINK_TOKEN_SECRET and JOURNEYGATE_SINK_TOKEN are both set"},
	})
}

// TestTokenSecret reads the token the way the deployed sink does: the real
// Secrets Manager client against a local endpoint, dummy credentials.
func TestTokenSecret(t *testing.T) {
	const token = "Zq3v9XkP2mLr8TnW4yHc6BdJ1sFg5QeA7uVo0iKx2NpRtYb3" // 48 alphanumerics, as the construct generates
	sm := awslocal.StartSecretsManager(t)
	arn := sm.PutSecret("JourneyGateSinkToken", token)
	sm.PutSecret("empty-token", "")
	missingARN := "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"

	tests := []struct {
		name    string
		env     map[string]string
		fail    string   // error code the endpoint answers (AccessDeniedException, ...)
		wantErr []string // substrings of the error; nil for success
		calls   int      // GetSecretValue calls made
	}{
		{name: "by ARN", env: map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": arn}, calls: 1},
		{name: "by name", env: map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": "JourneyGateSinkToken"}, calls: 1},
		{name: "with an HMAC secret too", env: map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": arn, "JOURNEYGATE_SINK_HMAC_SECRET": "hmac-key"}, calls: 1},
		{
			name:    "unknown secret",
			env:     map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": missingARN},
			wantErr: []string{"JOURNEYGATE_SINK_TOKEN_SECRET", missingARN, "ResourceNotFoundException"},
			calls:   1,
		},
		{
			name:    "not allowed to read it",
			env:     map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": arn},
			fail:    "AccessDeniedException",
			wantErr: []string{"JOURNEYGATE_SINK_TOKEN_SECRET", arn, "AccessDeniedException"},
			calls:   1,
		},
		{
			name:    "empty secret",
			env:     map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": "empty-token"},
			wantErr: []string{"JOURNEYGATE_SINK_TOKEN_SECRET", "empty-token", "empty"},
			calls:   1,
		},
		{
			name:    "token set as well",
			env:     map[string]string{"JOURNEYGATE_SINK_TOKEN_SECRET": arn, "JOURNEYGATE_SINK_TOKEN": token},
			wantErr: []string{"both set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sm.Requests())
			if tt.fail != "" {
				sm.FailNext(1, tt.fail, "User is not authorized to perform secretsmanager:GetSecretValue")
			}
			env := map[string]string{"JOURNEYGATE_TABLE": "jg"}
			for k, v := range tt.env {
				env[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			h, err := wire(ctx, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler),
				func(context.Context) (aws.Config, error) { return sm.Config(), nil })
			if n := len(sm.Requests()) - before; n != tt.calls {
				t.Errorf("%d GetSecretValue calls, want %d", n, tt.calls)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("built, want an error")
				}
				t.Logf("error: %v", err)
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("error %q contains the token", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("wire: %v", err)
			}
			// The secret's value is the token: accepted (202, not
			// attributed to a run, so nothing is stored); another is not.
			for bearer, want := range map[string]int{token: http.StatusAccepted, "wrong-token": http.StatusForbidden} {
				resp, err := h.HTTP.Handle(ctx, events.LambdaFunctionURLRequest{
					RawPath: "/", Body: "{}",
					Headers:        map[string]string{"authorization": "Bearer " + bearer},
					RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: http.MethodPost}},
				})
				if err != nil || resp.StatusCode != want {
					t.Errorf("bearer %.8s…: %d %v, want %d", bearer, resp.StatusCode, err, want)
				}
			}
		})
	}
}
