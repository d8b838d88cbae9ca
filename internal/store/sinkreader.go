package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

// ReorderWindow is how late a delivery may be stored, relative to the newest
// one a reader has seen, and still be returned: the sink Lambda stamps
// ReceivedAt before its write lands, so concurrent deliveries can become
// visible out of order.
const ReorderWindow = 10 * time.Second

// deliveryPage bounds each Deliveries call of a reader.
const deliveryPage = 100

// DeliveryPollBackoff paces a sink reader's reads while it waits, unless
// NewSinkReader is given other values: every read of the DynamoDB store is
// a strongly consistent Query (1 read unit), so a waiting journey reads at
// most 10 times a second, and sees a delivery 50 ms after it landed at the
// median (100 ms at worst) rather than reading 50 times a second to see it
// within 20 ms like poll.DefaultBackoff.
var DeliveryPollBackoff = poll.Backoff{First: 10 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2}

// NewSinkReader returns a journey.SinkReader over ds, so the SDK's sink
// await works the same against the cloud sink table as against the
// in-process sink. urlFor gives the URL the system under test delivers to;
// backoff paces the polls while Next waits (zero fields take
// DeliveryPollBackoff's).
func NewSinkReader(ds DeliveryStore, urlFor func(runID string) string, backoff poll.Backoff) journey.SinkReader {
	if backoff.First <= 0 {
		backoff.First = DeliveryPollBackoff.First
	}
	if backoff.Max <= 0 {
		backoff.Max = DeliveryPollBackoff.Max
	}
	if backoff.Factor <= 0 {
		backoff.Factor = DeliveryPollBackoff.Factor
	}
	return &sinkReader{ds: ds, urlFor: urlFor, backoff: backoff}
}

type sinkReader struct {
	ds      DeliveryStore
	urlFor  func(string) string
	backoff poll.Backoff
}

// readerCursor is what a reader's opaque cursor encodes: every delivery at
// or before Mark was returned, and so were Seen, the IDs returned after it.
// Mark trails the newest delivery by ReorderWindow, so a delivery that
// becomes visible late is still found.
type readerCursor struct {
	Mark string   `json:"m,omitempty"`
	Seen []string `json:"s,omitempty"`
}

func (s *sinkReader) URL(runID string) string {
	if s.urlFor == nil {
		return ""
	}
	return s.urlFor(runID)
}

// Next polls the store until a delivery of runID that cursor has not
// returned exists, or ctx ends (then it returns ctx's error).
func (s *sinkReader) Next(ctx context.Context, runID, cursor string) ([]journey.Delivery, string, error) {
	cur, err := decodeReaderCursor(cursor)
	if err != nil {
		return nil, cursor, err
	}
	var out []journey.Delivery
	next := cursor
	err = poll.Until(ctx, s.backoff, func(ctx context.Context) error {
		fresh, c, err := s.read(ctx, runID, cur)
		if err != nil {
			if ctx.Err() != nil {
				return err // the wait ended; Until reports the context's error
			}
			return poll.Stop(err)
		}
		if len(fresh) == 0 {
			return errors.New("no new delivery")
		}
		out, next = fresh, c
		return nil
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cursor, fmt.Errorf("awaiting deliveries of run %q: %w", runID, cerr)
		}
		return nil, cursor, fmt.Errorf("reading deliveries of run %q: %w", runID, err)
	}
	return out, next, nil
}

// read returns the deliveries after cur.Mark not in cur.Seen, and the cursor past them.
func (s *sinkReader) read(ctx context.Context, runID string, cur readerCursor) ([]journey.Delivery, string, error) {
	seen := make(map[string]bool, len(cur.Seen))
	for _, id := range cur.Seen {
		seen[id] = true
	}
	var all, fresh []journey.Delivery
	after := cur.Mark
	for {
		page, next, err := s.ds.Deliveries(ctx, runID, after, deliveryPage)
		if err != nil {
			return nil, "", err
		}
		all = append(all, page...)
		for _, d := range page {
			if !seen[d.ID] {
				fresh = append(fresh, d)
			}
		}
		if len(page) < deliveryPage {
			break
		}
		after = next
	}
	if len(fresh) == 0 {
		return nil, "", nil
	}
	newest := all[0].ReceivedAt
	for _, d := range all {
		if d.ReceivedAt.After(newest) {
			newest = d.ReceivedAt
		}
	}
	next := readerCursor{Mark: max(cur.Mark, TimeKey(newest.Add(-ReorderWindow)))}
	for _, d := range all {
		if DeliveryPosition(d) > next.Mark {
			next.Seen = append(next.Seen, d.ID)
		}
	}
	c, err := json.Marshal(next)
	if err != nil {
		return nil, "", fmt.Errorf("encode sink cursor: %w", err)
	}
	return fresh, base64.RawURLEncoding.EncodeToString(c), nil
}

func decodeReaderCursor(cursor string) (readerCursor, error) {
	var c readerCursor
	if cursor == "" {
		return c, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return c, fmt.Errorf("invalid sink cursor %q: %w", cursor, err)
	}
	return c, nil
}
