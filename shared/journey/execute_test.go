package journey_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

const sla = 150 * time.Millisecond

func TestExecuteClassification(t *testing.T) {
	release := make(chan struct{}) // frees steps that ignore their context
	t.Cleanup(func() { close(release) })
	refused := "http://" + refusedAddr(t)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall" { // answer, then stall mid-body
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}))
	t.Cleanup(hanging.Close)

	tests := []struct {
		name     string
		do       journey.StepFunc
		want     journey.Outcome
		message  []string // parts the result message must contain
		evidence string   // an evidence label the step must carry
		minTime  time.Duration
		// abandons: the step ignores its context, so the run gives up on
		// it 100 ms past its SLA; other steps get 5 s, which a loaded
		// machine's late return from a deadline never reaches.
		abandons bool
	}{
		{
			name: "nil is passed",
			do:   func(ctx context.Context, t *journey.T) error { return nil },
			want: journey.Passed,
		},
		{
			name:    "Failf is failed",
			do:      func(ctx context.Context, t *journey.T) error { return journey.Failf("expected %d, got %d", 1, 2) },
			want:    journey.Failed,
			message: []string{"step 1/1 (the step): expected 1, got 2"},
		},
		{
			name:    "wrapped Failure is failed",
			do:      func(ctx context.Context, t *journey.T) error { return fmt.Errorf("check: %w", journey.Failf("wrong")) },
			want:    journey.Failed,
			message: []string{"check: wrong"},
		},
		{
			name: "blocking on ctx until the SLA is sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				<-ctx.Done()
				return ctx.Err()
			},
			want:    journey.SLABreach,
			message: []string{"step 1/1 (the step): context deadline exceeded"},
			minTime: sla,
		},
		{
			name: "nil after the SLA is sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				time.Sleep(sla + 30*time.Millisecond)
				return nil
			},
			want:    journey.SLABreach,
			message: []string{"step 1/1 (the step): the step passed, but after its SLA"},
			minTime: sla,
		},
		{
			name: "ignoring ctx forever is abandoned as sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				<-release
				return nil
			},
			want:     journey.SLABreach,
			message:  []string{"abandoned"},
			minTime:  sla + 100*time.Millisecond, // SLA + AbandonAfter
			abandons: true,
		},
		{
			name:    "plain error is error",
			do:      func(ctx context.Context, t *journey.T) error { return errors.New("broken runner") },
			want:    journey.Errored,
			message: []string{"step 1/1 (the step): broken runner"},
		},
		{
			name:    "Infra is error",
			do:      func(ctx context.Context, t *journey.T) error { return journey.Infra(errors.New("dependency down")) },
			want:    journey.Errored,
			message: []string{"dependency down"},
		},
		{
			name:     "panic is error with its stack",
			do:       func(ctx context.Context, t *journey.T) error { panic("boom") },
			want:     journey.Errored,
			message:  []string{"panic: boom"},
			evidence: "panic stack",
		},
		{
			name: "Eventually on a refused connection is error",
			do: func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the target to answer", func(ctx context.Context) error {
					_, err := t.HTTP("down").Get(ctx, "/")
					return err
				})
			},
			want:    journey.Errored,
			message: []string{"step 1/1 (the step): waiting for the target to answer: connection refused: GET http://"},
			minTime: sla,
		},
		{
			name: "Eventually on a plain observation is sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the alert to fire", func(ctx context.Context) error {
					return errors.New("alert still pending")
				})
			},
			want:    journey.SLABreach,
			message: []string{"step 1/1 (the step): waiting for the alert to fire: alert still pending (the last of "},
			minTime: sla,
		},
		{
			name: "Eventually on a target too slow to answer is sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the slow target to answer", func(ctx context.Context) error {
					_, err := t.HTTP("hanging").Get(ctx, "/")
					return err
				})
			},
			want:    journey.SLABreach,
			message: []string{"waiting for the slow target to answer: no answer before the deadline: GET http://"},
			minTime: sla,
		},
		{
			name: "Eventually on a target stalling mid-body is sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				return journey.Eventually(ctx, t, "the body", func(ctx context.Context) error {
					_, err := t.HTTP("hanging").Get(ctx, "/stall")
					return err
				})
			},
			want:    journey.SLABreach,
			message: []string{"no answer before the deadline while reading the body: GET http://"},
			minTime: sla,
		},
		{
			name: "a single call to a target too slow to answer is sla-breach",
			do: func(ctx context.Context, t *journey.T) error {
				_, err := t.HTTP("hanging").Get(ctx, "/")
				return err
			},
			want:    journey.SLABreach,
			message: []string{"step 1/1 (the step): no answer before the deadline: GET http://"},
			minTime: sla,
		},
		{
			name: "awaiting a notification without a sink is error",
			do: func(ctx context.Context, t *journey.T) error {
				_, err := t.Sink().Await(ctx, "a notification", func(journey.Delivery) error { return nil })
				return err
			},
			want:    journey.Errored,
			message: []string{"no notification sink"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := valid("classify", step("the step", sla, tc.do))
			j.Targets = []string{"down", "hanging"}
			opts := journey.Options{
				AbandonAfter: 5 * time.Second,
				Targets:      map[string]string{"down": refused, "hanging": hanging.URL},
			}
			if tc.abandons {
				opts.AbandonAfter = 100 * time.Millisecond
			}
			res := execute(t, context.Background(), j, opts, 10*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			if got := res.Steps[0].Outcome; got != tc.want {
				t.Errorf("step outcome = %s, want %s", got, tc.want)
			}
			if tc.want == journey.Passed && res.Message != "" {
				t.Errorf("message = %q, want empty for a pass", res.Message)
			}
			if tc.want != journey.Passed {
				wantContains(t, "message", res.Message, "step 1/1 (the step): ")
			}
			wantContains(t, "message", res.Message, tc.message...)
			if tc.evidence != "" {
				if _, ok := evidence(res.Steps[0], tc.evidence); !ok {
					t.Errorf("evidence labels = %q, want %q", labels(res.Steps[0]), tc.evidence)
				}
			}
			if res.Steps[0].Elapsed < tc.minTime {
				t.Errorf("step elapsed = %s, want at least %s", res.Steps[0].Elapsed, tc.minTime)
			}
		})
	}
}

