package handler_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/dynalite"
)

const smsEnvs = `environments:
  staging:
    targets: {api: "http://127.0.0.1:1"}
    pools:
      numbers:
        wait: 5s
        resources:
          - id: line-1
            values: {number: "+15557654321"}
`

// smsEvent is events/sink-sms.json: Twilio's inbound text as a function
// URL hands it to the sink, the form base64-encoded, with the Basic
// credentials Twilio sends from the webhook URL.
func smsEvent(t *testing.T) events.LambdaFunctionURLRequest {
	return readEvent[events.LambdaFunctionURLRequest](t, "sink-sms.json")
}

// TestSMSToStore: the sink Lambda stores a form-encoded text under its
// receiving number in DynamoDB (dynalite), and a journey that leased the
// number from the same table reads it through the store's SinkReader, as
// the runner Lambda does; a text to the number before the lease is never
// seen; bad texts are answered 400 and stored nowhere.
func TestSMSToStore(t *testing.T) {
	client := dynalite.Start(t).Client()
	s := newSecSink(t, client, secCfg, nil)
	cfg, err := envconfig.Parse("envs.yaml", []byte(smsEnvs), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	m, err := lease.NewManager(s.st, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	reader := store.NewSinkReader(s.st, func(string) string { return "" }, secPoll)

	// Before any run leased the number: an earlier holder's text.
	if resp := s.post(t, "/sms", `{"from":"+15551230000","to":"+15557654321","text":"stale"}`, bearer(token)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("stale text: %d %s", resp.StatusCode, resp.Body)
	}
	time.Sleep(5 * time.Millisecond) // the lease is taken strictly later than the stale text arrived

	// Bad texts: stored nowhere.
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer " + token}
	for _, c := range []struct{ body, says string }{
		{"From=%2B15551230000&Body=hi", "no receiving number"},
		{"To=%zz", "malformed form body"},
		{"To=%2B1555+CALL", `has 'C'`},
	} {
		resp := s.post(t, "/sms", c.body, form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, c.says) {
			t.Errorf("%q: answered %d %q, want 400 saying %q", c.body, resp.StatusCode, resp.Body, c.says)
		}
	}
	if n := len(s.items(t)); n != 1 {
		t.Errorf("%d items in the table, want the stale text only", n)
	}

	var got journey.Text
	j := journey.Journey{
		Name: "text-received", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Needs: []string{"numbers"}, SMS: "numbers",
		Steps: []journey.Step{{Name: "text received", SLA: 10 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
			if n := jt.SMS().Number(); n != "+15557654321" {
				return journey.Failf("leased number %q", n)
			}
			if resp, err := s.send("", "", nil, func(r *events.LambdaFunctionURLRequest) { *r = smsEvent(t) }); err != nil || resp.StatusCode != http.StatusNoContent {
				return journey.Failf("Twilio's text: %v %d %s", err, resp.StatusCode, resp.Body)
			}
			txt, err := jt.SMS().Await(ctx, "a text", func(journey.Text) error { return nil })
			got = txt
			return err
		}}},
	}
	res := journey.Execute(context.Background(), j, m.Apply(journey.Options{RunID: "run-1", Environment: "staging", Sink: reader}))
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	want := journey.Text{From: "+15551230000", To: "+15557654321", Body: "JourneygateProbe firing (manual-example-1)", ID: "SM0123456789abcdef0123456789abcdef", Provider: "twilio"}
	if got.From != want.From || got.To != want.To || got.Body != want.Body || got.ID != want.ID || got.Provider != want.Provider ||
		!strings.Contains(string(got.Raw), "AccountSid=AC0123456789abcdef0123456789abcdef") {
		t.Errorf("text %+v, want %+v with the raw form", got, want)
	}

	// Stored as a delivery of the number's key, keyed by the request ID,
	// without the Basic credentials.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, _, err := reader.Next(ctx, "sms/+15557654321", "")
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries of sms/+15557654321: %d, %v", len(ds), err)
	}
	d := ds[len(ds)-1]
	if d.ID != "7a1c3e5f-2b4d-4f6a-8c0e-1a3b5c7d9e0f" || d.RunID != "sms/+15557654321" || d.Header.Get("Authorization") != "" || d.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("stored %s for %s with headers %v", d.ID, d.RunID, d.Header)
	}
}

// TestSMSChallenge: without credentials the SMS route challenges for
// Basic ones, which Twilio answers with the webhook URL's user info; a
// Basic password that is not the token is wrong (403), and Basic
// credentials outside the SMS route are too.
func TestSMSChallenge(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, secCfg, rec)
	ev := smsEvent(t)
	delete(ev.Headers, "authorization")
	if resp := invoke(t, h, ev); resp.StatusCode != http.StatusUnauthorized || resp.Headers["WWW-Authenticate"] != `Basic realm="journeygate-sink"` {
		t.Errorf("no credentials: %d, challenge %q", resp.StatusCode, resp.Headers["WWW-Authenticate"])
	}
	ev.Headers["authorization"] = "Basic dHdpbGlvOmd1ZXNz" // twilio:guess
	if resp := invoke(t, h, ev); resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong Basic password: %d", resp.StatusCode)
	}
	ev = smsEvent(t)
	ev.RawPath = "/run/run-1"
	if resp := invoke(t, h, ev); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Basic credentials outside /sms: %d", resp.StatusCode)
	}
	if resp := invoke(t, h, smsEvent(t)); resp.StatusCode != http.StatusNoContent || len(rec.got) != 1 || rec.got[0].RunID != "sms/+15557654321" {
		t.Errorf("the sample event: %d, stored %d", resp.StatusCode, len(rec.got))
	}
}
