package sink_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/shared/journey"
)

// awaitSamples deliveries are timed per iteration, awaitParallel at once;
// each arrives within maxArrival of its step's start.
const (
	awaitSamples  = 200
	awaitParallel = 20
	maxArrival    = 1500 * time.Millisecond
)

// BenchmarkSinkAwaitDetection measures detection latency of the sink
// await on the in-process sink `journeygate run` uses: the system under
// test POSTs a notification at a random moment within maxArrival of the
// step's start, and the latency is from the moment the sink stored it
// (Delivery.ReceivedAt, when awaiting journeys are woken) to the step's
// StepFinished event. "after-mismatch" first delivers a notification the
// await does not accept (firing, while it awaits resolved), as the
// resolve-lifecycle journey sees. Target (issue 7): median at most 15 ms,
// p99 at most 50 ms.
func BenchmarkSinkAwaitDetection(b *testing.B) {
	for _, mismatch := range []bool{false, true} {
		name := "in-process"
		if mismatch {
			name += "/after-mismatch"
		}
		b.Run(name, func(b *testing.B) {
			s := sink.New(sink.Config{})
			if _, err := s.Listen("127.0.0.1:0"); err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			reportLatency(b, sampleLatencies(b, func(runID string, arrive time.Duration) (time.Duration, error) {
				return awaitOnce(s, runID, arrive, mismatch)
			}))
		})
	}
}

// awaitOnce runs one journey awaiting a resolved notification that the
// sender delivers arrive after the step starts (after a firing one when
// mismatch), and returns the time from its arrival to the step's end.
func awaitOnce(s *sink.Sink, runID string, arrive time.Duration, mismatch bool) (time.Duration, error) {
	var received time.Time
	var finishedAt atomic.Int64
	sent := make(chan error, 1)
	j := journey.Journey{Name: "await", Tier: journey.TierGlobal, Owner: "bench", Mode: journey.ModeEnforce, Sink: true, Steps: []journey.Step{{
		Name: "resolved delivered", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
			go func() {
				first := time.Duration(0)
				if mismatch {
					first = arrive / 2
					time.Sleep(first)
					if err := deliver(t.Sink().URL(), "firing"); err != nil {
						sent <- err
						return
					}
				}
				time.Sleep(arrive - first)
				sent <- deliver(t.Sink().URL(), "resolved")
			}()
			d, err := t.Sink().Await(ctx, "the resolved notification", func(d journey.Delivery) error {
				if !strings.Contains(string(d.Body), `"resolved"`) {
					return errors.New("not resolved")
				}
				return nil
			})
			received = d.ReceivedAt
			return err
		},
	}}}
	res := journey.Execute(context.Background(), j, journey.Options{RunID: runID, Sink: s, Observe: func(e journey.Event) {
		if e.Kind == journey.StepFinished {
			finishedAt.Store(time.Now().UnixNano())
		}
	}})
	if err := <-sent; err != nil {
		return 0, err
	}
	if res.Outcome != journey.Passed {
		return 0, fmt.Errorf("%s: %s", res.Outcome, res.Message)
	}
	return time.Duration(finishedAt.Load() - received.UnixNano()), nil
}

func deliver(url, status string) error {
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"status":"`+status+`"}`))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST %s: status %d", url, resp.StatusCode)
	}
	return nil
}

// reportLatency reports the median and the 99th percentile of lat in ms.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1)+0.5)].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "median-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// sampleLatencies runs awaitSamples awaits per benchmark iteration,
// awaitParallel at once, each for a run of its own whose message arrives
// after a random delay up to maxArrival, and returns the last iteration's
// latencies: await(runID, arrive) does one and measures it.
func sampleLatencies(b *testing.B, await func(runID string, arrive time.Duration) (time.Duration, error)) []time.Duration {
	var lat []time.Duration
	var seq atomic.Int64
	for b.Loop() {
		lat = lat[:0]
		var mu sync.Mutex
		sem := make(chan struct{}, awaitParallel)
		var wg sync.WaitGroup
		for range awaitSamples {
			runID := fmt.Sprintf("bench-%d", seq.Add(1))
			arrive := time.Duration(rand.Int64N(int64(maxArrival)))
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				d, err := await(runID, arrive)
				if err != nil {
					b.Errorf("run %s: %v", runID, err)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	return lat
}
