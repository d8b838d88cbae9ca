package journey_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

// answering is a target whose every answer is the same, counting requests.
func answering(t *testing.T, status int, contentType, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// listing is the SDK's usual condition: GET a list, expect 200, decode it,
// and wait until it has one element ("not yet" otherwise).
func listing(t *journey.T) journey.Condition {
	return func(ctx context.Context) error {
		resp, err := t.HTTP("api").Get(ctx, "/api/v2/alerts")
		if err != nil {
			return err
		}
		if err := resp.Expect(200); err != nil {
			return err
		}
		var alerts []map[string]any
		if err := resp.JSON(&alerts); err != nil {
			return err
		}
		if len(alerts) != 1 {
			return errors.New("listed 0 alerts, want 1")
		}
		return nil
	}
}

// A wrong answer ends Eventually at once as failed; only "not yet" polls
// on. Each target gives the same answer every time, so a wrong one would
// otherwise be asked for until the 5 s SLA.
func TestEventuallyWrongAnswerIsFinal(t *testing.T) {
	const sla = 5 * time.Second
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		maxBody     int64
		want        journey.Outcome
		msg         []string
	}{
		{name: "4xx client error", status: 403, body: "forbidden", want: journey.Failed, msg: []string{"status 403, expected 200", "forbidden"}},
		{name: "malformed JSON", status: 200, contentType: "application/json", body: `[{"labels": {"alertname": `, want: journey.Failed, msg: []string{"not the expected JSON", "unexpected end of JSON input"}},
		{name: "JSON of another shape", status: 200, contentType: "application/json", body: `{"alerts": []}`, want: journey.Failed, msg: []string{"not the expected JSON", "cannot unmarshal object"}},
		{name: "an HTML login page", status: 200, contentType: "text/html; charset=utf-8", body: "<!DOCTYPE html><html><body><form>Sign in</form></body></html>", want: journey.Failed, msg: []string{"not the expected JSON but an HTML page", `"text/html; charset=utf-8"`, "Sign in"}},
		{name: "an HTML page without a Content-Type", status: 200, body: "\n  <html><body>Sign in</body></html>", want: journey.Failed, msg: []string{"an HTML page"}},
		{name: "a body over its read limit", status: 200, contentType: "application/json", body: "[" + strings.Repeat("0,", 600) + "0]", maxBody: 1024, want: journey.Failed, msg: []string{"body exceeds 1024 bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := answering(t, tc.status, tc.contentType, tc.body)
			j := valid("final", step("listed", sla, func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the alert to be listed", listing(t))
			}))
			j.Targets = []string{"api"}
			res := execute(t, context.Background(), j, journey.Options{Targets: map[string]string{"api": srv.URL}, MaxBody: tc.maxBody}, 10*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			wantContains(t, "message", res.Message, tc.msg...)
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1: the wrong answer is final", n)
			}
			if e := res.Steps[0].Elapsed; e > sla/2 {
				t.Errorf("step took %s, want it to end at once, well before half its %s SLA", e, sla)
			}
		})
	}
}

func TestEventuallyFinalAndNotYet(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   journey.Outcome
		checks int // 0: several, until the SLA
	}{
		{"Failf is final", journey.Failf("state resolved, expected active"), journey.Failed, 1},
		{"a wrapped Failf is final", errors.Join(errors.New("listing"), journey.Failf("wrong")), journey.Failed, 1},
		{"Final is failed", journey.Final(errors.New("the alert belongs to another tenant")), journey.Failed, 1},
		{"Final of a fault is error", journey.Final(journey.Infra(errors.New("target decommissioned"))), journey.Errored, 1},
		{"NotYet polls past a Failure", journey.NotYet(journey.Failf("at /state: expected \"active\", got \"pending\"")), journey.SLABreach, 0},
		{"a plain error is not yet", errors.New("listed 0 alerts"), journey.SLABreach, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			j := valid("final", step("wait", 200*time.Millisecond, func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the thing", func(context.Context) error { n.Add(1); return tc.err })
			}))
			res := execute(t, context.Background(), j, journey.Options{}, 10*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			if tc.checks > 0 && int(n.Load()) != tc.checks {
				t.Errorf("%d checks, want %d", n.Load(), tc.checks)
			}
			if tc.checks == 0 && n.Load() < 3 {
				t.Errorf("%d checks, want it to keep polling", n.Load())
			}
		})
	}
	if journey.Final(nil) != nil || journey.NotYet(nil) != nil {
		t.Error("Final(nil) or NotYet(nil) is not nil")
	}
}