func TestExecutePanicEvidenceHasStack(t *testing.T) {
	j := valid("panics", step("explode", sla, func(ctx context.Context, t *journey.T) error {
		var m map[string]int
		//lint:ignore SA5000 the test needs a runtime panic, not a string
		m["x"] = 1
		return nil
	}))
	res := execute(t, context.Background(), j, journey.Options{}, 5*time.Second)
	if res.Outcome != journey.Errored {
		t.Fatalf("outcome = %s, want %s", res.Outcome, journey.Errored)
	}
	stack, ok := evidence(res.Steps[0], "panic stack")
	if !ok {
		t.Fatalf("evidence labels = %q, want a panic stack", labels(res.Steps[0]))
	}
	wantContains(t, "panic stack", stack, "goroutine", "execute_test.go")
	wantContains(t, "message", res.Message, "assignment to entry in nil map")
}

func TestExecuteParentCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var later atomic.Int32
	j := valid("cancelled",
		step("wait", 5*time.Second, func(ctx context.Context, t *journey.T) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}),
		step("after", time.Second, func(ctx context.Context, t *journey.T) error {
			later.Add(1)
			return nil
		}),
	)
	res := execute(t, ctx, j, journey.Options{}, 5*time.Second)
	if res.Outcome != journey.Errored {
		t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, journey.Errored)
	}
	wantContains(t, "message", res.Message, "step 1/2 (wait): run cancelled: context canceled")
	if got := res.Steps[1].Outcome; got != journey.Skipped {
		t.Errorf("step 2 outcome = %s, want %s", got, journey.Skipped)
	}
	if later.Load() != 0 {
		t.Error("step 2 ran after the run was cancelled")
	}
}

func TestExecuteSkipsStepsAfterFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failing journey.StepFunc
		want    journey.Outcome
	}{
		{"failure", func(ctx context.Context, t *journey.T) error { return journey.Failf("wrong") }, journey.Failed},
		{"error", func(ctx context.Context, t *journey.T) error { return errors.New("down") }, journey.Errored},
		{"panic", func(ctx context.Context, t *journey.T) error { panic("boom") }, journey.Errored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			var mu sync.Mutex
			record := func(name string, do journey.StepFunc) journey.StepFunc {
				return func(ctx context.Context, t *journey.T) error {
					mu.Lock()
					ran = append(ran, name)
					mu.Unlock()
					return do(ctx, t)
				}
			}
			ok := func(ctx context.Context, t *journey.T) error { return nil }
			j := valid("skips",
				step("first", sla, record("first", ok)),
				step("second", sla, record("second", tc.failing)),
				step("third", sla, record("third", ok)),
				step("fourth", sla, record("fourth", ok)),
			)
			res := execute(t, context.Background(), j, journey.Options{}, 5*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s, want %s", res.Outcome, tc.want)
			}
			if want := []string{"first", "second"}; !slices.Equal(ran, want) {
				t.Errorf("steps run = %q, want %q", ran, want)
			}
			wantOutcomes := []journey.Outcome{journey.Passed, tc.want, journey.Skipped, journey.Skipped}
			for i, sr := range res.Steps {
				if sr.Outcome != wantOutcomes[i] {
					t.Errorf("step %d outcome = %s, want %s", i+1, sr.Outcome, wantOutcomes[i])
				}
			}
			wantContains(t, "message", res.Message, "step 2/4 (second): ")
			if got := res.FailedStep(); got != 1 {
				t.Errorf("FailedStep() = %d, want 1", got)
			}
		})
	}
}

func TestExecuteResultIdentity(t *testing.T) {
	j := journey.Journey{
		Name: "identity", Tier: journey.TierDomain, Owner: "team-b", Mode: journey.ModeObserve,
		Covers: []string{"svc"},
		Steps:  []journey.Step{step("only", sla, func(ctx context.Context, t *journey.T) error { return nil })},
	}
	var events []journey.EventKind
	res := execute(t, context.Background(), j, journey.Options{
		RunID: "run-7", Environment: "staging",
		Observe: func(e journey.Event) { events = append(events, e.Kind) },
	}, 5*time.Second)
	if res.RunID != "run-7" || res.Journey != "identity" || res.Environment != "staging" ||
		res.Tier != journey.TierDomain || res.Owner != "team-b" || res.Mode != journey.ModeObserve || res.Attempt != 1 {
		t.Errorf("result identity = %+v", res)
	}
	if res.Outcome != journey.Passed || res.FailedStep() != -1 {
		t.Errorf("outcome = %s, FailedStep = %d; want passed, -1", res.Outcome, res.FailedStep())
	}
	want := []journey.EventKind{journey.JourneyStarted, journey.StepStarted, journey.StepFinished, journey.JourneyFinished}
	if !slices.Equal(events, want) {
		t.Errorf("events = %v, want %v", events, want)
	}
}

func TestClassify(t *testing.T) {
	second := time.Second
	timeout := &poll.TimeoutError{Attempts: 3, Last: errors.New("pending"), Err: context.DeadlineExceeded}
	infraTimeout := &poll.TimeoutError{Attempts: 3, Last: journey.Infra(errors.New("refused")), Err: context.DeadlineExceeded}
	tests := []struct {
		name    string
		err     error
		elapsed time.Duration
		runErr  error
		want    journey.Outcome
	}{
		{"nil within SLA", nil, second / 2, nil, journey.Passed},
		{"nil over SLA", nil, 2 * second, nil, journey.SLABreach},
		{"failure", journey.Failf("x"), second / 2, nil, journey.Failed},
		{"deadline", context.DeadlineExceeded, second, nil, journey.SLABreach},
		{"plain error", errors.New("x"), second / 2, nil, journey.Errored},
		{"poll timeout", fmt.Errorf("waiting: %w", timeout), second, nil, journey.SLABreach},
		{"poll timeout on infra", fmt.Errorf("waiting: %w", infraTimeout), second, nil, journey.Errored},
		{"run cancelled wins over a pass", nil, second / 2, context.Canceled, journey.Errored},
		{"run cancelled wins over a deadline", context.DeadlineExceeded, second, context.Canceled, journey.Errored},
		{"panic", &journey.PanicError{Value: "x"}, 2 * second, nil, journey.Errored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := journey.Classify(tc.err, tc.elapsed, second, tc.runErr)
			if got != tc.want {
				t.Errorf("Classify = %s (%q), want %s", got, msg, tc.want)
			}
			if got != journey.Passed && msg == "" {
				t.Error("a non-pass has an empty message")
			}
		})
	}
}

