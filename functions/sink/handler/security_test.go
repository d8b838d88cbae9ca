package handler_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	bolt "go.etcd.io/bbolt"

	sinkfn "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/test/dynalite"
)

// The sink security suite drives the sink Lambda the way AWS does: a
// function URL event as JSON through lambda.NewHandler(...).Invoke, the
// DynamoDB store on dynalite behind it. It proves the rules of issue 6:
// requests without a valid token or signature are rejected (401 or 403)
// and stored nowhere; bodies over the limit are rejected (413); one run
// never sees another run's deliveries; stored deliveries expire.

const secLimit = 1024

var (
	secCfg      = sinkfn.Config{Token: token, HMACSecret: secret, MaxBody: secLimit, Correlate: []string{"/groupLabels/jg_run"}}
	secPoll     = poll.Backoff{First: 2 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}
	secTables   atomic.Int64
	secRequests atomic.Int64
)

// secSink is the sink Lambda on a fresh table.
type secSink struct {
	client *dynamodb.Client
	table  string
	st     *dynamo.Store
	h      *sinkfn.Handler
}

func newSecSink(t *testing.T, client *dynamodb.Client, cfg sinkfn.Config, opts []dynamo.Option, hopts ...sinkfn.Option) *secSink {
	t.Helper()
	table := "sink-security-" + strconv.FormatInt(secTables.Add(1), 10)
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table, opts...)
	h, err := sinkfn.New(cfg, st, hopts...)
	if err != nil {
		t.Fatal(err)
	}
	return &secSink{client: client, table: table, st: st, h: h}
}

// post invokes the sink with a POST of body to path, as a function URL
// delivers it: lower-case header names, a fresh request ID.
func (s *secSink) post(t *testing.T, path, body string, header map[string]string, mutate ...func(*events.LambdaFunctionURLRequest)) events.LambdaFunctionURLResponse {
	t.Helper()
	resp, err := s.send(path, body, header, mutate...)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// deliver posts with a bearer token from any goroutine; it reports what
// is not a 204.
func (s *secSink) deliver(path, body string, header map[string]string) error {
	h := bearer(token)
	for k, v := range header {
		h[k] = v
	}
	resp, err := s.send(path, body, h)
	if err == nil && resp.StatusCode != http.StatusNoContent {
		err = fmt.Errorf("POST %s: %d %q", path, resp.StatusCode, resp.Body)
	}
	return err
}

// send is post without a test: what goroutines call.
func (s *secSink) send(path, body string, header map[string]string, mutate ...func(*events.LambdaFunctionURLRequest)) (events.LambdaFunctionURLResponse, error) {
	var resp events.LambdaFunctionURLResponse
	req := events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "application/json", "content-length": strconv.Itoa(len(body))},
		RequestContext: events.LambdaFunctionURLRequestContext{
			RequestID: fmt.Sprintf("req-%06d", secRequests.Add(1)),
			HTTP:      events.LambdaFunctionURLRequestContextHTTPDescription{Method: http.MethodPost, Path: path},
		},
	}
	for k, v := range header {
		req.Headers[strings.ToLower(k)] = v
	}
	for _, m := range mutate {
		m(&req)
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	// A handler from lambda.NewHandler serves one invocation at a time,
	// as a Lambda instance does: each request gets its own instance.
	out, err := lambda.NewHandler(s.h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		return resp, fmt.Errorf("the sink answers every request; got error %w", err)
	}
	return resp, json.Unmarshal(out, &resp)
}

// runPath is the path delivering to run.
func runPath(run string) string { return "/run/" + url.PathEscape(run) }

// items returns every item of the table, read with consistent Scans.
func (s *secSink) items(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	in := &dynamodb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)}
	for {
		page, err := s.client.Scan(t.Context(), in)
		if err != nil {
			t.Fatalf("scan %s: %v", s.table, err)
		}
		for _, it := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// itemKeys lists items by their keys.
func itemKeys(items []map[string]any) string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%v/%v", it["PK"], it["SK"]))
	}
	return strings.Join(out, ", ")
}

// notificationBody is an Alertmanager-like body naming its run.
func notificationBody(run, status string, seq int) string {
	return fmt.Sprintf(`{"status":%q,"seq":%d,"groupLabels":{"jg_run":%q}}`, status, seq, run)
}