// A refusing target is asked a few times a second, backing off, and a run
// of refusals with no answer between them ends the step as error with the
// cause well before its SLA, not at it.
func TestEventuallyRefusedBacksOffThenErrors(t *testing.T) {
	const sla = 20 * time.Second
	var n atomic.Int32
	down := "http://" + refusedAddr(t)
	j := valid("refused", step("listed", sla, func(ctx context.Context, t *journey.T) error {
		return journey.Eventually(ctx, t, "the alert to be listed", func(ctx context.Context) error {
			n.Add(1)
			return listing(t)(ctx)
		})
	}))
	j.Targets = []string{"api"}
	start := time.Now()
	res := execute(t, context.Background(), j, journey.Options{Targets: map[string]string{"api": down}}, sla)
	took := time.Since(start)
	if res.Outcome != journey.Errored {
		t.Fatalf("outcome = %s (%s), want error", res.Outcome, res.Message)
	}
	wantContains(t, "message", res.Message, "connection refused", "gave up after 5 faults in a row")
	if strings.Contains(res.Message, "over its SLA") {
		t.Errorf("message %q speaks of the SLA: the step ended well before it", res.Message)
	}
	if got := n.Load(); got != poll.DefaultMaxFaults {
		t.Errorf("%d requests, want %d (the fault limit)", got, poll.DefaultMaxFaults)
	}
	if took < 1500*time.Millisecond || took > sla/2 {
		t.Errorf("ended after %s, want after the backoff (at least 1.5s) and well before the %s SLA", took, sla)
	}
}

// A fault between answers is ridden out: a target that resets one
// connection in ten still lets Eventually pass.
func TestEventuallyRidesOutAFault(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Write([]byte(`[]`))
		case 2:
			http.Error(w, "upstream restarting", http.StatusServiceUnavailable)
		default:
			w.Write([]byte(`[{"labels": {}}]`))
		}
	}))
	t.Cleanup(srv.Close)
	j := valid("blip", step("listed", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		return journey.Eventually(ctx, t, "the alert to be listed", listing(t))
	}))
	j.Targets = []string{"api"}
	res := execute(t, context.Background(), j, journey.Options{Targets: map[string]string{"api": srv.URL}}, 10*time.Second)
	if res.Outcome != journey.Passed || n.Load() != 3 {
		t.Errorf("outcome = %s (%s) after %d requests, want passed after 3", res.Outcome, res.Message, n.Load())
	}
}

// Step.Poll sets the interval between checks.
func TestStepPoll(t *testing.T) {
	var c checks
	s := step("wait", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		return journey.Eventually(ctx, t, "the condition", c.cond(4))
	})
	s.Poll = 60 * time.Millisecond
	if res := execute(t, context.Background(), valid("poll", s), journey.Options{}, 10*time.Second); res.Outcome != journey.Passed {
		t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
	}
	for i, g := range c.gaps() {
		if g < 60*time.Millisecond {
			t.Errorf("gap %d = %s, want at least the step's 60ms interval (gaps %v)", i+1, g, c.gaps())
		}
	}
}

// fakeSink is a SinkReader holding fixed deliveries for any run.
type fakeSink struct{ ds []journey.Delivery }

func (f *fakeSink) URL(string) string { return "http://sink" }

func (f *fakeSink) Next(ctx context.Context, runID, cursor string) ([]journey.Delivery, string, error) {
	if cursor == "" {
		return f.ds, "end", nil
	}
	<-ctx.Done()
	return nil, cursor, ctx.Err()
}

// A sink Match judges one delivery: a Failure there (a body that is not
// the expected JSON) is "not this one", and the wait goes on to the next
// delivery; Final ends the wait at once.
func TestSinkMismatchIsNotFinal(t *testing.T) {
	sink := &fakeSink{ds: []journey.Delivery{{ID: "d1", Body: []byte("not json")}, {ID: "d2", Body: []byte(`{"status":"firing"}`)}}}
	run := func(match journey.Match) journey.Result {
		j := valid("sink", step("await", 2*time.Second, func(ctx context.Context, t *journey.T) error {
			_, err := t.Sink().Await(ctx, "the notification", match)
			return err
		}))
		j.Sink = true
		return execute(t, context.Background(), j, journey.Options{Sink: sink}, 10*time.Second)
	}
	var seen []string
	res := run(func(d journey.Delivery) error {
		seen = append(seen, d.ID)
		doc, err := d.Doc()
		if err != nil {
			return err
		}
		return doc.Expect("/status", "firing")
	})
	if res.Outcome != journey.Passed || strings.Join(seen, ",") != "d1,d2" {
		t.Errorf("outcome %s (%s) after matching %v, want passed on d2", res.Outcome, res.Message, seen)
	}
	res = run(func(d journey.Delivery) error {
		return journey.Final(errors.New("a notification for a deleted receiver"))
	})
	if res.Outcome != journey.Failed || res.Steps[0].Elapsed > time.Second {
		t.Errorf("outcome %s (%s) after %s, want failed at once", res.Outcome, res.Message, res.Steps[0].Elapsed)
	}
	wantContains(t, "message", res.Message, "delivery d1: a notification for a deleted receiver")
}

