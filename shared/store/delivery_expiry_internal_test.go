package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/dynalite"
)

// TestDeliveryExpiryAgrees pins when a delivery stops being returned, on
// both backends by one clock: at its expiresAt, ReceivedAt plus the TTL
// in whole epoch seconds (the DynamoDB TTL attribute's unit), not a
// nanosecond earlier; never without a TTL. The writer's TTL decides,
// whatever the reader's.
func TestDeliveryExpiryAgrees(t *testing.T) {
	client := dynalite.Start(t).Client()
	received := time.Date(2026, 3, 1, 10, 0, 0, 750_000_000, time.UTC)
	expires := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC) // received + 1h, in epoch seconds
	tables := 0
	type backend struct {
		open func(t *testing.T, ttl time.Duration, clock *time.Time) DeliveryStore
	}
	backends := map[string]backend{
		"embedded": {func(t *testing.T, ttl time.Duration, clock *time.Time) DeliveryStore {
			e, err := OpenEmbedded(filepath.Join(t.TempDir(), "x.db"), WithEmbeddedDeliveryTTL(ttl))
			if err != nil {
				t.Fatal(err)
			}
			e.now = func() time.Time { return *clock }
			return e
		}},
		"dynamodb": {func(t *testing.T, ttl time.Duration, clock *time.Time) DeliveryStore {
			tables++
			table := fmt.Sprintf("expiry-%d", tables)
			if err := CreateTable(t.Context(), client, table); err != nil {
				t.Fatal(err)
			}
			d := NewDynamo(client, table, WithDeliveryTTL(ttl))
			d.now = func() time.Time { return *clock }
			return d
		}},
	}
	for name, b := range backends {
		t.Run(name, func(t *testing.T) {
			t.Run("boundary", func(t *testing.T) {
				clock := received
				ds := b.open(t, time.Hour, &clock)
				d := journey.Delivery{ID: "d1", RunID: "run-1", ReceivedAt: received, Body: []byte(`{}`)}
				if err := ds.PutDelivery(t.Context(), d); err != nil {
					t.Fatal(err)
				}
				for _, c := range []struct {
					now  time.Time
					want int
				}{
					{received, 1},
					{expires.Add(-time.Nanosecond), 1},
					{expires, 0},
					{expires.Add(30 * 24 * time.Hour), 0},
				} {
					clock = c.now
					got, _, err := ds.Deliveries(t.Context(), "run-1", "", 0)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != c.want {
						t.Errorf("at %s: %d deliveries, want %d", c.now.Format(time.RFC3339Nano), len(got), c.want)
					}
				}
			})
			t.Run("no TTL keeps them", func(t *testing.T) {
				clock := time.Now()
				ds := b.open(t, 0, &clock)
				old := journey.Delivery{ID: "d1", RunID: "run-1", ReceivedAt: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)}
				if err := ds.PutDelivery(t.Context(), old); err != nil {
					t.Fatal(err)
				}
				if got, _, err := ds.Deliveries(t.Context(), "run-1", "", 0); err != nil || len(got) != 1 {
					t.Errorf("Deliveries = %d, %v; want the delivery kept without a TTL", len(got), err)
				}
			})
		})
	}
}

// TestEmbeddedDeliveryWithoutExpiry reads a delivery stored before
// deliveries expired (no expiresAt): it never expires.
func TestEmbeddedDeliveryWithoutExpiry(t *testing.T) {
	e, err := OpenEmbedded(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	d := journey.Delivery{ID: "d1", RunID: "run-1", ReceivedAt: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), Body: []byte(`{"old":true}`)}
	err = e.update(t.Context(), func(tx *bolt.Tx) error {
		b, err := bucket(tx, bDeliveries)
		if err != nil {
			return err
		}
		return put(b, key(d.RunID, DeliveryPosition(d)), d) // the old record: the delivery alone
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := e.Deliveries(t.Context(), "run-1", "", 0)
	if err != nil || len(got) != 1 || string(got[0].Body) != `{"old":true}` {
		t.Errorf("Deliveries = %+v, %v; want the old delivery", got, err)
	}
}
