package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	sinkfn "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
)

const (
	token  = "example-sink-token"
	secret = "example-hmac-secret"
)

// recorder keeps deliveries, or fails with err.
type recorder struct {
	got []journey.Delivery
	err error
}

func (r *recorder) PutDelivery(_ context.Context, d journey.Delivery) error {
	if r.err != nil {
		return r.err
	}
	r.got = append(r.got, d)
	return nil
}

func sampleEvent(t *testing.T) events.LambdaFunctionURLRequest {
	return readEvent[events.LambdaFunctionURLRequest](t, "sink-delivery.json")
}

// readEvent decodes the sample event events/NAME.
func readEvent[E any](t *testing.T, name string) E {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev E
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func newHandler(t *testing.T, cfg sinkfn.Config, w sinkfn.DeliveryWriter) lambda.Handler {
	t.Helper()
	h, err := sinkfn.New(cfg, w, sinkfn.WithClock(func() time.Time { return time.Date(2026, 1, 15, 10, 0, 7, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return lambda.NewHandler(h.Handle)
}

func invoke(t *testing.T, lh lambda.Handler, req events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	t.Helper()
	payload, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lh.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("the sink answers every request; got error %v", err)
	}
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestSink(t *testing.T) {
	cfg := sinkfn.Config{Token: token, HMACSecret: secret, MaxBody: 1024, Correlate: []string{"/groupLabels/jg_run"}}
	tests := []struct {
		name       string
		cfg        *sinkfn.Config
		mutate     func(r *events.LambdaFunctionURLRequest)
		store      error
		wantStatus int
		wantRun    string // "" = nothing stored
		wantBody   string
	}{
		{"sample event stored under the path's run", nil, nil, nil, 204, "manual-example-1", ""},
		{"token header", nil, func(r *events.LambdaFunctionURLRequest) {
			delete(r.Headers, "authorization")
			r.Headers["x-journeygate-token"] = token
		}, nil, 204, "manual-example-1", ""},
		{"hmac signature", nil, func(r *events.LambdaFunctionURLRequest) {
			delete(r.Headers, "authorization")
			r.Headers["x-journeygate-signature"] = sinkfn.Sign(secret, []byte(r.Body))
		}, nil, 204, "manual-example-1", ""},
		{"base64 body with signature over the decoded bytes", nil, func(r *events.LambdaFunctionURLRequest) {
			delete(r.Headers, "authorization")
			r.Headers["x-journeygate-signature"] = sinkfn.Sign(secret, []byte(r.Body))
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(r.Body)), true
		}, nil, 204, "manual-example-1", ""},
		{"attributed by body pointer", nil, func(r *events.LambdaFunctionURLRequest) { r.RawPath = "/alertmanager" }, nil, 204, "manual-example-1", ""},
		{"attributed by run header", nil, func(r *events.LambdaFunctionURLRequest) {
			r.RawPath = "/"
			r.Headers["x-journeygate-run"] = "header-run"
			r.Body = `{}`
			delete(r.Headers, "content-length")
		}, nil, 204, "header-run", ""},
		{"no credentials", nil, func(r *events.LambdaFunctionURLRequest) { delete(r.Headers, "authorization") }, nil, 401, "", "missing credentials"},
		{"wrong token", nil, func(r *events.LambdaFunctionURLRequest) { r.Headers["authorization"] = "Bearer guess" }, nil, 403, "", "wrong"},
		{"bad signature", nil, func(r *events.LambdaFunctionURLRequest) {
			delete(r.Headers, "authorization")
			r.Headers["x-journeygate-signature"] = sinkfn.Sign("other", []byte(r.Body))
		}, nil, 403, "", "wrong"},
		{"basic auth is not a credential this sink accepts", nil, func(r *events.LambdaFunctionURLRequest) { r.Headers["authorization"] = "Basic dXNlcjpwYXNz" }, nil, 403, "", "wrong"},
		{"signature when only a token is configured", &sinkfn.Config{Token: token}, func(r *events.LambdaFunctionURLRequest) {
			delete(r.Headers, "authorization")
			r.Headers["x-journeygate-signature"] = sinkfn.Sign(secret, []byte(r.Body))
		}, nil, 403, "", "wrong"},
		{"declared too large", nil, func(r *events.LambdaFunctionURLRequest) { r.Headers["content-length"] = "4096" }, nil, 413, "", "4096 bytes"},
		{"body too large", nil, func(r *events.LambdaFunctionURLRequest) {
			r.Body = `{"x":"` + strings.Repeat("a", 2000) + `"}`
			delete(r.Headers, "content-length")
		}, nil, 413, "", "limit of 1024"},
		{"base64 body too large", nil, func(r *events.LambdaFunctionURLRequest) {
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 1100))), true
			delete(r.Headers, "content-length")
		}, nil, 413, "", "limit"},
		{"bad base64", nil, func(r *events.LambdaFunctionURLRequest) { r.Body, r.IsBase64Encoded = "!!!", true }, nil, 400, "", "base64"},
		{"unattributed is accepted but not stored", nil, func(r *events.LambdaFunctionURLRequest) {
			r.RawPath = "/"
			r.Body = `{"groupLabels":{}}`
			delete(r.Headers, "content-length")
		}, nil, 202, "", "not attributed"},
		{"malformed run path", nil, func(r *events.LambdaFunctionURLRequest) { r.RawPath = "/run/a/b" }, nil, 400, "", "extra segments"},
		{"GET is not a delivery", nil, func(r *events.LambdaFunctionURLRequest) { r.RequestContext.HTTP.Method = "GET" }, nil, 405, "", "POST"},
		{"health check needs no credentials", nil, func(r *events.LambdaFunctionURLRequest) {
			r.RawPath, r.RequestContext.HTTP.Method = "/healthz", "GET"
			delete(r.Headers, "authorization")
		}, nil, 200, "", "ok"},
		{"store down asks for a retry", nil, nil, errors.New("ProvisionedThroughputExceeded"), 503, "", "retry"},
		{"duplicate delivery is fine", nil, nil, store.ErrExists, 204, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.cfg != nil {
				c = *tt.cfg
			}
			rec := &recorder{err: tt.store}
			req := sampleEvent(t)
			if tt.mutate != nil {
				tt.mutate(&req)
			}
			resp := invoke(t, newHandler(t, c, rec), req)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantBody) {
				t.Fatalf("answered %d %q, want %d containing %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantRun == "" {
				if len(rec.got) != 0 {
					t.Fatalf("stored %+v, want nothing stored", rec.got)
				}
				return
			}
			if len(rec.got) != 1 {
				t.Fatalf("stored %d deliveries, want 1", len(rec.got))
			}
			d := rec.got[0]
			if d.RunID != tt.wantRun || d.ID != "5f0e2c7a-9b1d-4c3e-8a6f-2d4b6c8e0a1f" || resp.Headers["X-Journeygate-Delivery"] != d.ID {
				t.Errorf("stored %s/%s, answered %v; want run %s keyed by the request ID", d.RunID, d.ID, resp.Headers, tt.wantRun)
			}
			for _, k := range []string{"Authorization", "X-Journeygate-Token", "X-Journeygate-Signature"} {
				if d.Header.Get(k) != "" {
					t.Errorf("stored the credential header %s", k)
				}
			}
			if d.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(string(d.Body), "{") {
				t.Errorf("stored header %v body %.40q, want the JSON body with its content type", d.Header, d.Body)
			}
		})
	}
}