// paddedBody is a JSON body of exactly n bytes.
func paddedBody(n int) string {
	const head, tail = `{"groupLabels":{"jg_run":"run-a"},"pad":"`, `"}`
	return head + strings.Repeat("p", n-len(head)-len(tail)) + tail
}

// bearer is an Authorization header carrying tok.
func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// signed is a signature header of body under key.
func signed(key, body string) map[string]string {
	return map[string]string{sink.SignatureHeader: sinkfn.Sign(key, []byte(body))}
}

// base64Body sends raw base64-encoded, as a function URL passes binary
// bodies, without a Content-Length.
func base64Body(raw string) func(*events.LambdaFunctionURLRequest) {
	return func(r *events.LambdaFunctionURLRequest) {
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(raw)), true
		delete(r.Headers, "content-length")
	}
}

// setHeader sets a request header; "" removes it.
func setHeader(k, v string) func(*events.LambdaFunctionURLRequest) {
	return func(r *events.LambdaFunctionURLRequest) {
		if v == "" {
			delete(r.Headers, k)
			return
		}
		r.Headers[k] = v
	}
}

func TestSinkSecurity(t *testing.T) {
	client := dynalite.Start(t).Client()
	t.Run("rejected requests are stored nowhere", func(t *testing.T) { testRejections(t, client) })
	t.Run("accepted requests store one delivery without credentials", func(t *testing.T) { testAccepted(t, client) })
	t.Run("runs never see each other's deliveries", func(t *testing.T) { testRunIsolation(t, client) })
	t.Run("expired deliveries are never read", func(t *testing.T) { testExpiry(t, client) })
}

type secCase struct {
	name   string
	cfg    *sinkfn.Config // nil: secCfg
	body   string
	header map[string]string
	mutate []func(*events.LambdaFunctionURLRequest)
	status int
}

