package journey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// Delivery is one notification the system under test sent to the sink.
type Delivery struct {
	ID         string      `json:"id"`
	RunID      string      `json:"runId"`
	ReceivedAt time.Time   `json:"receivedAt"`
	Header     http.Header `json:"header,omitempty"`
	Body       []byte      `json:"body"`
}

// Doc decodes the delivery body as JSON.
func (d Delivery) Doc() (Doc, error) { return ParseJSON(d.Body) }

// JSON decodes the delivery body into v; invalid JSON is a failed assertion.
func (d Delivery) JSON(v any) error {
	if err := json.Unmarshal(d.Body, v); err != nil {
		return Failf("delivery %s is not the expected JSON: %v: %s", d.ID, err, cutFor(d.Body, 256))
	}
	return nil
}

// SinkReader is where a run's deliveries are read from: an in-process sink
// locally, the sink table in the cloud.
type SinkReader interface {
	// URL is the endpoint the system under test should deliver to for runID.
	URL(runID string) string
	// Next returns the run's deliveries after cursor ("" = from the start)
	// and the cursor to continue from. It blocks until at least one new
	// delivery exists or ctx ends (then it returns ctx's error).
	Next(ctx context.Context, runID, cursor string) ([]Delivery, string, error)
}

// SinkClient awaits the run's deliveries. A delivery returned by Await is
// claimed: later Await and Never calls of the same journey skip it.
type SinkClient struct {
	t       *T
	reader  SinkReader
	ch      channel
	mu      sync.Mutex
	cursor  string
	seen    []Delivery
	seenIDs map[string]bool // two waits reading from one cursor get the same deliveries
	claimed map[string]bool
}

// Match returns nil when a delivery is the one awaited, or an error saying
// why not (kept as the last observation). A mismatch, even a Failure such
// as a body that is not the expected JSON, only means "not this delivery":
// the wait goes on. Wrap it with Final to end the wait at once.
type Match func(d Delivery) error

var errNoSink = errors.New("no notification sink configured for this run")

// ready says why the journey cannot wait for deliveries, or nil: a sink
// the journey does not declare (Journey.Sink) is a final error, so a
// journey behaves alike whether or not another journey of the run
// started the sink.
func (s *SinkClient) ready() error {
	if s.ch.ready != nil {
		return s.ch.ready()
	}
	if !s.t.journey.Sink {
		return undeclared("no notification sink for journey %q: it does not declare Sink: true", s.t.journey.Name)
	}
	if s.reader == nil {
		return errNoSink
	}
	return nil
}

// URL is the endpoint for this run, for systems that accept a per-run URL;
// "" without a sink (see Journey.Sink).
func (s *SinkClient) URL() string {
	if s.ready() != nil {
		return ""
	}
	return s.reader.URL(s.t.RunID())
}

// Await returns the first unclaimed delivery of the run that match accepts,
// waiting until the step's deadline. On timeout the error carries why the
// last delivery seen did not match.
func (s *SinkClient) Await(ctx context.Context, what string, match Match) (Delivery, error) {
	if err := s.ready(); err != nil {
		return Delivery{}, err
	}
	var found Delivery
	start := time.Now()
	reads := 0
	err := s.t.until(ctx, func(ctx context.Context) error {
		d, err := s.scan(ctx, match, &reads)
		if err == nil {
			found = d
		}
		return err
	})
	countReads(err, reads)
	if err != nil {
		s.seenEvidence()
		s.refusedEvidence()
		return Delivery{}, s.awaitError(what, start, err)
	}
	s.t.Evidence(s.ch.evidenceLabel(), "%s arrived after %s (received %s): %s", what, time.Since(start).Round(time.Millisecond), found.ReceivedAt.Format(time.RFC3339Nano), s.ch.describe(found, s.t.opts.excerptLimit()))
	return found, nil
}

// Never asserts that no unclaimed delivery match accepts arrives within
// window (which must fit in the step's SLA). A match is a failed assertion.
func (s *SinkClient) Never(ctx context.Context, window time.Duration, what string, match Match) error {
	if err := s.ready(); err != nil {
		return err
	}
	var found Delivery
	reads := 0
	err := s.t.never(ctx, window, func(ctx context.Context) error {
		d, err := s.scan(ctx, match, &reads)
		if err == nil {
			found = d
		}
		return err
	})
	countReads(err, reads)
	var held *poll.HeldError
	if errors.As(err, &held) {
		s.t.Evidence("unexpected "+s.ch.noun(1), "%s", s.ch.describe(found, s.t.opts.excerptLimit()))
		return Failf("expected no %s, but one arrived %s into the %s window", what, held.After.Round(time.Millisecond), window)
	}
	return err
}

// scan checks seen deliveries, then waits for new ones until one matches
// or ctx ends: the reader blocks in Next and wakes the moment a delivery
// arrives (the in-process sink), or polls at its own pace (the store), so
// no delivery waits out a poll interval here. It returns nil with the
// claimed delivery, or an error describing the latest mismatch; a failing
// reader is an infrastructure error, which the caller's poll retries with
// backoff. reads counts the checks, for the timeout message.
func (s *SinkClient) scan(ctx context.Context, match Match, reads *int) (Delivery, error) {
	*reads++
	d, mismatch := s.claim(match)
	if mismatch == nil || endsWait(mismatch) {
		return d, mismatch
	}
	for {
		s.mu.Lock()
		cursor := s.cursor
		s.mu.Unlock()
		ds, next, err := s.reader.Next(ctx, s.key(), cursor)
		switch {
		case err != nil && ctx.Err() != nil:
			return Delivery{}, mismatch
		case err != nil:
			return Delivery{}, Infra(fmt.Errorf("reading sink: %w", err))
		case len(ds) == 0:
			// Next should have blocked; let the caller's poll pace the next read.
			return Delivery{}, mismatch
		}
		s.mu.Lock()
		if s.seenIDs == nil {
			s.seenIDs = map[string]bool{}
		}
		for _, d := range ds {
			if d.ReceivedAt.Before(s.ch.since) {
				continue // before this attempt held the channel (a leased number's earlier texts)
			}
			if !s.seenIDs[d.ID] {
				s.seenIDs[d.ID] = true
				s.seen = append(s.seen, d)
			}
		}
		if s.cursor == cursor {
			s.cursor = next // unless the other wait already read further
		}
		s.mu.Unlock()
		*reads++
		if d, mismatch = s.claim(match); mismatch == nil || endsWait(mismatch) {
			return d, mismatch
		}
	}
}

// countReads makes a sink wait's timeout count the sink's reads as its
// checks: one scan waits through many of them.
func countReads(err error, reads int) {
	var te *poll.TimeoutError
	if errors.As(err, &te) {
		te.Attempts = reads
	}
}

func (s *SinkClient) claim(match Match) (Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last error = errNoDelivery
	for _, d := range s.seen {
		if s.claimed[d.ID] {
			continue
		}
		err := match(d)
		if err == nil {
			if s.claimed == nil {
				s.claimed = map[string]bool{}
			}
			s.claimed[d.ID] = true
			return d, nil
		}
		if endsWait(err) {
			return Delivery{}, fmt.Errorf("%s %s: %w", s.ch.noun(1), d.ID, err)
		}
		last = fmt.Errorf("%s %s did not match: %w", s.ch.noun(1), d.ID, NotYet(err))
	}
	return Delivery{}, last
}
