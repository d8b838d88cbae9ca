package sink_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

const smsToken = "sms-sink-token"

// provider is a provider-shaped webhook sender: it posts an inbound text
// to the sink's /sms URL over HTTP as Twilio does, a form with Twilio's
// field names, and, as Twilio does with credentials in the webhook URL's
// user info, first without credentials, then with Basic credentials once
// challenged for them.
type provider struct {
	url  string // https://user:token@host/sms as configured at the provider
	sent int
}

// text posts a text from sender to number; it returns the sink's status.
func (p *provider) text(t *testing.T, from, to, body string) int {
	t.Helper()
	u, err := url.Parse(p.url)
	if err != nil {
		t.Fatal(err)
	}
	user := u.User
	u.User = nil
	p.sent++
	form := url.Values{
		"MessageSid": {fmt.Sprintf("SM%032d", p.sent)}, "SmsSid": {fmt.Sprintf("SM%032d", p.sent)},
		"AccountSid": {"AC00000000000000000000000000000000"}, "From": {from}, "To": {to}, "Body": {body},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"},
	}.Encode()
	do := func(auth bool) *http.Response {
		req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "TwilioProxy/1.1")
		if auth && user != nil {
			pass, _ := user.Password()
			req.SetBasicAuth(user.Username(), pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		return resp
	}
	resp := do(false)
	if resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		resp = do(true)
	}
	return resp.StatusCode
}

const smsEnvs = `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    sink: {token: sms-sink-token}
    pools:
      numbers:
        wait: 10s
        resources:
          - id: line-1
            values: {number: "+15550000001"}
          - id: line-2
            values: {number: "+1 (555) 000-0002"}
`

// smsManager leases the pool of two numbers from an embedded store.
func smsManager(t *testing.T) *lease.Manager {
	t.Helper()
	cfg, err := envconfig.Parse("envs.yaml", []byte(smsEnvs), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := lease.NewManager(st, cfg, nil, lease.WithBackoff(poll.Backoff{First: time.Millisecond, Max: 10 * time.Millisecond, Factor: 2}))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSMSAttributionByLeasedNumber: two runs lease the two numbers of a
// pool; a provider texts both numbers over HTTP (a Twilio form to one, a
// Vonage-shaped JSON to the other); each run's Await gets its own
// number's text only, and the texts sent to the numbers before any run
// leased them are never seen.
func TestSMSAttributionByLeasedNumber(t *testing.T) {
	s, base := start(t, sink.Config{Token: smsToken})
	m := smsManager(t)
	u, _ := url.Parse(base + "/sms")
	u.User = url.UserPassword("twilio", smsToken)
	twilio := &provider{url: u.String()}

	// Texts to both numbers before any run holds them: an earlier holder's.
	for _, n := range []string{"+15550000001", "+15550000002"} {
		if code := twilio.text(t, "+15559999999", n, "stale text for "+n); code != http.StatusNoContent {
			t.Fatalf("stale text to %s: status %d", n, code)
		}
	}

	leased := make(chan string, 2) // the numbers the runs leased
	sent := make(chan struct{})    // closed once both numbers were texted
	j := journey.Journey{
		Name: "text-received", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Needs: []string{"numbers"}, SMS: "numbers",
		Steps: []journey.Step{
			{Name: "number leased", SLA: 10 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
				leased <- jt.SMS().Number()
				select {
				case <-sent:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}},
			{Name: "text received", SLA: 10 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
				// Any text will do: only this number's may arrive.
				txt, err := jt.SMS().Await(ctx, "a text", func(journey.Text) error { return nil })
				if err != nil {
					return err
				}
				if want := "code 1234 for " + jt.SMS().Number(); txt.Body != want || txt.To != jt.SMS().Number() {
					return journey.Failf("got text %q to %s, want %q", txt.Body, txt.To, want)
				}
				return nil
			}},
			{Name: "no other text", SLA: 10 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
				return jt.SMS().Never(ctx, 200*time.Millisecond, "another text", func(journey.Text) error { return nil })
			}},
		},
	}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	results := make([]journey.Result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = journey.Execute(context.Background(), j, m.Apply(journey.Options{RunID: fmt.Sprintf("run-%d", i+1), Environment: "local", Sink: s}))
		}()
	}
	numbers := map[string]bool{}
	for range 2 {
		select {
		case n := <-leased:
			numbers[n] = true
		case <-time.After(20 * time.Second):
			t.Fatal("the runs did not lease their numbers")
		}
	}
	if !numbers["+15550000001"] || !numbers["+15550000002"] {
		t.Fatalf("leased numbers %v, want the pool's two, normalised", numbers)
	}
	if code := twilio.text(t, "+15557770000", "+15550000001", "code 1234 for +15550000001"); code != http.StatusNoContent {
		t.Fatalf("text to +15550000001: status %d", code)
	}
	// A Vonage-shaped JSON text, the number without its "+" as Vonage sends it.
	code, body := post(t, base+"/sms/vonage", map[string]string{"Authorization": "Bearer " + smsToken, "Content-Type": "application/json"},
		`{"msisdn":"447700900001","to":"15550000002","messageId":"0A0000000123ABCD1","text":"code 1234 for +15550000002","type":"text"}`)
	if code != http.StatusNoContent {
		t.Fatalf("JSON text to +15550000002: status %d: %s", code, body)
	}
	close(sent)
	wg.Wait()

	for _, res := range results {
		if res.Outcome != journey.Passed {
			t.Errorf("run %s: outcome %s: %s", res.RunID, res.Outcome, res.Message)
			for _, st := range res.Steps {
				t.Logf("  %s: %s %s %+v", st.Name, st.Outcome, st.Message, st.Evidence)
			}
			continue
		}
		ev := res.Steps[1].Evidence
		if len(ev) == 0 || ev[0].Label != "text" || !strings.Contains(ev[0].Detail, "code 1234 for") {
			t.Errorf("run %s: evidence %+v, want the text", res.RunID, ev)
		}
	}
}