// TestStoresIntoTheStore runs the sample event into the embedded store and
// reads it back as a journey would.
func TestStoresIntoTheStore(t *testing.T) {
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The real clock: a delivery stamped with newHandler's fixed date
	// would have expired (store.DefaultDeliveryTTL) and not be read back.
	h, err := sinkfn.New(sinkfn.Config{Token: token}, st)
	if err != nil {
		t.Fatal(err)
	}
	resp := invoke(t, lambda.NewHandler(h.Handle), sampleEvent(t))
	if resp.StatusCode != 204 {
		t.Fatalf("answered %d %s", resp.StatusCode, resp.Body)
	}
	ds, _, err := st.Deliveries(context.Background(), "manual-example-1", "", 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("read %d deliveries (%v), want 1", len(ds), err)
	}
	doc, err := ds[0].Doc()
	if err != nil || doc.String("/groupLabels/jg_run") != "manual-example-1" {
		t.Errorf("delivery body %s (%v)", ds[0].Body, err)
	}
}

func TestNewRefusesAnonymousSink(t *testing.T) {
	tests := []struct {
		name string
		cfg  sinkfn.Config
		w    sinkfn.DeliveryWriter
		want string
	}{
		{"no credentials", sinkfn.Config{}, &recorder{}, "refusing to accept anonymous deliveries"},
		{"no store", sinkfn.Config{Token: "t"}, nil, "no delivery store"},
		{"bad pointer", sinkfn.Config{Token: "t", Correlate: []string{"groupLabels"}}, &recorder{}, "not a JSON Pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sinkfn.New(tt.cfg, tt.w); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
