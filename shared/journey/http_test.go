package journey_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// recorder is a target that records requests and answers from a table.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, contentType, run string
	body                           string
}

func newTarget(t *testing.T) (*recorder, *httptest.Server) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get(journey.RunHeader), string(body)})
		rec.mu.Unlock()
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"status":"ok"}`)
		case "/big":
			io.WriteString(w, strings.Repeat("x", 100))
		case "/missing":
			http.Error(w, "no such alert", http.StatusNotFound)
		case "/broken":
			http.Error(w, "database down", http.StatusServiceUnavailable)
		case "/created":
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	return rec, srv
}

func (r *recorder) last() recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return recorded{}
	}
	return r.reqs[len(r.reqs)-1]
}

// runStep executes a one-step journey whose step is do, against targets.
func runStep(t *testing.T, opts journey.Options, do journey.StepFunc) journey.Result {
	t.Helper()
	j := valid("http", step("call", 2*time.Second, do))
	j.Targets = []string{"api", "down", "nope"}
	return execute(t, context.Background(), j, opts, 10*time.Second)
}

func TestHTTPClient(t *testing.T) {
	rec, srv := newTarget(t)
	refused := "http://" + refusedAddr(t)
	opts := journey.Options{RunID: "run-42", Environment: "test", Targets: map[string]string{"api": srv.URL + "/", "down": refused}}

	t.Run("run header, JSON body and evidence", func(t *testing.T) {
		res := runStep(t, opts, func(ctx context.Context, t *journey.T) error {
			resp, err := t.HTTP("api").Post(ctx, "/ok", map[string]string{"alert": "a1"})
			if err != nil {
				return err
			}
			doc, err := resp.Doc()
			if err != nil {
				return err
			}
			return doc.Expect("/status", "ok")
		})
		if res.Outcome != journey.Passed {
			t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
		}
		got := rec.last()
		want := recorded{"POST", "/ok", "application/json", "run-42", `{"alert":"a1"}`}
		if got != want {
			t.Errorf("request = %+v, want %+v", got, want)
		}
		detail, ok := evidence(res.Steps[0], "POST "+srv.URL+"/ok")
		if !ok {
			t.Fatalf("evidence labels = %q, want the exchange", labels(res.Steps[0]))
		}
		wantContains(t, "evidence", detail, `{"alert":"a1"}`, "→ 200", `{"status":"ok"}`)
	})

	t.Run("string and byte bodies are sent as is", func(t *testing.T) {
		for _, body := range []any{"plain text", []byte("raw bytes")} {
			res := runStep(t, opts, func(ctx context.Context, t *journey.T) error {
				_, err := t.HTTP("api").Post(ctx, "echo", body)
				return err
			})
			if res.Outcome != journey.Passed {
				t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
			}
			got := rec.last()
			if got.body != string(toBytes(body)) || got.contentType != "" {
				t.Errorf("request body %q content type %q, want %q and none", got.body, got.contentType, body)
			}
		}
	})

	t.Run("body bounded by MaxBody", func(t *testing.T) {
		o := opts
		o.MaxBody = 10
		var resp *journey.Response
		var jsonErr error
		res := runStep(t, o, func(ctx context.Context, t *journey.T) error {
			var err error
			resp, err = t.HTTP("api").Get(ctx, "/big")
			if err == nil {
				var v any
				jsonErr = resp.JSON(&v)
			}
			return err
		})
		if res.Outcome != journey.Passed {
			t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
		}
		if !resp.Truncated || len(resp.Body) != 10 {
			t.Errorf("Truncated = %t, len(Body) = %d; want true, 10", resp.Truncated, len(resp.Body))
		}
		if !journey.IsFailure(jsonErr) {
			t.Errorf("JSON on a cut body = %v, want a Failure", jsonErr)
		}
		detail, _ := evidence(res.Steps[0], "GET "+srv.URL+"/big")
		wantContains(t, "evidence", detail, "(body cut at 10 bytes)")
	})

	t.Run("evidence bounded by Excerpt", func(t *testing.T) {
		o := opts
		o.Excerpt = 16
		res := runStep(t, o, func(ctx context.Context, t *journey.T) error {
			_, err := t.HTTP("api").Get(ctx, "/big")
			return err
		})
		detail, _ := evidence(res.Steps[0], "GET "+srv.URL+"/big")
		wantContains(t, "evidence", detail, strings.Repeat("x", 16)+"… (84 more bytes)")
		if strings.Contains(detail, strings.Repeat("x", 17)) {
			t.Errorf("evidence %q keeps more than 16 bytes of the body", detail)
		}
	})

	t.Run("only the last exchanges are kept", func(t *testing.T) {
		res := runStep(t, opts, func(ctx context.Context, t *journey.T) error {
			for i := range 10 {
				if _, err := t.HTTP("api").Get(ctx, fmt.Sprintf("/n%d", i)); err != nil {
					return err
				}
			}
			return nil
		})
		// Labelled as the last 4 of 10, in one item.
		got := labels(res.Steps[0])
		detail, _ := evidence(res.Steps[0], "last 4 of 10 requests")
		if len(got) != 1 || !strings.Contains(detail, "GET "+srv.URL+"/n6\n") || !strings.Contains(detail, "GET "+srv.URL+"/n9\n") || strings.Contains(detail, "/n5\n") {
			t.Errorf("evidence labels = %q, detail %q: want the last 4 exchanges ending with /n9, labelled as such", got, detail)
		}
	})
}

func toBytes(v any) []byte {
	switch b := v.(type) {
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	return nil
}

func TestHTTPExpect(t *testing.T) {
	_, srv := newTarget(t)
	refused := "http://" + refusedAddr(t)
	opts := journey.Options{Environment: "test", Targets: map[string]string{"api": srv.URL, "down": refused}}
	tests := []struct {
		name    string
		target  string
		path    string
		codes   []int
		want    journey.Outcome
		infra   bool
		failure bool
		msg     []string
	}{
		{name: "2xx", target: "api", path: "/ok", want: journey.Passed},
		{name: "listed code", target: "api", path: "/created", codes: []int{200, 201}, want: journey.Passed},
		{name: "unlisted 2xx", target: "api", path: "/ok", codes: []int{201}, want: journey.Failed, failure: true, msg: []string{"status 200, expected 201"}},
		{name: "4xx is a failure", target: "api", path: "/missing", want: journey.Failed, failure: true, msg: []string{"status 404, expected 2xx", "no such alert"}},
		{name: "5xx is infrastructure", target: "api", path: "/broken", want: journey.Errored, infra: true, msg: []string{"status 503, expected 2xx", "database down"}},
		{name: "connection refused is infrastructure", target: "down", path: "/", want: journey.Errored, infra: true, msg: []string{"refused"}},
		{name: "a target the environment does not define is an error", target: "nope", path: "/", want: journey.Errored, msg: []string{`target "nope" is not defined in environment "test"`}},
		{name: "a target the journey does not declare is an error", target: "undeclared", path: "/", want: journey.Errored, msg: []string{`target "undeclared" is not declared in journey "http"'s Targets`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stepErr error
			res := runStep(t, opts, func(ctx context.Context, t *journey.T) error {
				stepErr = func() error {
					resp, err := t.HTTP(tc.target).Get(ctx, tc.path)
					if err != nil {
						return err
					}
					return resp.Expect(tc.codes...)
				}()
				return stepErr
			})
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			if got := journey.IsInfrastructure(stepErr); got != tc.infra {
				t.Errorf("IsInfrastructure(%v) = %t, want %t", stepErr, got, tc.infra)
			}
			if got := journey.IsFailure(stepErr); got != tc.failure {
				t.Errorf("IsFailure(%v) = %t, want %t", stepErr, got, tc.failure)
			}
			if tc.path == "/broken" {
				var se *journey.StatusError
				if !errors.As(stepErr, &se) || se.Status != 503 {
					t.Errorf("5xx error = %#v, want a *StatusError", stepErr)
				}
			}
			wantContains(t, "message", res.Message, tc.msg...)
			if tc.target == "down" {
				detail, ok := evidence(res.Steps[0], "GET "+refused+"/")
				if !ok {
					t.Fatalf("no evidence of the refused call: %q", labels(res.Steps[0]))
				}
				wantContains(t, "evidence", detail, "refused")
			}
		})
	}
}

func TestIsInfrastructure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("x"), false},
		{"Infra", journey.Infra(errors.New("x")), true},
		{"wrapped Infra", fmt.Errorf("a: %w", journey.Infra(errors.New("x"))), true},
		{"5xx", &journey.StatusError{Status: 502}, true},
		{"4xx", &journey.StatusError{Status: 409}, false},
		{"failure", journey.Failf("x"), false},
		{"deadline", context.DeadlineExceeded, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := journey.IsInfrastructure(tc.err); got != tc.want {
				t.Errorf("IsInfrastructure(%v) = %t, want %t", tc.err, got, tc.want)
			}
		})
	}
	if journey.Infra(nil) != nil {
		t.Error("Infra(nil) != nil")
	}
}