// TestSMSWaitSaysWhatArrived: a wait that times out counts the texts to
// other numbers and those refused, and shows the number's own texts seen.
func TestSMSWaitSaysWhatArrived(t *testing.T) {
	s, base := start(t, sink.Config{Token: smsToken})
	m := smsManager(t)
	auth := map[string]string{"Authorization": "Bearer " + smsToken}
	j := journey.Journey{
		Name: "text-missing", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Needs: []string{"numbers"}, SMS: "numbers",
		Steps: []journey.Step{{Name: "code received", SLA: 500 * time.Millisecond, Do: func(ctx context.Context, jt *journey.T) error {
			other := "+15550000001"
			if jt.SMS().Number() == other {
				other = "+15550000002"
			}
			for _, b := range []string{"To=" + url.QueryEscape(jt.SMS().Number()) + "&Body=wrong+code&From=%2B15557770000", "To=" + url.QueryEscape(other) + "&Body=x", "Body=no+number"} {
				post(t, base+"/sms", auth, b)
			}
			_, err := jt.SMS().Await(ctx, "the code", func(txt journey.Text) error {
				if !strings.Contains(txt.Body, "1234") {
					return fmt.Errorf("body %q has no code", txt.Body)
				}
				return nil
			})
			return err
		}}},
	}
	res := journey.Execute(context.Background(), j, m.Apply(journey.Options{RunID: "run-1", Environment: "local", Sink: s}))
	if res.Outcome != journey.SLABreach {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	for _, want := range []string{"awaiting the code", "1 text for this number (1 for other numbers, 1 refused (malformed))", `body "wrong code" has no code`} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message %q lacks %q", res.Message, want)
		}
	}
	ev := res.Steps[0].Evidence
	if len(ev) == 0 || ev[len(ev)-1].Label != "texts for this number (1)" || !strings.Contains(ev[len(ev)-1].Detail, "from +15557770000") {
		t.Errorf("evidence %+v, want the text seen", ev)
	}
}

