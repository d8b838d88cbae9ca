package sink_test

import (
	"bytes"
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

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/shared/journey"
)

// start returns a listening sink and its base URL.
func start(t *testing.T, cfg sink.Config) (*sink.Sink, string) {
	t.Helper()
	s := sink.New(cfg)
	base, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, base
}

// send makes a request and returns its status and body.
func send(t *testing.T, method, url string, header map[string]string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	return send(t, http.MethodPost, url, header, strings.NewReader(body))
}

// next reads runID's deliveries after cursor, failing the test if none
// arrive within a generous bound.
func next(t *testing.T, s *sink.Sink, runID, cursor string) ([]journey.Delivery, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, c, err := s.Next(ctx, runID, cursor)
	if err != nil {
		t.Fatalf("Next(%q, %q): %v", runID, cursor, err)
	}
	return ds, c
}

// none asserts runID has no deliveries after cursor (Next times out).
func none(t *testing.T, s *sink.Sink, runID, cursor string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ds, _, err := s.Next(ctx, runID, cursor)
	if !errors.Is(err, context.DeadlineExceeded) || len(ds) != 0 {
		t.Errorf("Next(%q) = %d deliveries, %v; want none", runID, len(ds), err)
	}
}

func bodies(ds []journey.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Body))
	}
	return out
}

func TestAttribution(t *testing.T) {
	correlate := []string{"/groupLabels/jg_run", "/commonLabels/jg_run"}
	tests := []struct {
		name    string
		path    func(s *sink.Sink, base string) string
		header  map[string]string
		body    string
		status  int
		wantRun string // "" means unattributed
	}{
		{
			name:    "path",
			path:    func(s *sink.Sink, base string) string { return base + "/run/r1" },
			body:    `{}`,
			status:  http.StatusNoContent,
			wantRun: "r1",
		},
		{
			name:    "path with escaped characters via URL",
			path:    func(s *sink.Sink, base string) string { return s.URL("run a/b?c") },
			body:    `{}`,
			status:  http.StatusNoContent,
			wantRun: "run a/b?c",
		},
		{
			name:    "path wins over header and body",
			path:    func(s *sink.Sink, base string) string { return base + "/run/r1" },
			header:  map[string]string{journey.RunHeader: "r2"},
			body:    `{"groupLabels":{"jg_run":"r3"}}`,
			status:  http.StatusNoContent,
			wantRun: "r1",
		},
		{
			name:    "header",
			path:    func(s *sink.Sink, base string) string { return base + "/webhook" },
			header:  map[string]string{journey.RunHeader: "r2"},
			body:    `not json`,
			status:  http.StatusNoContent,
			wantRun: "r2",
		},
		{
			name:    "header wins over body",
			path:    func(s *sink.Sink, base string) string { return base + "/" },
			header:  map[string]string{journey.RunHeader: "r2"},
			body:    `{"groupLabels":{"jg_run":"r3"}}`,
			status:  http.StatusNoContent,
			wantRun: "r2",
		},
		{
			name:    "first pointer",
			path:    func(s *sink.Sink, base string) string { return base + "/" },
			body:    `{"groupLabels":{"jg_run":"r3"},"commonLabels":{"jg_run":"r4"}}`,
			status:  http.StatusNoContent,
			wantRun: "r3",
		},
		{
			name:    "second pointer when the first is absent",
			path:    func(s *sink.Sink, base string) string { return base + "/" },
			body:    `{"groupLabels":{"alertname":"A"},"commonLabels":{"jg_run":"r4"}}`,
			status:  http.StatusNoContent,
			wantRun: "r4",
		},
		{
			name:    "second pointer when the first is not a string",
			path:    func(s *sink.Sink, base string) string { return base + "/" },
			body:    `{"groupLabels":{"jg_run":7},"commonLabels":{"jg_run":"r4"}}`,
			status:  http.StatusNoContent,
			wantRun: "r4",
		},
		{
			name:   "no attribution",
			path:   func(s *sink.Sink, base string) string { return base + "/" },
			body:   `{"groupLabels":{"alertname":"A"}}`,
			status: http.StatusAccepted,
		},
		{
			name:   "body that is not JSON",
			path:   func(s *sink.Sink, base string) string { return base + "/" },
			body:   `jg_run=r3`,
			status: http.StatusAccepted,
		},
		{
			name:   "empty header",
			path:   func(s *sink.Sink, base string) string { return base + "/" },
			header: map[string]string{journey.RunHeader: "  "},
			body:   `{}`,
			status: http.StatusAccepted,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, base := start(t, sink.Config{Correlate: correlate})
			status, text := post(t, tc.path(s, base), tc.header, tc.body)
			if status != tc.status {
				t.Fatalf("status = %d (%s), want %d", status, text, tc.status)
			}
			if tc.wantRun == "" {
				if got := s.Unattributed(); got != 1 {
					t.Errorf("Unattributed = %d, want 1", got)
				}
				if !strings.Contains(text, "not attributed") {
					t.Errorf("202 body = %q, want it to say the delivery was not attributed", text)
				}
				for _, run := range []string{"", "r1", "r2", "r3", "r4"} {
					none(t, s, run, "")
				}
				return
			}
			ds, cursor := next(t, s, tc.wantRun, "")
			if len(ds) != 1 || string(ds[0].Body) != tc.body || ds[0].RunID != tc.wantRun {
				t.Fatalf("deliveries = %+v, want the one posted for %q", ds, tc.wantRun)
			}
			if cursor != "1" {
				t.Errorf("cursor = %q, want 1", cursor)
			}
			if got := s.Unattributed(); got != 0 {
				t.Errorf("Unattributed = %d, want 0", got)
			}
			for _, other := range []string{"r1", "r2", "r3", "r4"} {
				if other != tc.wantRun {
					none(t, s, other, "")
				}
			}
		})
	}
}

