package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// offline keeps the SDK's configuration local: static dummy credentials,
// no shared files, no instance metadata. build makes no AWS request.
func offline(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestBuild(t *testing.T) {
	offline(t)
	tests := []struct {
		name string
		env  map[string]string
		want string // "" = builds
	}{
		{"configured", map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:jg", "JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_SERVICES": "a, b"}, ""},
		{"no state machine", map[string]string{"JOURNEYGATE_ENVIRONMENT": "staging"}, "no state machine ARN"},
		{"no environment", map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn"}, "no environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := build(context.Background(), func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if tt.want == "" && (err != nil || h == nil) {
				t.Fatalf("build: %v", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
