package journey_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// Evidence kept from many checks says it is the last few of how many.
func TestEvidenceOfManyRequestsIsLabelled(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"call":%d}`, calls.Add(1))
	}))
	t.Cleanup(srv.Close)
	j := valid("polls", step("polled", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		n := 0
		return journey.Eventually(ctx, t, "the tenth call", func(ctx context.Context) error {
			if _, err := t.HTTP("api").Get(ctx, "/"); err != nil {
				return err
			}
			if n++; n < 10 {
				return errors.New("not yet")
			}
			return nil
		})
	}))
	j.Targets = []string{"api"}
	res := journey.Execute(context.Background(), j, journey.Options{RunID: "r", Targets: map[string]string{"api": srv.URL}})
	ev := res.Steps[0].Evidence
	if len(ev) != 1 || ev[0].Label != "last 4 of 10 requests" {
		t.Fatalf("evidence %+v, want one item labelled last 4 of 10 requests", ev)
	}
	if n := strings.Count(ev[0].Detail, "GET "+srv.URL); n != 4 || !strings.Contains(ev[0].Detail, `{"call":10}`) || strings.Contains(ev[0].Detail, `{"call":6}`) {
		t.Errorf("detail %q, want the last 4 exchanges", ev[0].Detail)
	}

	// A few requests keep their own items.
	j.Steps[0].Do = func(ctx context.Context, t *journey.T) error {
		_, err := t.HTTP("api").Get(ctx, "/")
		return err
	}
	res = journey.Execute(context.Background(), j, journey.Options{RunID: "r", Targets: map[string]string{"api": srv.URL}})
	if ev := res.Steps[0].Evidence; len(ev) != 1 || ev[0].Label != "GET "+srv.URL+"/" {
		t.Errorf("evidence %+v, want the one exchange under its own label", ev)
	}
}

// A body that dribbles in does not make the status look slow.
func TestSlowBodyEvidenceKeepsTheStatusTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	j := valid("slow body", step("read", 5*time.Second, func(ctx context.Context, t *journey.T) error {
		_, err := t.HTTP("api").Get(ctx, "/")
		return err
	}))
	j.Targets = []string{"api"}
	res := journey.Execute(context.Background(), j, journey.Options{RunID: "r", Targets: map[string]string{"api": srv.URL}})
	ev := res.Steps[0].Evidence
	if len(ev) != 1 {
		t.Fatalf("evidence %+v", ev)
	}
	m := regexp.MustCompile(`→ 200 after (\S+), body read in (\S+)\n`).FindStringSubmatch(ev[0].Detail)
	if m == nil {
		t.Fatalf("detail %q: want the status's time apart from the body's", ev[0].Detail)
	}
	status, _ := time.ParseDuration(m[1])
	body, _ := time.ParseDuration(m[2])
	if status > 200*time.Millisecond || body < 250*time.Millisecond {
		t.Errorf("status after %s, body in %s: want the status at once and the body's 300ms apart", status, body)
	}
}
