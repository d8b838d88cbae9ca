package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/shared/journey"
)

var _ DeliveryStore = (*Embedded)(nil)

// PutDelivery stores d under its run and position; ErrExists if that position is taken.
func (e *Embedded) PutDelivery(ctx context.Context, d journey.Delivery) error {
	if err := ValidateDelivery(d); err != nil {
		return err
	}
	k := key(d.RunID, DeliveryPosition(d))
	return e.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bDeliveries)
		if err != nil {
			return err
		}
		if b.Get(k) != nil {
			return fmt.Errorf("delivery %q of run %q: %w", d.ID, d.RunID, ErrExists)
		}
		return put(b, k, d)
	})
}

// Deliveries returns runID's deliveries positioned after after, oldest first, at most limit (0 = all).
func (e *Embedded) Deliveries(ctx context.Context, runID, after string, limit int) ([]journey.Delivery, string, error) {
	if err := validateDeliveryQuery(runID, limit); err != nil {
		return nil, after, err
	}
	pre := prefix(runID)
	start := append(append([]byte{}, pre...), after...)
	var out []journey.Delivery
	next := after
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
			var d journey.Delivery
			if err := decode(k, v, &d); err != nil {
				return err
			}
			out = append(out, d)
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
