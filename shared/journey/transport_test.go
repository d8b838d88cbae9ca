package journey_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// A refused connection's message leads with the cause and names the
// request once, however long its URL: "connection refused: POST http://…".
func TestTransportErrorLeadsWithTheCause(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: every connection is refused
	base := "http://" + addr + "/" + strings.Repeat("tenants/payments-platform-eu-west-1/", 4)
	j := valid("refused", step("alert posted", time.Second, func(ctx context.Context, t *journey.T) error {
		_, err := t.HTTP("api").Post(ctx, "/api/v2/alerts", map[string]string{"a": "b"})
		return err
	}))
	j.Targets = []string{"api"}
	res := journey.Execute(context.Background(), j, journey.Options{RunID: "r", Targets: map[string]string{"api": base}, HTTPClient: http.DefaultClient})
	s := res.Steps[0]
	if s.Outcome != journey.Errored {
		t.Fatalf("outcome %s (%s), want error", s.Outcome, s.Message)
	}
	url := strings.TrimRight(base, "/") + "/api/v2/alerts"
	if want := "connection refused: POST " + url; s.Message != want {
		t.Errorf("message %q\nwant    %q", s.Message, want)
	}
	if n := strings.Count(res.Message, addr); n != 1 {
		t.Errorf("the address appears %d times in %q, want once", n, res.Message)
	}
	if len(s.Evidence) != 1 || s.Evidence[0].Label != "POST "+url || !strings.HasSuffix(s.Evidence[0].Detail, "→ no answer: dial tcp "+addr+": connect: connection refused") {
		t.Errorf("evidence %+v", s.Evidence)
	}
	var te *journey.TransportError
	if err := (&journey.TransportError{Method: "GET", URL: "u", Err: errors.New("x")}); !errors.As(error(err), &te) {
		t.Error("TransportError does not match itself")
	}
}

func TestCause(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, "connect: connection refused"},
		{context.DeadlineExceeded, "no answer before the deadline"},
		{&net.DNSError{Err: "no such host", Name: "am.example", IsNotFound: true}, "lookup am.example: no such host"},
		{errors.New("plain"), "plain"},
	}
	for _, tc := range tests {
		if got := journey.Cause(tc.err); got != tc.want {
			t.Errorf("Cause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestNotSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var sent error
	j := valid("refused", step("post", time.Second, func(ctx context.Context, t *journey.T) error {
		_, sent = t.HTTP("api").Post(ctx, "/", "x")
		return sent
	}))
	j.Targets = []string{"api"}
	journey.Execute(context.Background(), j, journey.Options{RunID: "r", Targets: map[string]string{"api": "http://" + addr}})
	if !journey.NotSent(sent) {
		t.Errorf("NotSent(%v) = false for a refused connection", sent)
	}
	for _, err := range []error{
		nil, errors.New("x"),
		&journey.TransportError{Method: "POST", URL: "u", Err: context.DeadlineExceeded},
		&journey.TransportError{Method: "POST", URL: "u", Reading: true, Err: &net.OpError{Op: "dial"}},
	} {
		if journey.NotSent(err) {
			t.Errorf("NotSent(%v) = true: the request may have arrived", err)
		}
	}
}
