package sink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/fuzzcheck"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// fuzzCorrelate are the shipped environments' correlate pointers.
var fuzzCorrelate = []string{"/groupLabels/jg_run", "/commonLabels/jg_run"}

// sinkBody returns the body of the sample sink delivery.
func sinkBody(f *testing.F) []byte {
	var ev struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(fuzzcheck.Sample(f, "events/sink-delivery.json"), &ev); err != nil {
		f.Fatal(err)
	}
	return []byte(ev.Body)
}

// attributionSeeds are (escaped path, X-Journeygate-Run, body) triples:
// each way of attribution, and known-bad paths, headers and bodies.
func attributionSeeds(f *testing.F) [][3]string {
	body := string(sinkBody(f))
	return [][3]string{
		{"/run/manual-example-1", "", body}, {"/", "", body}, {"/hook", "from-header", ""}, {"/run/a%2Fb", "", ""},
		{"/run/", "", ""}, {"/run/a/b", "", ""}, {"/run/%zz", "", ""}, {"/run/%00", "", ""}, {"/run/%ff%fe", "", ""},
		{"/run/%20%20", "", ""}, {"/run/" + strings.Repeat("x", sink.MaxRunIDLen+1), "", ""}, {"/", "run\x01id", ""},
		{"/", " \t", `{"groupLabels":{"jg_run":"\u0000"}}`}, {"/", "", `{"groupLabels":{"jg_run":5},"commonLabels":{"jg_run":"c"}}`},
		{"/", "", `{"groupLabels":{"jg_run":"\ud800"}}`}, {"/", "", `not json`}, {"/", "", `[[[[[[[[[[`}, {"/run/%2e%2e", "", ""},
	}
}

// FuzzAttribute feeds Attribute a delivery's path, run header and body: a
// run ID it attributes can name a stored run, says where it came from, and
// a rejection says what is wrong with which part.
func FuzzAttribute(f *testing.F) {
	for _, s := range attributionSeeds(f) {
		f.Add(s[0], s[1], []byte(s[2]))
	}
	f.Fuzz(func(t *testing.T, path, runHeader string, body []byte) {
		h := http.Header{}
		if runHeader != "" {
			h.Set(journey.RunHeader, runHeader)
		}
		runID, how, err := sink.Attribute(path, h, body, fuzzCorrelate)
		switch {
		case err != nil:
			msg := fuzzcheck.Error(t, err, path, runHeader, string(body))
			fuzzcheck.Mentions(t, msg, "run ID", "path")
			if runID != "" {
				t.Fatalf("rejected (%v), yet attributed to %q", err, runID)
			}
		case runID == "":
			if how != "" {
				t.Fatalf("unattributed, yet by %q", how)
			}
		default:
			if err := store.ValidateRunID(runID); err != nil {
				t.Fatalf("attributed to a run ID no run can have: %v", err)
			}
			if runID != strings.TrimSpace(runID) {
				t.Fatalf("run ID %q not trimmed", runID)
			}
			switch how {
			case "path":
				if !strings.HasPrefix(path, "/run/") {
					t.Fatalf("attributed by path %q", path)
				}
			case "header":
				if runID != strings.TrimSpace(runHeader) {
					t.Fatalf("attributed by header %q to %q", runHeader, runID)
				}
			case "body":
				if !slices.ContainsFunc(fuzzCorrelate, func(p string) bool { return bytes.Contains(body, []byte(p[strings.LastIndex(p, "/")+1:])) }) {
					t.Fatalf("attributed by a body without the correlate keys: %q", body)
				}
			default:
				t.Fatalf("attributed by %q", how)
			}
		}
	})
}