func TestToken(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		header map[string]string
		status int
	}{
		{"no token configured, none sent", "", nil, http.StatusNoContent},
		{"no token configured, one sent", "", map[string]string{"Authorization": "Bearer x"}, http.StatusNoContent},
		{"missing", "s3cret", nil, http.StatusUnauthorized},
		{"wrong bearer", "s3cret", map[string]string{"Authorization": "Bearer guess"}, http.StatusUnauthorized},
		{"not a bearer", "s3cret", map[string]string{"Authorization": "Basic s3cret"}, http.StatusUnauthorized},
		{"right bearer", "s3cret", map[string]string{"Authorization": "Bearer s3cret"}, http.StatusNoContent},
		{"wrong token header", "s3cret", map[string]string{sink.TokenHeader: "guess"}, http.StatusUnauthorized},
		{"right token header", "s3cret", map[string]string{sink.TokenHeader: "s3cret"}, http.StatusNoContent},
		{"prefix of the token", "s3cret", map[string]string{sink.TokenHeader: "s3cre"}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, base := start(t, sink.Config{Token: tc.token})
			status, text := post(t, base+"/run/r1", tc.header, `{}`)
			if status != tc.status {
				t.Fatalf("status = %d (%s), want %d", status, text, tc.status)
			}
			if status == http.StatusUnauthorized {
				if !strings.Contains(text, "token") {
					t.Errorf("401 body = %q, want it to explain the token", text)
				}
				none(t, s, "r1", "")
			}
		})
	}
	t.Run("healthz needs no token", func(t *testing.T) {
		_, base := start(t, sink.Config{Token: "s3cret"})
		if status, _ := send(t, http.MethodGet, base+"/healthz", nil, nil); status != http.StatusOK {
			t.Errorf("GET /healthz = %d, want 200", status)
		}
	})
}

// noLength hides a reader's length, so the client sends it chunked.
type noLength struct{ io.Reader }

