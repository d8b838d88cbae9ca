package storetest

import (
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// RunDeliveryExpiry pins when a delivery stops being returned, so both
// backends agree by one clock: at its expiresAt, ReceivedAt plus the TTL in
// whole epoch seconds (the DynamoDB TTL attribute's unit), not a nanosecond
// earlier; never without a TTL. The writer's TTL decides, whatever the
// reader's. open returns a fresh store whose deliveries expire ttl after
// they were received and whose reads take the time from *clock (backends
// call it from their internal tests, where the clock can be set).
func RunDeliveryExpiry(t *testing.T, open func(t *testing.T, ttl time.Duration, clock *time.Time) store.DeliveryStore) {
	t.Helper()
	received := time.Date(2026, 3, 1, 10, 0, 0, 750_000_000, time.UTC)
	expires := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC) // received + 1h, in epoch seconds
	t.Run("boundary", func(t *testing.T) {
		clock := received
		ds := open(t, time.Hour, &clock)
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
		ds := open(t, 0, &clock)
		old := journey.Delivery{ID: "d1", RunID: "run-1", ReceivedAt: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := ds.PutDelivery(t.Context(), old); err != nil {
			t.Fatal(err)
		}
		if got, _, err := ds.Deliveries(t.Context(), "run-1", "", 0); err != nil || len(got) != 1 {
			t.Errorf("Deliveries = %d, %v; want the delivery kept without a TTL", len(got), err)
		}
	})
}
