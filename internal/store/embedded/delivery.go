package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

var _ store.DeliveryStore = (*Store)(nil)

// WithDeliveryTTL makes sink deliveries expire d after they were
// received (default DefaultDeliveryTTL, as the DynamoDB store; 0 keeps
// them): reads skip them.
func WithDeliveryTTL(d time.Duration) Option {
	return func(e *Store) { e.deliveryTTL = d }
}

// storedDelivery is a delivery as the deliveries bucket keeps it: with its
// expiry in epoch seconds, as the DynamoDB store's TTL attribute, so both
// stores expire a delivery at the same second. Records written before it
// existed have none and never expire.
type storedDelivery struct {
	journey.Delivery
	ExpiresAt int64 `json:"expiresAt,omitempty"`
}

// deliveryExpired reports whether a delivery whose expiry is expiresAt
// (epoch seconds, 0 = none) has expired at now: the rule of the DynamoDB
// store's deliveryLive filter.
func deliveryExpired(expiresAt int64, now time.Time) bool {
	return expiresAt != 0 && expiresAt <= now.Unix()
}

// PutDelivery stores d under its run and position; ErrExists if that position is taken.
func (e *Store) PutDelivery(ctx context.Context, d journey.Delivery) error {
	if err := store.ValidateDelivery(d); err != nil {
		return err
	}
	k := key(d.RunID, store.DeliveryPosition(d))
	return e.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bDeliveries)
		if err != nil {
			return err
		}
		if b.Get(k) != nil {
			return fmt.Errorf("delivery %q of run %q: %w", d.ID, d.RunID, store.ErrExists)
		}
		return put(b, k, storedDelivery{Delivery: d, ExpiresAt: store.Expiry(d.ReceivedAt, e.deliveryTTL)})
	})
}

// Deliveries returns runID's deliveries positioned after after, oldest
// first, at most limit (0 = all), skipping expired ones.
func (e *Store) Deliveries(ctx context.Context, runID, after string, limit int) ([]journey.Delivery, string, error) {
	if err := store.ValidateDeliveryQuery(runID, limit); err != nil {
		return nil, after, err
	}
	pre := prefix(runID)
	start := append(append([]byte{}, pre...), after...)
	var out []journey.Delivery
	next := after
	now := e.now()
	err := e.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bDeliveries)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			if bytes.Equal(k, start) {
				continue // after is exclusive
			}
			var d storedDelivery
			if err := decode(k, v, &d); err != nil {
				return err
			}
			if deliveryExpired(d.ExpiresAt, now) {
				continue
			}
			out = append(out, d.Delivery)
			next = string(k[len(pre):])
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, after, err
	}
	return out, next, nil
}
