package dynamo_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec    string
		want    dynamo.Spec
		wantErr string
	}{
		{spec: "dynamodb://journeygate", want: dynamo.Spec{Table: "journeygate"}},
		{
			spec: "dynamodb://jg_results.v2?endpoint=http://127.0.0.1:8000&region=eu-west-1&ttl=720h&create=true",
			want: dynamo.Spec{Table: "jg_results.v2", Endpoint: "http://127.0.0.1:8000", Region: "eu-west-1", TTL: 720 * time.Hour, Create: true},
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
			got, err := dynamo.ParseSpec(tt.spec)
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

func TestSpecLocal(t *testing.T) {
	tests := map[string]bool{
		"":                      false,
		"http://127.0.0.1:8000": true,
		"http://localhost:8000": true,
		"http://[::1]:8000":     true,
		"https://dynamodb.eu-west-1.amazonaws.com": false,
		"http://10.0.0.1:8000":                     false,
	}
	for endpoint, want := range tests {
		if got := (dynamo.Spec{Table: "tab", Endpoint: endpoint}).Local(); got != want {
			t.Errorf("Local(%q) = %v, want %v", endpoint, got, want)
		}
	}
}
