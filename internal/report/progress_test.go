package report

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// syncBuffer is a bytes.Buffer safe for the concurrent reads a test makes
// while a Progress writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// events returns the events Execute emits for a journey whose steps end
// with the given outcomes (the first that does not pass ends it).
func events(name string, outcomes ...journey.Outcome) []journey.Event {
	n := len(outcomes)
	evs := []journey.Event{{Kind: journey.JourneyStarted, Journey: name, StepCount: n}}
	res := journey.Result{Journey: name, Outcome: journey.Passed}
	for i, o := range outcomes {
		step := fmt.Sprintf("step %c", 'a'+i)
		if res.Outcome != journey.Passed {
			res.Steps = append(res.Steps, journey.StepResult{Name: step, Outcome: journey.Skipped})
			continue
		}
		evs = append(evs, journey.Event{Kind: journey.StepStarted, Journey: name, Index: i, StepCount: n, StepName: step})
		sr := journey.StepResult{Name: step, SLA: 2 * time.Second, Elapsed: ms(23 * (i + 1)), Outcome: o}
		switch o {
		case journey.SLABreach:
			sr.Elapsed, sr.Message = ms(2150), "awaiting the webhook:\nwaited 2.1s, 0 deliveries for this run"
		case journey.Failed:
			sr.Message = "status 500, want 201"
		case journey.Errored:
			sr.Message = "dial tcp: connection refused\x1b[31m"
		}
		res.Steps = append(res.Steps, sr)
		evs = append(evs, journey.Event{Kind: journey.StepFinished, Journey: name, Index: i, StepCount: n, StepName: step, Step: &sr})
		if o != journey.Passed {
			res.Outcome = o
		}
	}
	res.Elapsed = ms(1234)
	evs = append(evs, journey.Event{Kind: journey.JourneyFinished, Journey: name, StepCount: n, Result: &res})
	return evs
}

