package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/store"
	"github.com/journeygate/journeygate/test/dynalite"
)

func TestParseDynamoSpec(t *testing.T) {
	tests := []struct {
		spec    string
		want    store.DynamoSpec
		wantErr string
	}{
		{spec: "dynamodb://journeygate", want: store.DynamoSpec{Table: "journeygate"}},
		{
			spec: "dynamodb://jg_results.v2?endpoint=http://127.0.0.1:8000&region=eu-west-1&ttl=720h&create=true",
			want: store.DynamoSpec{Table: "jg_results.v2", Endpoint: "http://127.0.0.1:8000", Region: "eu-west-1", TTL: 720 * time.Hour, Create: true},
		},
		{spec: "dynamodb://", wantErr: "table name"},
		{spec: "dynamodb://ab", wantErr: "table name"},
		{spec: "dynamodb://bad/name", wantErr: "table name"},
		{spec: "dynamodb://tab?endpoint=127.0.0.1:8000", wantErr: "endpoint"},
		{spec: "dynamodb://tab?ttl=forever", wantErr: "ttl"},
		{spec: "dynamodb://tab?ttl=-1h", wantErr: "ttl"},
		{spec: "dynamodb://tab?create=maybe", wantErr: "create"},
		{spec: "dynamodb://tab?endpont=http://127.0.0.1:1", wantErr: `unknown parameter "endpont"`},
		{spec: "dynamodb://tab?%zz", wantErr: "invalid URL escape"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := store.ParseDynamoSpec(tt.spec)
			if tt.wantErr != "" {
				if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want ErrInvalid mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDynamoSpecLocal(t *testing.T) {
	tests := map[string]bool{
		"":                      false,
		"http://127.0.0.1:8000": true,
		"http://localhost:8000": true,
		"http://[::1]:8000":     true,
		"https://dynamodb.eu-west-1.amazonaws.com": false,
		"http://10.0.0.1:8000":                     false,
	}
	for endpoint, want := range tests {
		if got := (store.DynamoSpec{Table: "tab", Endpoint: endpoint}).Local(); got != want {
			t.Errorf("Local(%q) = %v, want %v", endpoint, got, want)
		}
	}
}

func TestOpenEmbeddedSpecs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		spec, file string
	}{
		{"", store.DefaultPath},
		{"x.db", "x.db"},
		{filepath.Join(dir, "sub", "y.db"), filepath.Join("sub", "y.db")},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := store.Open(t.Context(), tt.spec)
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.spec, err)
			}
			defer s.Close()
			if _, ok := s.(*store.Embedded); !ok {
				t.Fatalf("Open(%q) = %T, want *store.Embedded", tt.spec, s)
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
			s, err := store.Open(t.Context(), spec)
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
	s, err := store.Open(t.Context(), spec)
	if err != nil {
		t.Fatalf("Open(%q): %v", spec, err)
	}
	if _, ok := s.(*store.Dynamo); !ok {
		t.Fatalf("Open = %T, want *store.Dynamo", s)
	}
	if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	// A second Open of the same table, without create, sees the run.
	again, err := store.Open(t.Context(), "dynamodb://jg-open?endpoint="+srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.GetRun(t.Context(), "run-1"); err != nil {
		t.Errorf("GetRun through a second Open: %v", err)
	}
	// Without create, a missing table fails on first use, naming it.
	missing, err := store.Open(t.Context(), "dynamodb://jg-missing?endpoint="+srv.Endpoint)
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
	if _, err := store.Open(t.Context(), "dynamodb://journeygate"); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "region") {
		t.Fatalf("Open without a region: error = %v, want ErrInvalid naming the region", err)
	}
	// With a region, Open makes no request: nothing here may reach AWS.
	s, err := store.Open(t.Context(), "dynamodb://journeygate?region=eu-west-1")
	if err != nil {
		t.Fatalf("Open with a region: %v", err)
	}
	if d, ok := s.(*store.Dynamo); !ok || d.Table() != "journeygate" {
		t.Errorf("Open = %T, want *store.Dynamo on table journeygate", s)
	}
}
