package sink_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/shared/journey"
)

// notify posts an Alertmanager-like notification to url after delay,
// the way the system under test would; the test waits for it to finish.
func notify(t *testing.T, delay time.Duration, url string, header map[string]string, status, run string) {
	// The sink wakes readers before it answers, so the test may end before
	// the sender reads its response: wait for it before closing the sink.
	done := make(chan struct{})
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		time.Sleep(delay)
		body := fmt.Sprintf(`{"status":%q,"groupLabels":{"jg_run":%q}}`, status, run)
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("notify %s: status %d", status, resp.StatusCode)
		}
	}()
}

// withStatus matches a notification by its status.
func withStatus(want string) journey.Match {
	return func(d journey.Delivery) error {
		doc, err := d.Doc()
		if err != nil {
			return err
		}
		return doc.Expect("/status", want)
	}
}

func run(t *testing.T, s *sink.Sink, runID string, steps ...journey.Step) journey.Result {
	t.Helper()
	j := journey.Journey{Name: "notify", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Sink: true, Steps: steps}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Fatal(err)
	}
	done := make(chan journey.Result, 1)
	go func() { done <- journey.Execute(context.Background(), j, journey.Options{RunID: runID, Sink: s}) }()
	select {
	case res := <-done:
		return res
	case <-time.After(20 * time.Second):
		t.Fatal("Execute did not return")
		return journey.Result{}
	}
}

func TestJourneyAwait(t *testing.T) {
	s, base := start(t, sink.Config{Correlate: []string{"/groupLabels/jg_run"}})
	var got []string
	res := run(t, s, "run-1",
		journey.Step{Name: "firing delivered", SLA: 5 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
			// Another run's notification arrives first and must not satisfy this run.
			notify(t, 0, base+"/", nil, "firing", "run-2")
			notify(t, 50*time.Millisecond, jt.Sink().URL(), nil, "firing", "run-1")
			d, err := jt.Sink().Await(ctx, "the firing notification", withStatus("firing"))
			if err != nil {
				return err
			}
			got = append(got, d.RunID)
			return nil
		}},
		journey.Step{Name: "resolved delivered", SLA: 5 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
			// Attributed by header this time, to the shared base URL.
			notify(t, 50*time.Millisecond, base+"/webhook", map[string]string{journey.RunHeader: jt.RunID()}, "resolved", "")
			d, err := jt.Sink().Await(ctx, "the resolved notification", withStatus("resolved"))
			if err != nil {
				return err
			}
			got = append(got, d.RunID)
			return nil
		}},
	)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
	}
	if fmt.Sprint(got) != "[run-1 run-1]" {
		t.Errorf("awaited deliveries of runs %q, want run-1's only", got)
	}
	if len(res.Steps[0].Evidence) == 0 || res.Steps[0].Evidence[0].Label != "sink delivery" {
		t.Errorf("evidence = %+v, want the sink delivery", res.Steps[0].Evidence)
	}
}

func TestJourneyAwaitClaims(t *testing.T) {
	s, _ := start(t, sink.Config{})
	var ids []string
	res := run(t, s, "run-1", journey.Step{Name: "two notifications", SLA: 5 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
		notify(t, 0, jt.Sink().URL(), nil, "firing", "")
		notify(t, 30*time.Millisecond, jt.Sink().URL(), nil, "firing", "")
		for range 2 {
			d, err := jt.Sink().Await(ctx, "a firing notification", withStatus("firing"))
			if err != nil {
				return err
			}
			ids = append(ids, d.ID)
		}
		return nil
	}})
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome = %s: %s", res.Outcome, res.Message)
	}
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("awaited %q, want two different deliveries", ids)
	}
}

func TestJourneyAwaitTimeout(t *testing.T) {
	s, _ := start(t, sink.Config{})
	res := run(t, s, "run-1", journey.Step{Name: "resolved delivered", SLA: 300 * time.Millisecond, Do: func(ctx context.Context, jt *journey.T) error {
		notify(t, 0, jt.Sink().URL(), nil, "firing", "")
		_, err := jt.Sink().Await(ctx, "the resolved notification", withStatus("resolved"))
		return err
	}})
	if res.Outcome != journey.SLABreach {
		t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, journey.SLABreach)
	}
	for _, want := range []string{"awaiting the resolved notification", "did not match", `expected "resolved", got "firing"`} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message = %q, want it to contain %q", res.Message, want)
		}
	}
}

func TestJourneyNever(t *testing.T) {
	tests := []struct {
		name   string
		status string // status of the notification that arrives during the window
		want   journey.Outcome
		msg    string
	}{
		{"only other notifications arrive", "resolved", journey.Passed, ""},
		{"the forbidden notification arrives", "firing", journey.Failed, "expected no second firing notification, but one arrived"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, sink.Config{})
			var returned time.Duration
			res := run(t, s, "run-1", journey.Step{Name: "no repeat", SLA: 5 * time.Second, Do: func(ctx context.Context, jt *journey.T) error {
				notify(t, 30*time.Millisecond, jt.Sink().URL(), nil, tc.status, "")
				start := time.Now()
				err := jt.Sink().Never(ctx, 300*time.Millisecond, "second firing notification", withStatus("firing"))
				returned = time.Since(start)
				return err
			}})
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			if !strings.Contains(res.Message, tc.msg) {
				t.Errorf("message = %q, want it to contain %q", res.Message, tc.msg)
			}
			if tc.want == journey.Passed && returned < 300*time.Millisecond {
				t.Errorf("Never passed after %s, before its window ended", returned)
			}
			if tc.want == journey.Failed {
				if _, ok := findEvidence(res.Steps[0], "unexpected delivery"); !ok {
					t.Errorf("evidence = %+v, want the unexpected delivery", res.Steps[0].Evidence)
				}
			}
		})
	}
}

func findEvidence(sr journey.StepResult, label string) (string, bool) {
	for _, e := range sr.Evidence {
		if e.Label == label {
			return e.Detail, true
		}
	}
	return "", false
}
