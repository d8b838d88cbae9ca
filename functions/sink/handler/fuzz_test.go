package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	sinkfn "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/fuzzcheck"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// validatingRecorder keeps deliveries the store would accept and refuses
// the others as the store does (store.ErrInvalid).
type validatingRecorder struct{ got []journey.Delivery }

func (r *validatingRecorder) PutDelivery(_ context.Context, d journey.Delivery) error {
	if err := store.ValidateDelivery(d); err != nil {
		return err
	}
	r.got = append(r.got, d)
	return nil
}

// Body encodings FuzzHandle sends.
const (
	bodyPlain   = iota // the body as it is
	bodyBase64         // base64 of the body, flagged as such
	bodyRawAs64        // the body as it is, flagged as base64
	bodyModes
)

// FuzzHandle feeds function URL requests to the sink Lambda: it answers
// every one without an error, with a known status and a clear one-line
// text; it stores a delivery only with valid credentials and an
// attributable run ID, once, without credentials; a request without valid
// credentials is answered 401 or 403 and stored nowhere.
func FuzzHandle(f *testing.F) {
	var sample events.LambdaFunctionURLRequest
	if err := json.Unmarshal(fuzzcheck.Sample(f, "events/sink-delivery.json"), &sample); err != nil {
		f.Fatal(err)
	}
	body := []byte(sample.Body)
	bearer := sample.Headers["authorization"]
	for _, s := range []struct {
		method, path, authorization, signature, runHeader, contentLength string
		body                                                             []byte
		sign                                                             bool
		mode                                                             uint8
	}{
		{"POST", sample.RawPath, bearer, "", "", sample.Headers["content-length"], body, false, bodyPlain},
		{"POST", sample.RawPath, "", "", "", "", body, true, bodyBase64},
		{"POST", "/alertmanager", "", "sha256=00", "", "", body, false, bodyPlain},
		{"POST", "/", bearer, "", "header-run", "", []byte(`{}`), false, bodyPlain},
		{"POST", "/", bearer, "", "", "", []byte(`{"groupLabels":{}}`), false, bodyPlain},
		{"POST", "/run/a/b", bearer, "", "", "", nil, false, bodyPlain},
		{"POST", "/run/%00", bearer, "", "", "", nil, false, bodyPlain},
		{"POST", "/", bearer, "", "run\x7fid", "", nil, false, bodyPlain},
		{"POST", "/run/x", "Basic dXNlcjpwYXNz", "", "", "", nil, false, bodyPlain},
		{"POST", "/run/x", bearer, "", "", "99999", nil, false, bodyPlain},
		{"POST", "/run/x", bearer, "", "", "", []byte("!!!"), false, bodyRawAs64},
		{"POST", "/run/x", bearer, "", "", "", []byte(strings.Repeat("a", 5000)), false, bodyBase64},
		{"POST", "/sms", bearer, "", "", "", []byte("From=%2B15550001111&To=%2B15551234567&Body=hi&MessageSid=SM1"), false, bodyPlain},
		{"POST", "/sms/vonage", bearer, "", "", "", []byte(`{"msisdn":"447700900001","to":"447700900123","text":"hi"}`), false, bodyPlain},
		{"POST", "/sms", "Basic dTpleGFtcGxlLXNpbmstdG9rZW4=", "", "", "", []byte("To=%zz"), false, bodyPlain},
		{"POST", "/sms/Twilio", bearer, "", "", "", []byte("From=x"), false, bodyPlain},
		{"GET", "/healthz", "", "", "", "", nil, false, bodyPlain},
		{"DELETE", "/healthz", "", "", "", "", nil, false, bodyPlain},
		{"GET", "/run/x", bearer, "", "", "", nil, false, bodyPlain},
		{"", "", "", "", "", "", nil, false, bodyPlain},
	} {
		f.Add(s.method, s.path, s.authorization, s.signature, s.runHeader, s.contentLength, s.body, s.sign, s.mode)
	}
	const (
		token  = "example-sink-token"
		secret = "example-hmac-secret"
	)
	f.Fuzz(func(t *testing.T, method, rawPath, authorization, signature, runHeader, contentLength string, body []byte, sign bool, mode uint8) {
		rec := &validatingRecorder{}
		h, err := sinkfn.New(sinkfn.Config{Token: token, HMACSecret: secret, MaxBody: 4096, Correlate: []string{"/groupLabels/jg_run", "/commonLabels/jg_run"}}, rec,
			sinkfn.WithClock(func() time.Time { return time.Date(2026, 1, 15, 10, 0, 7, 0, time.UTC) }))
		if err != nil {
			t.Fatal(err)
		}
		if sign {
			signature = sinkfn.Sign(secret, body)
		}
		req := events.LambdaFunctionURLRequest{RawPath: rawPath, Headers: map[string]string{}}
		req.RequestContext.HTTP.Method = method
		req.RequestContext.RequestID = "5f0e2c7a-9b1d-4c3e-8a6f-2d4b6c8e0a1f"
		for k, v := range map[string]string{"authorization": authorization, "x-journeygate-signature": signature, "x-journeygate-run": runHeader, "content-length": contentLength} {
			if v != "" {
				req.Headers[k] = v
			}
		}
		switch mode % bodyModes {
		case bodyPlain:
			req.Body = string(body)
		case bodyBase64:
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		case bodyRawAs64:
			req.Body, req.IsBase64Encoded = string(body), true
		}
		resp, err := h.Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("Handle returned an error; the sink answers every request: %v", err)
		}

		// What the request carries, judged independently of the handler.
		decoded, decodeErr := []byte(req.Body), error(nil)
		if req.IsBase64Encoded {
			decoded, decodeErr = base64.StdEncoding.DecodeString(req.Body)
		}
		bearerOK := strings.HasPrefix(authorization, "Bearer ") && strings.TrimSpace(authorization[len("Bearer "):]) == token
		_, smsRoute, _ := sink.SMSRoute(rawPath)
		if _, pass, ok := (&http.Request{Header: http.Header{"Authorization": {authorization}}}).BasicAuth(); ok && smsRoute && pass == token {
			bearerOK = true // the SMS route takes the token as a Basic password
		}
		signatureOK := decodeErr == nil && strings.ToLower(strings.TrimSpace(signature)) == sinkfn.Sign(secret, decoded)
		authorized := bearerOK || signatureOK
		presented := authorization != "" || signature != ""
		path := rawPath
		if path == "" {
			path = "/"
		}

		if resp.StatusCode != http.StatusNoContent && len(rec.got) > 0 {
			t.Fatalf("answered %d, yet stored %+v", resp.StatusCode, rec.got)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if path != "/healthz" {
				t.Fatalf("200 for %s %q", method, rawPath)
			}
			return
		case http.StatusNoContent:
			if !authorized || method != http.MethodPost {
				t.Fatalf("stored a %s delivery without valid credentials (authorization %q, signature %q)", method, authorization, signature)
			}
			if len(rec.got) != 1 {
				t.Fatalf("204 with %d deliveries stored", len(rec.got))
			}
			d := rec.got[0]
			header := http.Header{}
			for k, v := range req.Headers {
				header.Set(k, v)
			}
			runID, _, err := sink.Attribute(path, header, decoded, []string{"/groupLabels/jg_run", "/commonLabels/jg_run"})
			want := decoded
			if provider, ok, rerr := sink.SMSRoute(path); ok {
				// A text: stored under its number's key, its body normalised.
				err = rerr
				if err == nil {
					runID, want, err = sink.ParseSMS(provider, header, decoded)
				}
			}
			if err != nil || d.RunID != runID || store.ValidateRunID(d.RunID) != nil || string(d.Body) != string(want) {
				t.Fatalf("stored run %q body %q; Attribute says %q (%v)", d.RunID, d.Body, runID, err)
			}
			for _, k := range []string{"Authorization", sink.TokenHeader, sink.SignatureHeader} {
				if d.Header.Get(k) != "" {
					t.Fatalf("stored the credential %s", k)
				}
			}
			if resp.Headers["X-Journeygate-Delivery"] != d.ID {
				t.Fatalf("answered delivery %q, stored %q", resp.Headers["X-Journeygate-Delivery"], d.ID)
			}
			return
		case http.StatusAccepted:
			if !authorized {
				t.Fatal("202 without valid credentials")
			}
		case http.StatusUnauthorized:
			if authorized || presented {
				t.Fatalf("401 although credentials were presented (authorization %q, signature %q)", authorization, signature)
			}
		case http.StatusForbidden:
			if authorized || !presented {
				t.Fatalf("403 for authorization %q, signature %q", authorization, signature)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		case http.StatusUnsupportedMediaType:
			if _, ok, _ := sink.SMSRoute(path); !ok {
				t.Fatalf("415 outside the SMS route: %s %q", method, rawPath)
			}
		case http.StatusMethodNotAllowed:
			if method == http.MethodPost && path != "/healthz" {
				t.Fatalf("405 for POST %q", rawPath)
			}
		default:
			t.Fatalf("status %d: %q", resp.StatusCode, resp.Body)
		}
		text, ok := strings.CutSuffix(resp.Body, "\n")
		if !ok {
			t.Fatalf("answer %q does not end its line", resp.Body)
		}
		fuzzcheck.Error(t, answer(text), rawPath, runHeader, string(body), method)
	})
}

// answer is a response's text as an error, for fuzzcheck.
type answer string

func (a answer) Error() string { return string(a) }
