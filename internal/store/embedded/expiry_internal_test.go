package embedded

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/storetest"
	"github.com/journeygate/journeygate/shared/journey"
)

// TestDeliveryExpiryAgrees pins when a delivery stops being returned, by
// the rule the DynamoDB store follows too (storetest.RunDeliveryExpiry).
func TestDeliveryExpiryAgrees(t *testing.T) {
	storetest.RunDeliveryExpiry(t, func(t *testing.T, ttl time.Duration, clock *time.Time) store.DeliveryStore {
		e, err := Open(filepath.Join(t.TempDir(), "x.db"), WithDeliveryTTL(ttl))
		if err != nil {
			t.Fatal(err)
		}
		e.now = func() time.Time { return *clock }
		return e
	})
}

// TestDeliveryWithoutExpiry reads a delivery stored before deliveries
// expired (no expiresAt): it never expires.
func TestDeliveryWithoutExpiry(t *testing.T) {
	e, err := Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	d := journey.Delivery{ID: "d1", RunID: "run-1", ReceivedAt: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), Body: []byte(`{"old":true}`)}
	err = e.update(t.Context(), func(tx *bolt.Tx) error {
		b, err := bucket(tx, bDeliveries)
		if err != nil {
			return err
		}
		return put(b, key(d.RunID, store.DeliveryPosition(d)), d) // the old record: the delivery alone
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := e.Deliveries(t.Context(), "run-1", "", 0)
	if err != nil || len(got) != 1 || string(got[0].Body) != `{"old":true}` {
		t.Errorf("Deliveries = %+v, %v; want the old delivery", got, err)
	}
}
