package dynamo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/test/dynalite"
)

// BenchmarkStoreSinkAwaitDetection measures the sink await the runner
// Lambda does: the sink Lambda stores a delivery in DynamoDB (here
// dynalite) at a random moment within 1.5 s of the step's start, and the
// journey's await, reading through NewSinkReader with the runner's
// settings (poll.Backoff{}: DeliveryPollBackoff), passes. It reports the
// latency from the delivery's write to the step's end (median, p99) and
// the Queries the await made per second of waiting, the cost of waiting
// that the cost model charges (issue 7, cost per journey run).
func BenchmarkStoreSinkAwaitDetection(b *testing.B) {
	const samples, parallel, maxArrival = 100, 20, 1500 * time.Millisecond
	client := dynalite.Start(b).Client()
	counted := newCounting(client)
	st := dynamo.New(counted, newTable(b, client))
	reader := store.NewSinkReader(st, func(runID string) string { return "https://sink.example/run/" + runID }, poll.Backoff{})
	var lat []time.Duration
	var waited atomic.Int64
	var seq atomic.Int64
	queries := 0
	for b.Loop() {
		lat = lat[:0]
		counted.take()
		var mu sync.Mutex
		sem := make(chan struct{}, parallel)
		var wg sync.WaitGroup
		for range samples {
			runID := fmt.Sprintf("bench-%d", seq.Add(1))
			arrive := time.Duration(rand.Int64N(int64(maxArrival)))
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				d, w, err := storeAwaitOnce(st, reader, runID, arrive)
				if err != nil {
					b.Errorf("run %s: %v", runID, err)
					return
				}
				waited.Add(int64(w))
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
		queries = counted.take()["Query"]
	}
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1)+0.5)].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "median-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(queries)/time.Duration(waited.Load()).Seconds(), "queries-per-await-s")
}

// storeAwaitOnce runs one journey awaiting a delivery stored arrive after
// its step starts, and returns the time from the write to the step's end
// and how long the await waited.
func storeAwaitOnce(st *dynamo.Store, reader journey.SinkReader, runID string, arrive time.Duration) (latency, waited time.Duration, err error) {
	var written, finished, started atomic.Int64
	sent := make(chan error, 1)
	j := journey.Journey{Name: "await", Tier: journey.TierGlobal, Owner: "bench", Mode: journey.ModeEnforce, Sink: true, Steps: []journey.Step{{
		Name: "delivered", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
			started.Store(time.Now().UnixNano())
			go func() {
				time.Sleep(arrive)
				err := st.PutDelivery(context.Background(), journey.Delivery{ID: runID + "#1", RunID: runID, ReceivedAt: time.Now().UTC(), Body: []byte(`{"status":"firing"}`)})
				written.Store(time.Now().UnixNano())
				sent <- err
			}()
			_, err := t.Sink().Await(ctx, "the notification", func(journey.Delivery) error { return nil })
			return err
		},
	}}}
	res := journey.Execute(context.Background(), j, journey.Options{RunID: runID, Sink: reader, Observe: func(e journey.Event) {
		if e.Kind == journey.StepFinished {
			finished.Store(time.Now().UnixNano())
		}
	}})
	if err := <-sent; err != nil {
		return 0, 0, err
	}
	if res.Outcome != journey.Passed {
		return 0, 0, fmt.Errorf("%s: %s", res.Outcome, res.Message)
	}
	return time.Duration(finished.Load() - written.Load()), time.Duration(finished.Load() - started.Load()), nil
}