func TestRejections(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   io.Reader
		status int
		text   string
	}{
		{"body at the limit", http.MethodPost, "/run/r1", strings.NewReader(strings.Repeat("x", 16)), http.StatusNoContent, ""},
		{"body over the limit", http.MethodPost, "/run/r1", strings.NewReader(strings.Repeat("x", 17)), http.StatusRequestEntityTooLarge, "limit of 16 bytes"},
		{"chunked body over the limit", http.MethodPost, "/run/r1", noLength{strings.NewReader(strings.Repeat("x", 17))}, http.StatusRequestEntityTooLarge, "limit of 16 bytes"},
		{"GET a run", http.MethodGet, "/run/r1", nil, http.StatusMethodNotAllowed, "POST"},
		{"PUT", http.MethodPut, "/", strings.NewReader("{}"), http.StatusMethodNotAllowed, "POST"},
		{"POST healthz", http.MethodPost, "/healthz", strings.NewReader("{}"), http.StatusMethodNotAllowed, "GET"},
		{"GET healthz", http.MethodGet, "/healthz", nil, http.StatusOK, "ok"},
		{"empty run ID", http.MethodPost, "/run/", strings.NewReader("{}"), http.StatusBadRequest, "empty run ID"},
		{"extra path segments", http.MethodPost, "/run/a/b", strings.NewReader("{}"), http.StatusBadRequest, "extra segments"},
		{"run ID too long", http.MethodPost, "/run/" + strings.Repeat("r", 300), strings.NewReader("{}"), http.StatusBadRequest, "at most 256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, base := start(t, sink.Config{MaxBody: 16})
			status, text := send(t, tc.method, base+tc.path, nil, tc.body)
			if status != tc.status {
				t.Fatalf("status = %d (%s), want %d", status, text, tc.status)
			}
			if !strings.Contains(text, tc.text) {
				t.Errorf("body = %q, want it to contain %q", text, tc.text)
			}
			if status >= 400 {
				if strings.TrimSpace(text) == "" {
					t.Error("rejection with an empty body")
				}
				none(t, s, "r1", "")
			}
		})
	}
}

func TestDeliveryRecord(t *testing.T) {
	s, base := start(t, sink.Config{Token: "s3cret"})
	before := time.Now()
	status, text := post(t, base+"/run/r1", map[string]string{
		"Authorization":       "Bearer s3cret",
		"Cookie":              "session=abc",
		"Content-Type":        "application/json",
		"X-Alertmanager-Test": "yes",
	}, `{"n":1}`)
	if status != http.StatusNoContent {
		t.Fatalf("status = %d (%s)", status, text)
	}
	post(t, base+"/run/r1", map[string]string{sink.TokenHeader: "s3cret"}, `{"n":2}`)
	post(t, base+"/run/r2", map[string]string{sink.TokenHeader: "s3cret"}, `{"n":1}`)
	after := time.Now()

	ds, _ := next(t, s, "r1", "")
	other, _ := next(t, s, "r2", "")
	if len(ds) != 2 || len(other) != 1 {
		t.Fatalf("deliveries: r1 %d, r2 %d; want 2 and 1", len(ds), len(other))
	}
	d := ds[0]
	if string(d.Body) != `{"n":1}` || d.RunID != "r1" {
		t.Errorf("delivery = %+v", d)
	}
	if d.ReceivedAt.Location() != time.UTC || d.ReceivedAt.Before(before.Add(-time.Second)) || d.ReceivedAt.After(after.Add(time.Second)) {
		t.Errorf("ReceivedAt = %s, want UTC between %s and %s", d.ReceivedAt, before, after)
	}
	if got := d.Header.Get("X-Alertmanager-Test"); got != "yes" {
		t.Errorf("header X-Alertmanager-Test = %q, want it kept", got)
	}
	if got := d.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("header Content-Type = %q, want it kept", got)
	}
	ids := map[string]bool{}
	for _, d := range append(ds, other...) {
		for _, secret := range []string{"Authorization", sink.TokenHeader, "Cookie"} {
			if v := d.Header.Values(secret); len(v) > 0 {
				t.Errorf("delivery %s stored secret header %s = %q", d.ID, secret, v)
			}
		}
		if d.ID == "" || ids[d.ID] {
			t.Errorf("delivery ID %q is empty or repeated", d.ID)
		}
		ids[d.ID] = true
	}
}

