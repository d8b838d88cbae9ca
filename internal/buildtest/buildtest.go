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
	// Env is the environment build sees over offlineEnv, the AWS
	// variables Lambda sets.
	Env  map[string]string
	Want string
}

// offlineEnv is the AWS part of a Lambda environment, kept local: a
// region, static dummy credentials, no shared files, no instance metadata.
var offlineEnv = map[string]string{
	"AWS_REGION":                  "us-east-1",
	"AWS_ACCESS_KEY_ID":           "test",
	"AWS_SECRET_ACCESS_KEY":       "test",
	"AWS_CONFIG_FILE":             "/nonexistent",
	"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
	"AWS_EC2_METADATA_DISABLED":   "true",
}

// offline keeps the SDK's configuration local, for anything that reads
// the process's environment.
func offline(t *testing.T) {
	for k, v := range offlineEnv {
		t.Setenv(k, v)
	}
}

// Run calls build with each case's environment and checks the outcome.
func Run[H any](t *testing.T, build func(context.Context, func(string) string, *slog.Logger) (*H, error), cases []Case) {
	t.Helper()
	offline(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			// build sees offlineEnv too, as a Lambda's environment has
			// its AWS variables; a case may override one ("" unsets it).
			getenv := func(k string) string {
				if v, ok := tc.Env[k]; ok {
					return v
				}
				return offlineEnv[k]
			}
			h, err := build(context.Background(), getenv, slog.New(slog.DiscardHandler))
			if tc.Want == "" && (err != nil || h == nil) {
				t.Fatalf("build: %v", err)
			}
			if tc.Want != "" && (err == nil || !strings.Contains(err.Error(), tc.Want)) {
				t.Fatalf("err = %v, want %q", err, tc.Want)
			}
		})
	}
}
