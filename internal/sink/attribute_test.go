package sink

import (
	"net/http"
	"strings"
	"testing"
)

func TestAttribute(t *testing.T) {
	body := []byte(`{"groupLabels":{"jg_run":"from-body"}}`)
	ptrs := []string{"/groupLabels/jg_run"}
	tests := []struct {
		name            string
		path            string
		header          string
		body            []byte
		wantRun, wantBy string
		wantErr         string
	}{
		{"path wins", "/run/from-path", "from-header", body, "from-path", "path", ""},
		{"escaped path", "/run/a%2Fb", "", nil, "a/b", "path", ""},
		{"header next", "/", "from-header", body, "from-header", "header", ""},
		{"body last", "/hook", "", body, "from-body", "body", ""},
		{"unattributed", "/hook", "", []byte(`{}`), "", "", ""},
		{"extra path segments", "/run/a/b", "", nil, "", "", "extra segments"},
		{"too long", "/run/" + strings.Repeat("x", MaxRunIDLen+1), "", nil, "", "path", "at most 256"},
		// Channel keys are not run IDs: a webhook cannot land among an
		// inbox's mail or a number's texts.
		{"inbox key in path", "/run/inbox%2Fjgaaaaaaaaaaaaaaaa", "", nil, "", "", `starts with "inbox/"`},
		{"sms key in header", "/", "sms/+15551234567", nil, "", "", `starts with "sms/"`},
		{"sms key in body", "/hook", "", []byte(`{"groupLabels":{"jg_run":"sms/+1555"}}`), "", "", `starts with "sms/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("X-Journeygate-Run", tt.header)
			}
			run, by, err := Attribute(tt.path, h, tt.body, ptrs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || run != tt.wantRun || by != tt.wantBy {
				t.Errorf("Attribute = %q, %q, %v; want %q, %q", run, by, err, tt.wantRun, tt.wantBy)
			}
		})
	}
}

func TestStoredHeaderDropsCredentials(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"Authorization", "Cookie", TokenHeader, SignatureHeader, "Proxy-Authorization"} {
		h.Set(k, "secret")
	}
	h.Set("Content-Type", "application/json")
	got := StoredHeader(h)
	if len(got) != 1 || got.Get("Content-Type") != "application/json" {
		t.Errorf("stored %v, want only Content-Type", got)
	}
	if h.Get("Authorization") != "secret" {
		t.Error("StoredHeader changed its argument")
	}
}