func TestDeliveriesAreCopies(t *testing.T) {
	s, base := start(t, sink.Config{})
	post(t, base+"/run/r1", map[string]string{"X-A": "1"}, `abc`)
	ds, _ := next(t, s, "r1", "")
	ds[0].Body[0] = 'z'
	ds[0].Header.Set("X-A", "2")
	again, _ := next(t, s, "r1", "")
	if string(again[0].Body) != "abc" || again[0].Header.Get("X-A") != "1" {
		t.Errorf("a reader's change leaked into the sink: %q %q", again[0].Body, again[0].Header.Get("X-A"))
	}
}

func TestIsolation(t *testing.T) {
	s, base := start(t, sink.Config{})
	var wg sync.WaitGroup
	for _, run := range []string{"a", "b"} {
		wg.Go(func() {
			for i := range 20 {
				post(t, base+"/run/"+run, nil, fmt.Sprintf("%s-%d", run, i))
			}
		})
	}
	wg.Wait()
	for _, run := range []string{"a", "b"} {
		ds, cursor := next(t, s, run, "")
		if len(ds) != 20 || cursor != "20" {
			t.Fatalf("run %s: %d deliveries, cursor %q; want 20", run, len(ds), cursor)
		}
		for i, d := range ds {
			if d.RunID != run || string(d.Body) != fmt.Sprintf("%s-%d", run, i) {
				t.Errorf("run %s delivery %d = %s %q: another run's or out of order", run, i, d.RunID, d.Body)
			}
		}
	}
	none(t, s, "c", "")
}

func TestNextCursor(t *testing.T) {
	s, base := start(t, sink.Config{})
	for i := 1; i <= 3; i++ {
		post(t, base+"/run/r1", nil, fmt.Sprint(i))
	}
	tests := []struct {
		cursor  string
		want    []string
		next    string
		wantErr string
	}{
		{"", []string{"1", "2", "3"}, "3", ""},
		{"0", []string{"1", "2", "3"}, "3", ""},
		{"2", []string{"3"}, "3", ""},
		{"x", nil, "", "invalid sink cursor"},
		{"-1", nil, "", "invalid sink cursor"},
		{"9", nil, "", "ahead"},
	}
	for _, tc := range tests {
		t.Run("cursor="+tc.cursor, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ds, cur, err := s.Next(ctx, "r1", tc.cursor)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := bodies(ds); fmt.Sprint(got) != fmt.Sprint(tc.want) || cur != tc.next {
				t.Errorf("Next = %q, %q; want %q, %q", got, cur, tc.want, tc.next)
			}
		})
	}
	none(t, s, "r1", "3")
}

func TestNextBlocksUntilArrival(t *testing.T) {
	s, base := start(t, sink.Config{})
	post(t, base+"/run/r1", nil, "old")
	_, cursor := next(t, s, "r1", "")

	type result struct {
		ds     []journey.Delivery
		cursor string
		err    error
	}
	got := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		ds, c, err := s.Next(ctx, "r1", cursor)
		got <- result{ds, c, err}
	}()
	post(t, base+"/run/other", nil, "not for r1") // must not wake r1's reader with anything
	time.Sleep(50 * time.Millisecond)
	select {
	case r := <-got:
		t.Fatalf("Next returned before a delivery arrived: %+v", r)
	default:
	}
	post(t, base+"/run/r1", nil, "new")
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	if b := bodies(r.ds); len(b) != 1 || b[0] != "new" || r.cursor != "2" {
		t.Errorf("Next = %q, cursor %q; want [new], 2", b, r.cursor)
	}
}

func TestNextContextEnds(t *testing.T) {
	s, _ := start(t, sink.Config{})
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 30*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(30*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			ds, cursor, err := s.Next(ctx, "r1", "")
			if !errors.Is(err, tc.want) || len(ds) != 0 || cursor != "" {
				t.Errorf("Next = %d deliveries, %q, %v; want none and %v", len(ds), cursor, err, tc.want)
			}
		})
	}
}