func testRejections(t *testing.T, client *dynamodb.Client) {
	ok := notificationBody("run-a", "firing", 1)
	other := notificationBody("run-a", "resolved", 1)
	big := paddedBody(secLimit + 1)
	tokenOnly := sinkfn.Config{Token: token, MaxBody: secLimit}
	hmacOnly := sinkfn.Config{HMACSecret: secret, MaxBody: secLimit}
	noCreds := map[string]string{}
	cases := []secCase{
		// Credentials missing: 401.
		{name: "no credentials", body: ok, header: noCreds, status: 401},
		{name: "empty Authorization header", body: ok, header: map[string]string{"Authorization": ""}, status: 401},
		{name: "token in the query string is no credential", body: ok, header: noCreds, status: 401,
			mutate: []func(*events.LambdaFunctionURLRequest){func(r *events.LambdaFunctionURLRequest) { r.RawQueryString = "token=" + token }}},
		// Credentials wrong: 403.
		{name: "wrong bearer token", body: ok, header: bearer("guess"), status: 403},
		{name: "empty bearer token", body: ok, header: bearer(""), status: 403},
		{name: "bearer token with a suffix", body: ok, header: bearer(token + "x"), status: 403},
		{name: "prefix of the bearer token", body: ok, header: bearer(token[:len(token)-1]), status: 403},
		{name: "wrong token header", body: ok, header: map[string]string{sink.TokenHeader: "guess"}, status: 403},
		{name: "basic auth", body: ok, header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+token))}, status: 403},
		{name: "the token as the signature", body: ok, header: map[string]string{sink.SignatureHeader: token}, status: 403},
		{name: "signature by another key", body: ok, header: signed("other", ok), status: 403},
		{name: "signature of another body", body: ok, header: signed(secret, other), status: 403},
		{name: "signature without its sha256= prefix", body: ok, header: map[string]string{sink.SignatureHeader: strings.TrimPrefix(sinkfn.Sign(secret, []byte(ok)), "sha256=")}, status: 403},
		{name: "signature of a base64 body's encoded text", body: ok, header: signed(secret, base64.StdEncoding.EncodeToString([]byte(ok))), status: 403,
			mutate: []func(*events.LambdaFunctionURLRequest){base64Body(ok)}},
		{name: "the secret as the signature", body: ok, header: map[string]string{sink.SignatureHeader: secret}, status: 403},
		{name: "signature to a sink with only a token", cfg: &tokenOnly, body: ok, header: signed(secret, ok), status: 403},
		{name: "token to a sink with only an HMAC key", cfg: &hmacOnly, body: ok, header: bearer(token), status: 403},
		// Bodies over the limit: 413, credentials or not.
		{name: "declared over the limit", body: ok, header: bearer(token), status: 413,
			mutate: []func(*events.LambdaFunctionURLRequest){setHeader("content-length", strconv.Itoa(secLimit+1))}},
		{name: "one byte over, no Content-Length", body: big, header: bearer(token), status: 413,
			mutate: []func(*events.LambdaFunctionURLRequest){setHeader("content-length", "")}},
		{name: "over the limit, Content-Length lying", body: big, header: bearer(token), status: 413,
			mutate: []func(*events.LambdaFunctionURLRequest){setHeader("content-length", "10")}},
		{name: "base64 body decoding to one byte over", body: big, header: bearer(token), status: 413,
			mutate: []func(*events.LambdaFunctionURLRequest){base64Body(big)}},
		{name: "base64 body of 1 MiB", body: paddedBody(1 << 20), header: bearer(token), status: 413,
			mutate: []func(*events.LambdaFunctionURLRequest){base64Body(paddedBody(1 << 20))}},
		{name: "over the limit and validly signed", body: big, header: signed(secret, big), status: 413},
		{name: "over the limit without credentials", body: big, header: noCreds, status: 413},
		{name: "over the default limit of 1 MiB", cfg: &sinkfn.Config{Token: token}, body: paddedBody(sink.DefaultMaxBody + 1), header: bearer(token), status: 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := secCfg
			if c.cfg != nil {
				cfg = *c.cfg
			}
			s := newSecSink(t, client, cfg, nil)
			resp := s.post(t, "/run/run-a", c.body, c.header, c.mutate...)
			if resp.StatusCode != c.status {
				t.Errorf("answered %d %q, want %d", resp.StatusCode, resp.Body, c.status)
			}
			if c.status == 401 && resp.Headers["WWW-Authenticate"] == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if got := s.items(t); len(got) != 0 {
				t.Errorf("a rejected request stored %d items: %s", len(got), itemKeys(got))
			}
		})
	}
	// A body within the sink's limit that the store cannot hold (over the
	// item budget even gzipped) is rejected with 413 too, and stored
	// nowhere.
	t.Run("within the limit but over the store's item budget", func(t *testing.T) {
		s := newSecSink(t, client, sinkfn.Config{Token: token}, nil)
		raw := make([]byte, 600<<10)
		rand.Read(raw)
		body := `{"noise":"` + base64.StdEncoding.EncodeToString(raw)[:600<<10] + `"}`
		resp := s.post(t, "/run/run-a", body, bearer(token))
		if resp.StatusCode != 413 {
			t.Errorf("answered %d %q, want 413", resp.StatusCode, resp.Body)
		}
		if got := s.items(t); len(got) != 0 {
			t.Errorf("stored %d items: %s", len(got), itemKeys(got))
		}
	})
}