// TestSMSWaitCountsTextsRefusedForToken: a text a Twilio-shaped sender
// posts with a wrong Basic password, or with none once challenged, is
// refused 401 and named in the wait's message; one that comes back with
// the right password after the challenge is not.
func TestSMSWaitCountsTextsRefusedForToken(t *testing.T) {
	for _, tc := range []struct {
		name, user string // the webhook URL's user info: "" for none
		want       string
	}{
		{"wrong password", "twilio:guess", "0 texts for this number (0 for other numbers); 1 text refused: missing or wrong sink token"},
		{"no credentials", "", "0 texts for this number (0 for other numbers); 1 text refused: missing or wrong sink token"},
		{"right password", "twilio:" + smsToken, "1 text for this number (0 for other numbers); "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, base := start(t, sink.Config{Token: smsToken})
			m := smsManager(t)
			u, _ := url.Parse(base + "/sms")
			if user, pass, ok := strings.Cut(tc.user, ":"); ok {
				u.User = url.UserPassword(user, pass)
			}
			twilio := &provider{url: u.String()}
			j := journey.Journey{
				Name: "text-refused", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
				Needs: []string{"numbers"}, SMS: "numbers",
				Steps: []journey.Step{{Name: "code received", SLA: 500 * time.Millisecond, Do: func(ctx context.Context, jt *journey.T) error {
					twilio.text(t, "+15557770000", jt.SMS().Number(), "no code here")
					_, err := jt.SMS().Await(ctx, "the code", func(txt journey.Text) error {
						return fmt.Errorf("body %q has no code", txt.Body)
					})
					return err
				}}},
			}
			res := journey.Execute(context.Background(), j, m.Apply(journey.Options{RunID: "run-1", Environment: "local", Sink: s}))
			if res.Outcome != journey.SLABreach {
				t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
			}
			if !strings.Contains(res.Message, tc.want) {
				t.Errorf("message %q lacks %q", res.Message, tc.want)
			}
			if tc.user == "twilio:"+smsToken && strings.Contains(res.Message, "refused") {
				t.Errorf("message %q counts a text refused, but the text came back with the token", res.Message)
			}
		})
	}
}

// TestSMSJourneyWithoutNumber: a journey that declares no SMS pool ends
// its wait at once as error, naming what to declare.
func TestSMSJourneyWithoutNumber(t *testing.T) {
	s, _ := start(t, sink.Config{})
	res := run(t, s, "run-1", journey.Step{Name: "text", SLA: 5 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
		_, err := jt.SMS().Await(ctx, "a text", func(journey.Text) error { return nil })
		return err
	}})
	if res.Outcome != journey.Errored || !strings.Contains(res.Message, `no SMS number for journey "notify": it does not declare SMS`) {
		t.Errorf("outcome %s: %s", res.Outcome, res.Message)
	}
}