func TestProgressPlain(t *testing.T) {
	tests := []struct {
		name     string
		outcomes []journey.Outcome
		want     []string
	}{
		{
			name:     "passed",
			outcomes: []journey.Outcome{journey.Passed, journey.Passed},
			want: []string{
				"start j (2 steps)",
				"  ok   j 1/2 step a (23ms, SLA 2s)",
				"  ok   j 2/2 step b (46ms, SLA 2s)",
				"done  j passed in 1.234s",
			},
		},
		{
			name:     "sla breach ends the journey, message on one line",
			outcomes: []journey.Outcome{journey.Passed, journey.SLABreach, journey.Passed},
			want: []string{
				"start j (3 steps)",
				"  ok   j 1/3 step a (23ms, SLA 2s)",
				"  FAIL j 2/3 step b: sla-breach (2.15s, SLA 2s): awaiting the webhook: waited 2.1s, 0 deliveries for this run",
				"done  j sla-breach in 1.234s",
			},
		},
		{
			name:     "failed",
			outcomes: []journey.Outcome{journey.Failed},
			want: []string{
				"start j (1 step)",
				"  FAIL j 1/1 step a: failed (23ms, SLA 2s): status 500, want 201",
				"done  j failed in 1.234s",
			},
		},
		{
			name:     "error with a control character in its message",
			outcomes: []journey.Outcome{journey.Errored, journey.Passed},
			want: []string{
				"start j (2 steps)",
				`  ERR  j 1/2 step a: error (23ms, SLA 2s): dial tcp: connection refused\x1b[31m`,
				"done  j error in 1.234s",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			p := NewProgress(&b, false)
			for _, e := range events("j", tt.outcomes...) {
				p.Observe(e)
			}
			p.Stop()
			got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestProgressLive(t *testing.T) {
	var b syncBuffer
	p := NewProgress(&b, true, WithWidth(200))
	a := events("alert-to-notification", journey.Passed, journey.SLABreach, journey.Passed)
	h := events("api-health", journey.Passed)
	// Interleave: both start, then api-health finishes, then the other.
	p.Observe(a[0])
	p.Observe(h[0])
	p.Observe(a[1])
	mid := b.String()
	for _, e := range h[1:] {
		p.Observe(e)
	}
	for _, e := range a[2:] {
		p.Observe(e)
	}
	never := events("stuck", journey.Passed)
	p.Observe(never[0])
	p.Observe(never[1]) // starts step 1/1, never finishes
	p.Stop()
	p.Stop() // idempotent
	out := b.String()

	if !strings.Contains(mid, "1/3 step a") {
		t.Errorf("live block should show the running step:\n%q", mid)
	}
	if !strings.Contains(out, "\x1b[2A") || !strings.Contains(out, "\r\x1b[2K") {
		t.Errorf("live mode should move the cursor up over its block and clear lines:\n%q", out)
	}
	// The last frame is the final state, drawn after the cursor moves up
	// over the 3-line block.
	last := out[strings.LastIndex(out, "\x1b[3A")+len("\x1b[3A"):]
	lines := strings.Split(strings.TrimSuffix(last, "\n"), "\n")
	want := []string{
		"\r\x1b[2KFAIL alert-to-notification  sla-breach in 1.234s at 2/3 step b",
		"\r\x1b[2Kok   api-health             passed in 1.234s",
		"\r\x1b[2K?    stuck                  1/1 step a (",
	}
	if len(lines) != len(want) {
		t.Fatalf("final frame has %d lines, want %d:\n%q", len(lines), len(want), last)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("final line %d = %q, want prefix %q", i, lines[i], want[i])
		}
	}
	if !strings.HasSuffix(lines[2], ", did not finish") {
		t.Errorf("an unfinished journey should say so after Stop: %q", lines[2])
	}

	// Events after Stop are not drawn.
	n := len(b.String())
	p.Observe(events("late", journey.Passed)[0])
	if len(b.String()) != n {
		t.Error("Observe after Stop wrote output")
	}
}

func TestProgressLiveWidth(t *testing.T) {
	var b syncBuffer
	p := NewProgress(&b, true, WithWidth(20))
	p.Observe(journey.Event{Kind: journey.JourneyStarted, Journey: strings.Repeat("x", 50), StepCount: 1})
	p.Stop()
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		text := line[strings.LastIndex(line, "\x1b[2K")+len("\x1b[2K"):]
		if n := len([]rune(text)); n > 20 {
			t.Errorf("line of %d runes exceeds the width: %q", n, text)
		}
	}
}

// TestProgressConcurrent feeds many journeys' events from parallel
// goroutines; run it with -race. In plain mode every line must arrive whole.
func TestProgressConcurrent(t *testing.T) {
	for _, live := range []bool{false, true} {
		t.Run(fmt.Sprintf("live=%v", live), func(t *testing.T) {
			var b syncBuffer
			p := NewProgress(&b, live)
			const journeys = 16
			var wg sync.WaitGroup
			for i := range journeys {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, e := range events(fmt.Sprintf("j%02d", i), journey.Passed, journey.Passed, journey.Failed) {
						p.Observe(e)
						time.Sleep(time.Millisecond)
					}
				}()
			}
			wg.Wait()
			p.Stop()
			out := b.String()
			if live {
				if got := strings.Count(out[strings.LastIndex(out, fmt.Sprintf("\x1b[%dA", journeys)):], "FAIL j"); got != journeys {
					t.Errorf("final live frame shows %d finished journeys, want %d", got, journeys)
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != journeys*5 {
				t.Fatalf("got %d lines, want %d", len(lines), journeys*5)
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "start j") && !strings.HasPrefix(l, "  ok   j") &&
					!strings.HasPrefix(l, "  FAIL j") && !strings.HasPrefix(l, "done  j") {
					t.Errorf("garbled line %q", l)
				}
			}
		})
	}
}

// A journey's duration and its cleanup's are shown apart.
func TestPlainDoneLineShowsCleanupApart(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, false)
	res := journey.Result{Journey: "j", Outcome: journey.Passed, Elapsed: ms(523), CleanupElapsed: ms(10000)}
	p.Observe(journey.Event{Kind: journey.JourneyFinished, Journey: "j", Attempt: 1, Result: &res})
	if want := "done  j passed in 523ms, cleanup 10s\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