// barrierSink hands the same first deliveries to every reader that asks
// from the start, once all of them asked: two waits of one step read from
// one cursor at the same moment.
type barrierSink struct {
	ds      []journey.Delivery
	readers sync.WaitGroup
}

func (f *barrierSink) URL(string) string { return "http://sink" }

func (f *barrierSink) Next(ctx context.Context, runID, cursor string) ([]journey.Delivery, string, error) {
	if cursor == "" {
		f.readers.Done()
		f.readers.Wait()
		return f.ds, "end", nil
	}
	<-ctx.Done()
	return nil, cursor, ctx.Err()
}

// Two awaits in one step that read the same deliveries at once count each
// delivery once in the evidence (issue 20 item 4).
func TestConcurrentAwaitsCountDeliveriesOnce(t *testing.T) {
	sink := &barrierSink{ds: []journey.Delivery{{ID: "d1", Body: []byte(`{"n":1}`)}, {ID: "d2", Body: []byte(`{"n":2}`)}}}
	sink.readers.Add(2)
	never := func(journey.Delivery) error { return errors.New("not this one") }
	j := valid("two-waits", step("await twice", 300*time.Millisecond, func(ctx context.Context, t *journey.T) error {
		errs := make(chan error, 2)
		for _, what := range []string{"the first", "the second"} {
			go func() { _, err := t.Sink().Await(ctx, what, never); errs <- err }()
		}
		return errors.Join(<-errs, <-errs)
	}))
	j.Sink = true
	res := execute(t, context.Background(), j, journey.Options{Sink: sink}, 10*time.Second)
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), "deliveries for this run (4)") || !strings.Contains(string(b), "deliveries for this run (2)") {
		t.Errorf("evidence does not count the 2 deliveries once:\n%s", b)
	}
}

// A wait that found no match lists every delivery it saw with what it
// held, each earlier one on a line of its own, the latest in full: the
// one that should have matched is often not the latest.
func TestSeenEvidenceDescribesEveryDelivery(t *testing.T) {
	sink := &barrierSink{ds: []journey.Delivery{
		{ID: "d1", Body: []byte("{\"status\":\n \"firing\", \"n\": 1}")},
		{ID: "d2", Body: []byte(`{"status":"firing","n":2,"pad":"` + strings.Repeat("x", 300) + `"}`)},
		{ID: "d3", Body: []byte(`{"status":"resolved","n":3}`)},
	}}
	sink.readers.Add(1)
	j := valid("one-wait", step("await", 300*time.Millisecond, func(ctx context.Context, t *journey.T) error {
		_, err := t.Sink().Await(ctx, "the notification", func(journey.Delivery) error { return errors.New("not this one") })
		return err
	}))
	j.Sink = true
	res := execute(t, context.Background(), j, journey.Options{Sink: sink}, 10*time.Second)
	var detail string
	for _, e := range res.Steps[0].Evidence {
		if strings.HasPrefix(e.Label, "deliveries for this run") {
			detail = e.Detail
		}
	}
	lines := strings.Split(detail, "\n")
	if len(lines) != 4 {
		t.Fatalf("evidence has %d lines, want 3 deliveries, the latest's excerpt on a line of its own:\n%s", len(lines), detail)
	}
	for i, want := range []string{`: {"status": "firing", "n": 1}`, `: {"status":"firing","n":2,"pad":"xxx`, "d3 received ", `{"status":"resolved","n":3}`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q does not say %s", i+1, lines[i], want)
		}
	}
	if n := len([]rune(lines[1])); n > 160 || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("an earlier delivery's line is %d runes (%q), want it cut short", n, lines[1])
	}
}