// TestSMSRouteRejects: texts without a receiving number, with a malformed
// body or an unsupported Content-Type, or without the token, are answered
// with what is wrong and stored nowhere.
func TestSMSRouteRejects(t *testing.T) {
	s, base := start(t, sink.Config{Token: smsToken})
	bearer := "Bearer " + smsToken
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, path, auth, contentType, body string
		status                              int
		says                                string
	}{
		{"no receiving number", "/sms", bearer, form, "From=%2B15557770000&Body=hi", 400, `no receiving number: the text has no To or to field (fields present: "Body", "From")`},
		{"empty receiving number", "/sms", bearer, form, "To=&Body=hi", 400, "no receiving number"},
		{"empty body", "/sms", bearer, form, "", 400, "empty form body"},
		{"malformed form", "/sms", bearer, form, "To=%zz&Body=hi", 400, "malformed form body"},
		{"malformed JSON", "/sms", bearer, "application/json", `{"to":"+15550000001"`, 400, "malformed JSON body"},
		{"JSON not an object", "/sms", bearer, "application/json", `["+15550000001"]`, 400, "malformed JSON body"},
		{"JSON number in an array", "/sms", bearer, "application/json", `{"to":["+15550000001"]}`, 400, `field "to" is an array: want a string`},
		{"letters in the number", "/sms", bearer, form, "To=twilio&Body=hi", 400, `receiving number: phone number "twilio" has 't'`},
		{"too many digits", "/sms", bearer, form, "To=%2B1234567890123456&Body=hi", 400, "has 16 digits"},
		{"unsupported Content-Type", "/sms", bearer, "text/xml", "<To>+15550000001</To>", 415, `unsupported Content-Type "text/xml" for a text`},
		{"provider with capitals", "/sms/Twilio", bearer, form, "To=%2B15550000001", 400, "post texts to /sms or /sms/{provider}"},
		{"provider path too deep", "/sms/twilio/x", bearer, form, "To=%2B15550000001", 400, "post texts to /sms or /sms/{provider}"},
		{"no credentials", "/sms", "", form, "To=%2B15550000001", 401, "missing or wrong sink token"},
		{"wrong Basic password", "/sms", "Basic " + b64("twilio:guess"), form, "To=%2B15550000001", 401, "missing or wrong sink token"},
		{"Basic is only for /sms", "/run/run-1", "Basic " + b64("twilio:"+smsToken), "application/json", "{}", 401, "missing or wrong sink token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.auth != "" {
				h["Authorization"] = c.auth
			}
			if c.contentType != "" {
				h["Content-Type"] = c.contentType
			}
			code, body := post(t, base+c.path, h, c.body)
			if code != c.status || !strings.Contains(body, c.says) {
				t.Errorf("answered %d %q, want %d saying %q", code, body, c.status, c.says)
			}
			if c.status == 401 {
				return
			}
			if !strings.HasPrefix(body, "text not stored: ") {
				t.Errorf("answer %q does not lead with the text not being stored", body)
			}
		})
	}
	// Unauthenticated on /sms, the sink challenges for Basic credentials.
	req, _ := http.NewRequest(http.MethodPost, base+"/sms", strings.NewReader("To=%2B15550000001"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="journeygate-sink"` {
		t.Errorf("challenge %q, want Basic", got)
	}
	// Nothing stored, for any number the bodies named.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, key := range []string{"sms/+15550000001", "run-1"} {
		if ds, _, err := s.Next(ctx, key, ""); len(ds) != 0 || err == nil {
			t.Errorf("%s: stored %d deliveries (%v)", key, len(ds), err)
		}
	}
	if others, refused := s.Elsewhere("sms/+15559999999"); others != 0 || refused != 12 {
		t.Errorf("Elsewhere = %d other numbers' texts, %d refused; want 0, 12", others, refused)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestParseSMS: the providers' bodies as they post them, form or JSON.
func TestParseSMS(t *testing.T) {
	for _, c := range []struct {
		name, provider, contentType, body string
		key                               string
		want                              journey.Text
	}{
		{"twilio form", "", "application/x-www-form-urlencoded",
			"ToCountry=US&SmsMessageSid=SM1&NumMedia=0&SmsSid=SM1&Body=Your+code+is+1234%21&To=%2B15551234567&MessageSid=SM1&AccountSid=AC1&From=%2B15557654321&ApiVersion=2010-04-01",
			"sms/+15551234567", journey.Text{From: "+15557654321", To: "+15551234567", Body: "Your code is 1234!", ID: "SM1", Provider: "twilio"}},
		{"vonage form with charset", "", "application/x-www-form-urlencoded; charset=UTF-8",
			"msisdn=447700900001&to=447700900123&messageId=0A0000000123ABCD1&text=Hello+%C3%A9&type=unicode&keyword=HELLO",
			"sms/+447700900123", journey.Text{From: "447700900001", To: "+447700900123", Body: "Hello é", ID: "0A0000000123ABCD1", Provider: "vonage"}},
		{"vonage JSON", "vonage", "application/json",
			`{"msisdn":"447700900001","to":"447700900123","messageId":"0A01","text":"hi","type":"text","message-timestamp":"2020-01-01 12:00:00"}`,
			"sms/+447700900123", journey.Text{From: "447700900001", To: "+447700900123", Body: "hi", ID: "0A01", Provider: "vonage"}},
		{"generic JSON, numbers as numbers", "acme", "application/vnd.acme+json",
			`{"from":15557654321,"to":15551234567,"body":"hi","id":"m-1"}`,
			"sms/+15551234567", journey.Text{From: "15557654321", To: "+15551234567", Body: "hi", ID: "m-1", Provider: "acme"}},
		{"no Content-Type: JSON by its brace", "", "", ` {"to":"0015551234567","text":"hi"}`,
			"sms/+15551234567", journey.Text{To: "+15551234567", Body: "hi"}},
		{"no Content-Type: a form", "", "", "To=%2B1+555+123+4567&Body=+spaced+",
			"sms/+15551234567", journey.Text{To: "+15551234567", Body: " spaced "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.contentType != "" {
				h.Set("Content-Type", c.contentType)
			}
			key, stored, err := sink.ParseSMS(c.provider, h, []byte(c.body))
			if err != nil || key != c.key {
				t.Fatalf("ParseSMS = %q, %v; want key %q", key, err, c.key)
			}
			got := journey.ParseText(journey.Delivery{ID: "d-1", Body: stored})
			if string(got.Raw) != c.body {
				t.Errorf("raw %q, want the body as posted", got.Raw)
			}
			got.Raw = nil
			if c.want.ID == "" {
				c.want.ID = "d-1" // the delivery's, without the provider's
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", c.want) {
				t.Errorf("text\n %+v\nwant\n %+v", got, c.want)
			}
		})
	}
}

// TestSMSRetryNeverSeesEarlierAttempt: an attempt that failed after its
// number was texted is retried, as the runner retries (Execute with the
// next Attempt); the retry leases the number again (the pool has one
// free) and reads only the texts since its own lease.
func TestSMSRetryNeverSeesEarlierAttempt(t *testing.T) {
	s, base := start(t, sink.Config{Token: smsToken})
	m := smsManager(t)
	u, _ := url.Parse(base + "/sms")
	u.User = url.UserPassword("twilio", smsToken)
	twilio := &provider{url: u.String()}
	var bodies []string
	var mu sync.Mutex
	j := journey.Journey{
		Name: "text-retried", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Needs: []string{"numbers"}, SMS: "numbers",
		Steps: []journey.Step{{Name: "text received", SLA: 10 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
			if code := twilio.text(t, "+15557770000", jt.SMS().Number(), fmt.Sprintf("attempt %d", jt.Attempt())); code != http.StatusNoContent {
				return journey.Failf("text: status %d", code)
			}
			txt, err := jt.SMS().Await(ctx, "a text", func(journey.Text) error { return nil })
			if err != nil {
				return err
			}
			mu.Lock()
			bodies = append(bodies, txt.Body)
			mu.Unlock()
			if jt.Attempt() == 1 {
				return journey.Failf("first attempt fails after its text")
			}
			return nil
		}}},
	}
	// Hold the pool's other number, so both attempts lease the same one.
	other, release, err := m.Lease(context.Background(), "local", "holder-of-the-other", []string{"numbers"})
	if err != nil {
		t.Fatal(err)
	}
	defer release(context.Background()) //nolint:errcheck
	for attempt, want := range []journey.Outcome{journey.Failed, journey.Passed} {
		res := journey.Execute(context.Background(), j, m.Apply(journey.Options{RunID: "run-1", Environment: "local", Sink: s, Attempt: attempt + 1}))
		if res.Outcome != want {
			t.Fatalf("attempt %d: outcome %s, want %s: %s", attempt+1, res.Outcome, want, res.Message)
		}
	}
	if fmt.Sprint(bodies) != "[attempt 1 attempt 2]" {
		t.Errorf("attempts read %q; the retry must read its own text, never the first attempt's (other number held: %s)", bodies, other[0].ID())
	}
}