// testAccepted is the control of testRejections: the same requests with
// valid credentials and sizes are stored, once, without the credentials.
func testAccepted(t *testing.T, client *dynamodb.Client) {
	ok := notificationBody("run-a", "firing", 1)
	exact := paddedBody(secLimit)
	cases := []secCase{
		{name: "bearer token", body: ok, header: bearer(token)},
		{name: "token header", body: ok, header: map[string]string{sink.TokenHeader: token}},
		{name: "signature", body: ok, header: signed(secret, ok)},
		{name: "upper-case signature", body: ok, header: map[string]string{sink.SignatureHeader: "sha256=" + strings.ToUpper(strings.TrimPrefix(sinkfn.Sign(secret, []byte(ok)), "sha256="))}},
		{name: "signature of a base64 body's bytes", body: ok, header: signed(secret, ok), mutate: []func(*events.LambdaFunctionURLRequest){base64Body(ok)}},
		{name: "exactly at the limit", body: exact, header: bearer(token)},
		{name: "base64 body decoding to exactly the limit", body: exact, header: bearer(token), mutate: []func(*events.LambdaFunctionURLRequest){base64Body(exact)}},
		{name: "token and signature both", body: ok, header: map[string]string{"Authorization": "Bearer " + token, sink.SignatureHeader: sinkfn.Sign(secret, []byte(ok)), "Cookie": "session=" + token}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSecSink(t, client, secCfg, nil)
			resp := s.post(t, "/run/run-a", c.body, c.header, c.mutate...)
			if resp.StatusCode != 204 {
				t.Fatalf("answered %d %q, want 204", resp.StatusCode, resp.Body)
			}
			got := s.items(t)
			if len(got) != 1 || got[0]["kind"] != "delivery" || got[0]["runId"] != "run-a" {
				t.Fatalf("stored %v, want one delivery of run-a", got)
			}
			raw, err := json.Marshal(got[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{token, secret, sinkfn.Sign(secret, []byte(c.body))[len("sha256="):]} {
				if strings.Contains(strings.ToLower(string(raw)), strings.ToLower(leak)) {
					t.Errorf("the stored item holds a credential %q: %s", leak, raw)
				}
			}
			ds, _, err := s.st.Deliveries(t.Context(), "run-a", "", 0)
			if err != nil || len(ds) != 1 || string(ds[0].Body) != c.body {
				t.Errorf("read back %d deliveries (%v), want the body sent", len(ds), err)
			}
		})
	}
}

// testRunIsolation delivers to runs whose IDs are prefixes, case variants
// and separator-laden versions of each other, attributed every way the
// sink knows, concurrently; each run's reader, and a journey awaiting any
// delivery at all, gets its own run's deliveries only.
func testRunIsolation(t *testing.T, client *dynamodb.Client) {
	s := newSecSink(t, client, secCfg, nil)
	runs := []string{"run-1", "run-10", "run-", "RUN-1", "run-1#x", "run-1/x", "run-1%2Fx", "run 1"}
	const each = 6
	var wg sync.WaitGroup
	for _, run := range runs {
		for i := range each {
			wg.Go(func() {
				body := notificationBody(run, "firing", i)
				path, hdr := "/alertmanager", map[string]string{} // by body pointer
				switch i % 3 {
				case 0:
					path = runPath(run)
				case 1:
					hdr[journey.RunHeader] = run
					body = notificationBody("not-"+run, "firing", i)
				}
				if err := s.deliver(path, body, hdr); err != nil {
					t.Errorf("delivery %d of %q: %v", i, run, err)
				}
			})
		}
	}
	wg.Wait()
	if got := s.items(t); len(got) != len(runs)*each {
		t.Fatalf("stored %d items, want %d", len(got), len(runs)*each)
	}
	reader := store.NewSinkReader(s.st, func(run string) string { return "https://sink.example/run/" + run }, secPoll)
	for _, run := range runs {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		ds, cursor, err := reader.Next(ctx, run, "")
		cancel()
		if err != nil {
			t.Fatalf("reader of %q: %v", run, err)
		}
		seqs := map[int]bool{}
		for _, d := range ds {
			var n struct{ Seq int }
			if d.RunID != run || json.Unmarshal(d.Body, &n) != nil {
				t.Errorf("reader of %q got a delivery of %q: %s", run, d.RunID, d.Body)
				continue
			}
			seqs[n.Seq] = true
		}
		if len(ds) != each || len(seqs) != each {
			t.Errorf("reader of %q got %d deliveries (%d distinct), want its %d", run, len(ds), len(seqs), each)
		}
		// Nothing more for this run, whatever arrives for the others.
		ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
		if err := s.deliver(runPath(run+"-later"), notificationBody(run+"-later", "firing", 0), nil); err != nil {
			t.Error(err)
		}
		if more, _, err := reader.Next(ctx, run, cursor); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("reader of %q after its deliveries = %d more, %v; want to wait", run, len(more), err)
		}
		cancel()
	}

	// Two journeys await concurrently, each accepting any delivery at all,
	// then assert that no other arrives. Each run gets one delivery: B's
	// first (A would claim it if it leaked), then A's (B's Never would see
	// it), then some for runs named like them.
	got := map[string][]string{}
	var mu sync.Mutex
	var jw sync.WaitGroup
	for _, me := range []string{"journey-a", "journey-b"} {
		jw.Go(func() {
			res := executeWith(t, reader, me, func(ctx context.Context, jt *journey.T) error {
				d, err := jt.Sink().Await(ctx, "any notification", func(journey.Delivery) error { return nil })
				if err != nil {
					return err
				}
				mu.Lock()
				got[me] = append(got[me], d.RunID+" "+string(d.Body))
				mu.Unlock()
				return jt.Sink().Never(ctx, 500*time.Millisecond, "another notification", func(journey.Delivery) error { return nil })
			})
			if res.Outcome != journey.Passed {
				t.Errorf("journey of %s: %s: %s", me, res.Outcome, res.Message)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	for _, run := range []string{"journey-b", "journey-a", "journey-a0", "journey-", "journey-b/x"} {
		if err := s.deliver("/alertmanager", notificationBody(run, "for-"+run, 0), nil); err != nil {
			t.Error(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	jw.Wait()
	for _, me := range []string{"journey-a", "journey-b"} {
		if len(got[me]) != 1 || !strings.HasPrefix(got[me][0], me+" ") || !strings.Contains(got[me][0], `"for-`+me+`"`) {
			t.Errorf("journey of %s awaited %q, want its own notification only", me, got[me])
		}
	}
}

// executeWith runs a one-step journey for run with the reader as its sink.
func executeWith(t *testing.T, reader journey.SinkReader, run string, do func(ctx context.Context, jt *journey.T) error) journey.Result {
	t.Helper()
	j := journey.Journey{Name: "isolation", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Sink: true,
		Steps: []journey.Step{{Name: "await", SLA: 10 * time.Second, Do: do}}}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Fatal(err)
	}
	return journey.Execute(t.Context(), j, journey.Options{RunID: run, Sink: reader, Poll: secPoll})
}

// testExpiry: a stored delivery past its TTL is read by nobody, though it
// is still in the table (DynamoDB's TTL deletes within days; dynalite
// never), on both backends the sink may write to.
func testExpiry(t *testing.T, client *dynamodb.Client) {
	type backend struct {
		name string
		// open returns the sink over a store whose deliveries expire after
		// ttl, and a count of the deliveries it physically holds.
		open func(t *testing.T, ttl time.Duration, hopts ...sinkfn.Option) (*sinkfn.Handler, store.DeliveryStore, func() int)
	}
	backends := []backend{
		{"dynamodb", func(t *testing.T, ttl time.Duration, hopts ...sinkfn.Option) (*sinkfn.Handler, store.DeliveryStore, func() int) {
			s := newSecSink(t, client, secCfg, []dynamo.Option{dynamo.WithDeliveryTTL(ttl)}, hopts...)
			return s.h, s.st, func() int { return len(s.items(t)) }
		}},
		{"embedded", func(t *testing.T, ttl time.Duration, hopts ...sinkfn.Option) (*sinkfn.Handler, store.DeliveryStore, func() int) {
			path := filepath.Join(t.TempDir(), "s.db")
			st, err := embedded.Open(path, embedded.WithDeliveryTTL(ttl))
			if err != nil {
				t.Fatal(err)
			}
			h, err := sinkfn.New(secCfg, st, hopts...)
			if err != nil {
				t.Fatal(err)
			}
			// What the file holds, expired or not, read by bbolt itself.
			return h, st, func() int {
				db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				n := 0
				err = db.View(func(tx *bolt.Tx) error {
					if b := tx.Bucket([]byte("deliveries")); b != nil {
						n = b.Stats().KeyN
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}},
	}
	post := func(t *testing.T, h *sinkfn.Handler, n int) {
		t.Helper()
		s := &secSink{h: h}
		if resp := s.post(t, "/run/run-a", notificationBody("run-a", "firing", n), bearer(token)); resp.StatusCode != 204 {
			t.Fatalf("answered %d %q", resp.StatusCode, resp.Body)
		}
	}
	read := func(t *testing.T, ds store.DeliveryStore) int {
		t.Helper()
		got, _, err := ds.Deliveries(t.Context(), "run-a", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("received longer ago than the TTL", func(t *testing.T) {
				long := time.Now().Add(-store.DefaultDeliveryTTL - time.Hour)
				h, ds, held := b.open(t, store.DefaultDeliveryTTL, sinkfn.WithClock(func() time.Time { return long }))
				post(t, h, 1)
				if n := held(); n != 1 {
					t.Fatalf("the store holds %d deliveries, want the expired one still there", n)
				}
				if n := read(t, ds); n != 0 {
					t.Errorf("Deliveries returned %d expired deliveries", n)
				}
				ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
				defer cancel()
				reader := store.NewSinkReader(ds, nil, secPoll)
				if got, _, err := reader.Next(ctx, "run-a", ""); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("a reader got %d expired deliveries (%v)", len(got), err)
				}
			})
			t.Run("expires while stored", func(t *testing.T) {
				const ttl = 3 * time.Second
				h, ds, held := b.open(t, ttl)
				before := time.Now()
				post(t, h, 1)
				sent := time.Now()
				if n := read(t, ds); n != 1 {
					if took := time.Since(before); took < ttl-time.Second {
						t.Fatalf("read %d deliveries %s after it was sent, want 1", n, took.Round(time.Millisecond))
					}
					t.Log("inconclusive: storing and reading took longer than the delivery lives")
				}
				// Gone within the TTL (expiresAt is whole seconds, so up
				// to a second early; reads on a busy machine may take
				// another), and never before a second short of it.
				ctx, cancel := context.WithTimeout(t.Context(), ttl+4*time.Second)
				defer cancel()
				err := poll.Until(ctx, poll.Backoff{First: 50 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2}, func(ctx context.Context) error {
					if n := read(t, ds); n != 0 {
						return fmt.Errorf("%d deliveries read", n)
					}
					return nil
				})
				if gone := time.Since(sent); err != nil || gone > ttl+2*time.Second {
					t.Fatalf("still read %s after it was stored with a TTL of %s (%v)", gone.Round(time.Millisecond), ttl, err)
				}
				if gone := time.Since(before); gone < ttl-time.Second {
					t.Errorf("gone %s after it was sent, before its TTL of %s", gone.Round(time.Millisecond), ttl)
				}
				if n := held(); n != 1 {
					t.Errorf("the store holds %d deliveries; the test wants the expired one still there", n)
				}
			})
		})
	}
}

// TestInProcessSinkSecurity checks the same rules on the in-process sink
// `journeygate run` starts locally, over real HTTP. It differs from the
// Lambda by design: a wrong token is 401 (not 403), there is no HMAC
// signature, a sink without a token accepts anyone (it listens on
// loopback), and deliveries live in memory (at most MaxPerRun per run)
// until the process ends, so they need no expiry.
func TestInProcessSinkSecurity(t *testing.T) {
	s := sink.New(sink.Config{Token: token, MaxBody: secLimit, Correlate: []string{"/groupLabels/jg_run"}})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	ok := notificationBody("run-a", "firing", 1)
	big := paddedBody(secLimit + 1)
	send := func(t *testing.T, path, body string, hdr map[string]string, chunked bool) int {
		t.Helper()
		var r io.Reader = strings.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // unknown length: sent chunked, no Content-Length
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, r)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name    string
		body    string
		header  map[string]string
		chunked bool
		status  int
	}{
		{"no credentials", ok, nil, false, 401},
		{"wrong bearer token", ok, bearer("guess"), false, 401},
		{"prefix of the token", ok, map[string]string{sink.TokenHeader: token[:len(token)-1]}, false, 401},
		{"a signature instead of the token", ok, signed(secret, ok), false, 401},
		{"declared over the limit", big, bearer(token), false, 413},
		{"over the limit, chunked", big, bearer(token), true, 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := send(t, "/run/run-a", c.body, c.header, c.chunked); got != c.status {
				t.Errorf("answered %d, want %d", got, c.status)
			}
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if ds, _, err := s.Next(ctx, "run-a", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("rejected requests were stored: %d deliveries (%v)", len(ds), err)
	}
	if n := s.Unattributed(); n != 0 {
		t.Errorf("%d rejected requests counted as unattributed deliveries", n)
	}
	// The control: a valid delivery is stored, without its credentials.
	hdr := map[string]string{"Authorization": "Bearer " + token, sink.SignatureHeader: sinkfn.Sign(secret, []byte(ok)), "Cookie": "c=1"}
	if got := send(t, "/run/run-a", ok, hdr, false); got != 204 {
		t.Fatalf("a valid delivery answered %d", got)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	ds, _, err := s.Next(ctx, "run-a", "")
	if err != nil || len(ds) != 1 {
		t.Fatalf("read %d deliveries (%v), want 1", len(ds), err)
	}
	for _, k := range []string{"Authorization", sink.TokenHeader, sink.SignatureHeader, "Cookie"} {
		if v := ds[0].Header.Get(k); v != "" {
			t.Errorf("stored the credential header %s: %q", k, v)
		}
	}
}
