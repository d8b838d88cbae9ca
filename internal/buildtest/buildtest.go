// Package buildtest checks a function's main wiring: that build turns an
// environment into a handler, or into an error naming what is wrong,
// without any AWS request.
package buildtest

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// Case is one environment and the error it must give ("" = builds).
type Case struct {
	Name string
	Env  map[string]string
	Want string
}

// offline keeps the SDK's configuration local: static dummy credentials,
// no shared files, no instance metadata.
func offline(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Run calls build with each case's environment and checks the outcome.
func Run[H any](t *testing.T, build func(context.Context, func(string) string, *slog.Logger) (*H, error), cases []Case) {
	t.Helper()
	offline(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			h, err := build(context.Background(), func(k string) string { return tc.Env[k] }, slog.New(slog.DiscardHandler))
			if tc.Want == "" && (err != nil || h == nil) {
				t.Fatalf("build: %v", err)
			}
			if tc.Want != "" && (err == nil || !strings.Contains(err.Error(), tc.Want)) {
				t.Fatalf("err = %v, want %q", err, tc.Want)
			}
		})
	}
}