// FuzzServeHTTP feeds requests to the in-process sink: every answer is a
// known status with a clear one-line text; only a delivery with the token
// and an acceptable run ID is stored, without credentials.
func FuzzServeHTTP(f *testing.F) {
	const token = "fuzz-token"
	for _, s := range attributionSeeds(f) {
		f.Add("POST", s[0], "Bearer "+token, s[1], []byte(s[2]))
	}
	body := sinkBody(f)
	for _, m := range []string{"GET", "HEAD", "PUT", "DELETE", "post", ""} {
		f.Add(m, "/run/x", "Bearer "+token, "", body)
	}
	f.Add("GET", "/healthz", "", "", []byte(nil))
	f.Add("POST", "/run/x", "", "", body)
	f.Add("POST", "/run/x", "Bearer wrong", "", body)
	f.Add("POST", "/run/x", "Basic "+token, "", body)
	f.Add("POST", "/sms", "Bearer "+token, "", []byte("From=%2B15550001111&To=%2B15551234567&Body=hi&MessageSid=SM1"))
	f.Add("POST", "/sms/vonage", "Basic dTpmdXp6LXRva2Vu", "", []byte(`{"msisdn":"447700900001","to":"447700900123","text":"hi"}`))
	f.Add("POST", "/sms", "Bearer "+token, "", []byte("To=%zz"))
	f.Add("POST", "/sms/Twilio", "Bearer "+token, "", []byte("From=x"))
	f.Fuzz(func(t *testing.T, method, path, authorization, runHeader string, body []byte) {
		s := sink.New(sink.Config{Token: token, Correlate: fuzzCorrelate, MaxBody: 4096})
		defer s.Close()
		req, err := http.NewRequest(method, "http://127.0.0.1"+path, bytes.NewReader(body))
		if err != nil || req.URL.Host != "127.0.0.1" {
			return // a server never hands such a request to a handler
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		if runHeader != "" {
			req.Header.Set(journey.RunHeader, runHeader)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		text := rec.Body.String()
		authorized := strings.TrimSpace(strings.TrimPrefix(authorization, "Bearer ")) == token && strings.HasPrefix(authorization, "Bearer ")
		provider, smsRoute, smsErr := sink.SMSRoute(req.URL.EscapedPath())
		if _, pass, ok := req.BasicAuth(); ok && smsRoute && pass == token {
			authorized = true // the SMS route takes the token as a Basic password
		}
		switch code := rec.Code; code {
		case http.StatusOK:
			if req.URL.EscapedPath() != "/healthz" {
				t.Fatalf("200 for %s %s", method, path)
			}
			return
		case http.StatusNoContent:
			if !authorized || method != http.MethodPost {
				t.Fatalf("stored a %s delivery with Authorization %q", method, authorization)
			}
			runID, _, err := sink.Attribute(req.URL.EscapedPath(), req.Header, body, fuzzCorrelate)
			want := body
			if smsRoute {
				// A text: stored under its number's key, its body normalised.
				err = smsErr
				if err == nil {
					runID, want, err = sink.ParseSMS(provider, req.Header, body)
				}
			}
			if err != nil || runID == "" {
				t.Fatalf("stored a delivery Attribute rejects: %q, %v", runID, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // stored deliveries are returned without waiting
			ds, _, err := s.Next(ctx, runID, "")
			if err != nil || len(ds) != 1 {
				t.Fatalf("delivery to %q not readable: %d, %v", runID, len(ds), err)
			}
			if err := store.ValidateRunID(ds[0].RunID); err != nil || !bytes.Equal(ds[0].Body, want) {
				t.Fatalf("stored %+v: %v", ds[0], err)
			}
			if ds[0].Header.Get("Authorization") != "" || ds[0].Header.Get(sink.TokenHeader) != "" {
				t.Fatalf("stored credentials: %v", ds[0].Header)
			}
			return
		case http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			if code == http.StatusUnsupportedMediaType && !smsRoute {
				t.Fatalf("415 outside the SMS route: %s %s", method, path)
			}
			if !authorized || method != http.MethodPost {
				t.Fatalf("answered %d to a %s without the token", code, method)
			}
		case http.StatusUnauthorized:
			if authorized {
				t.Fatalf("401 with the token")
			}
		case http.StatusMethodNotAllowed:
			if method == http.MethodPost && req.URL.EscapedPath() != "/healthz" {
				t.Fatalf("405 for POST %s", path)
			}
		default:
			t.Fatalf("status %d: %q", code, text)
		}
		msg, ok := strings.CutSuffix(text, "\n")
		if !ok {
			t.Fatalf("answer %q does not end its line", text)
		}
		fuzzcheck.Error(t, plainError(msg), path, runHeader, string(body), method)
	})
}

// plainError is an answer's text as an error, for fuzzcheck.
type plainError string

func (e plainError) Error() string { return string(e) }