func TestMaxPerRun(t *testing.T) {
	s, base := start(t, sink.Config{MaxPerRun: 3})
	for i := 1; i <= 5; i++ {
		post(t, base+"/run/r1", nil, fmt.Sprint(i))
	}
	post(t, base+"/run/r2", nil, "x")
	for _, cursor := range []string{"", "1", "2"} {
		ds, cur := next(t, s, "r1", cursor)
		if got := bodies(ds); fmt.Sprint(got) != "[3 4 5]" || cur != "5" {
			t.Errorf("Next(cursor %q) = %q, %q; want the newest 3 and cursor 5", cursor, got, cur)
		}
	}
	ds, cur := next(t, s, "r1", "4")
	if got := bodies(ds); fmt.Sprint(got) != "[5]" || cur != "5" {
		t.Errorf("Next(cursor 4) = %q, %q; want [5], 5", got, cur)
	}
	if ds, _ := next(t, s, "r2", ""); len(ds) != 1 {
		t.Errorf("run r2 has %d deliveries, want 1: the bound is per run", len(ds))
	}
}

func TestClose(t *testing.T) {
	s := sink.New(sink.Config{})
	base, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Listen("127.0.0.1:0"); err == nil {
		t.Error("a second Listen succeeded")
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := s.Next(context.Background(), "r1", "")
		errc <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	if _, err := http.Post(base+"/run/r1", "text/plain", strings.NewReader("x")); err == nil {
		t.Error("the server still answers after Close")
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/run/r1", strings.NewReader("x")))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("handler after Close = %d, want 503", rec.Code)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestHandlerWithoutListen(t *testing.T) {
	s := sink.New(sink.Config{})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	if got := s.URL("r 1"); got != "/run/r%201" {
		t.Errorf("URL before Listen = %q", got)
	}
	post(t, srv.URL+s.URL("r 1"), nil, "x")
	if ds, _ := next(t, s, "r 1", ""); len(ds) != 1 {
		t.Errorf("deliveries = %d, want 1", len(ds))
	}
}

// Many senders and readers at once: every reader sees exactly its run's
// deliveries, in order, each once.
func TestConcurrency(t *testing.T) {
	s, base := start(t, sink.Config{})
	const runs, senders, each = 4, 4, 25
	var wg sync.WaitGroup
	for r := range runs {
		for w := range senders {
			wg.Go(func() {
				for i := range each {
					req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(fmt.Appendf(nil, "%d/%d", w, i)))
					req.Header.Set(journey.RunHeader, fmt.Sprint("run-", r))
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
				}
			})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var readers sync.WaitGroup
	for r := range runs {
		// Two readers per run, each with its own cursor.
		for range 2 {
			readers.Go(func() {
				run := fmt.Sprint("run-", r)
				cursor, seen := "", map[string]bool{}
				lastPerSender := map[string]int{}
				for len(seen) < senders*each {
					ds, c, err := s.Next(ctx, run, cursor)
					if err != nil {
						t.Errorf("%s: %v after %d deliveries", run, err, len(seen))
						return
					}
					cursor = c
					for _, d := range ds {
						if d.RunID != run || seen[d.ID] {
							t.Errorf("%s: got %s's delivery %s (repeat: %t)", run, d.RunID, d.ID, seen[d.ID])
						}
						seen[d.ID] = true
						var w string
						var i int
						fmt.Sscanf(strings.Replace(string(d.Body), "/", " ", 1), "%s %d", &w, &i)
						if prev, ok := lastPerSender[w]; ok && i <= prev {
							t.Errorf("%s: sender %s's delivery %d after %d", run, w, i, prev)
						}
						lastPerSender[w] = i
					}
				}
			})
		}
	}
	wg.Wait()
	readers.Wait()
	if got := s.Unattributed(); got != 0 {
		t.Errorf("Unattributed = %d", got)
	}
}