func TestStateSharing(t *testing.T) {
	tests := []struct {
		name string
		read journey.StepFunc
		want journey.Outcome
		msg  string
	}{
		{
			name: "Value of the stored type",
			read: func(ctx context.Context, t *journey.T) error {
				id, err := journey.Value[int](t, "id")
				if err != nil {
					return err
				}
				return journey.Equal("id", 42, id)
			},
			want: journey.Passed,
		},
		{
			name: "Get returns the stored value",
			read: func(ctx context.Context, t *journey.T) error {
				v, ok := t.Get("id")
				if !ok || v != any(42) {
					return journey.Failf("Get(id) = %v, %t", v, ok)
				}
				return nil
			},
			want: journey.Passed,
		},
		{
			name: "Value of the wrong type is an error",
			read: func(ctx context.Context, t *journey.T) error {
				_, err := journey.Value[string](t, "id")
				return err
			},
			want: journey.Errored,
			msg:  `run state "id" holds int, not string`,
		},
		{
			name: "missing key is an error",
			read: func(ctx context.Context, t *journey.T) error {
				_, err := journey.Value[int](t, "nope")
				return err
			},
			want: journey.Errored,
			msg:  `run state has no "nope"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := valid("state",
				step("write", sla, func(ctx context.Context, t *journey.T) error { t.Set("id", 42); return nil }),
				step("read", sla, tc.read),
			)
			res := execute(t, context.Background(), j, journey.Options{}, 5*time.Second)
			if res.Outcome != tc.want {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.want)
			}
			wantContains(t, "message", res.Message, tc.msg)
		})
	}
}

func TestStateIsPerExecution(t *testing.T) {
	j := valid("fresh", step("read", sla, func(ctx context.Context, t *journey.T) error {
		if _, ok := t.Get("id"); ok {
			return journey.Failf("state leaked from an earlier execution")
		}
		t.Set("id", 1)
		return nil
	}))
	for i := range 2 {
		if res := execute(t, context.Background(), j, journey.Options{}, 5*time.Second); res.Outcome != journey.Passed {
			t.Fatalf("execution %d: %s: %s", i+1, res.Outcome, res.Message)
		}
	}
}

func TestRunIdentityOnT(t *testing.T) {
	var got []string
	j := valid("ident", step("read", sla, func(ctx context.Context, t *journey.T) error {
		got = []string{t.RunID(), t.Environment(), t.Journey(), fmt.Sprint(t.Attempt()), t.Unique(), t.Setting("region"), t.Setting("absent")}
		return nil
	}))
	execute(t, context.Background(), j, journey.Options{
		RunID: "r1", Environment: "local", Attempt: 2, Settings: map[string]string{"region": "eu"},
	}, 5*time.Second)
	want := []string{"r1", "local", "ident", "2", "r1.ident.2", "eu", ""}
	if !slices.Equal(got, want) {
		t.Errorf("T accessors = %q, want %q", got, want)
	}
}

func TestBreachMessageShowsTheOverrun(t *testing.T) {
	cases := []struct {
		elapsed, sla time.Duration
		want         string
	}{
		{10*time.Second + 200*time.Millisecond, 10 * time.Second, "took 10.2s, SLA 10s"},
		{10*time.Second + 4*time.Millisecond + 200*time.Microsecond, 10 * time.Second, "took 10.004s, SLA 10s"},
		// Rounded to milliseconds as every report rounds, but up when
		// rounding would show the breach at its SLA.
		{10*time.Second + 411*time.Microsecond, 10 * time.Second, "took 10.001s, SLA 10s"},
		{10*time.Second + 2, 10 * time.Second, "took 10.001s, SLA 10s"},
		{400 * time.Microsecond, 300 * time.Microsecond, "took 400µs, SLA 300µs"},
		{300*time.Microsecond + 1, 300 * time.Microsecond, "took 301µs, SLA 300µs"},
	}
	for _, tc := range cases {
		if got := journey.BreachMessage(tc.elapsed, tc.sla); got != tc.want {
			t.Errorf("BreachMessage(%v, %v) = %q, want %q", tc.elapsed, tc.sla, got, tc.want)
		}
	}
}
