package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/backend"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/dynalite"
)

func TestOpenEmbeddedSpecs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		spec, file string
	}{
		{"", embedded.DefaultPath},
		{"x.db", "x.db"},
		{filepath.Join(dir, "sub", "y.db"), filepath.Join("sub", "y.db")},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := backend.Open(t.Context(), tt.spec)
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.spec, err)
			}
			defer s.Close()
			if _, ok := s.(*embedded.Store); !ok {
				t.Fatalf("Open(%q) = %T, want *embedded.Store", tt.spec, s)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
				t.Errorf("store file: %v", err)
			}
		})
	}
}

func TestOpenRejectsBadSpecs(t *testing.T) {
	for _, spec := range []string{"s3://bucket/key", "https://example.com/db", "dynamodb://x", "dynamodb://tab?nope=1"} {
		t.Run(spec, func(t *testing.T) {
			s, err := backend.Open(t.Context(), spec)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Open(%q) = %v, %v; want ErrInvalid", spec, s, err)
			}
			if s != nil {
				t.Errorf("Open returned a store %T with its error", s)
			}
		})
	}
}

func TestOpenDynamoLocal(t *testing.T) {
	srv := dynalite.Start(t)
	spec := "dynamodb://jg-open?create=true&endpoint=" + srv.Endpoint
	s, err := backend.Open(t.Context(), spec)
	if err != nil {
		t.Fatalf("Open(%q): %v", spec, err)
	}
	if _, ok := s.(*dynamo.Store); !ok {
		t.Fatalf("Open = %T, want *dynamo.Store", s)
	}
	if err := s.CreateRun(t.Context(), store.RunRecord{ID: "run-1", Environment: "local", Trigger: trigger.Trigger{Type: trigger.CLI}, StartedAt: time.Date(2025, time.March, 14, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	// A second Open of the same table, without create, sees the run.
	again, err := backend.Open(t.Context(), "dynamodb://jg-open?endpoint="+srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.GetRun(t.Context(), "run-1"); err != nil {
		t.Errorf("GetRun through a second Open: %v", err)
	}
	// Without create, a missing table fails on first use, naming it.
	missing, err := backend.Open(t.Context(), "dynamodb://jg-missing?endpoint="+srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := missing.GetRun(t.Context(), "run-1"); err == nil || !strings.Contains(err.Error(), "jg-missing") {
		t.Errorf("GetRun on a missing table: error = %v, want one naming jg-missing", err)
	}
}

func TestOpenDynamoCloudNeedsRegion(t *testing.T) {
	// Keep the SDK's default chain away from this machine's AWS set-up.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	if _, err := backend.Open(t.Context(), "dynamodb://journeygate"); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "region") {
		t.Fatalf("Open without a region: error = %v, want ErrInvalid naming the region", err)
	}
	// With a region, Open makes no request: nothing here may reach AWS.
	s, err := backend.Open(t.Context(), "dynamodb://journeygate?region=eu-west-1")
	if err != nil {
		t.Fatalf("Open with a region: %v", err)
	}
	if d, ok := s.(*dynamo.Store); !ok || d.Table() != "journeygate" {
		t.Errorf("Open = %T, want *dynamo.Store on table journeygate", s)
	}
}
