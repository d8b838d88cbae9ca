package dynamo

import (
	"fmt"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/storetest"
	"github.com/journeygate/journeygate/test/dynalite"
)

// TestDeliveryExpiryAgrees pins when a delivery stops being returned, by
// the rule the embedded store follows too (storetest.RunDeliveryExpiry).
func TestDeliveryExpiryAgrees(t *testing.T) {
	client := dynalite.Start(t).Client()
	tables := 0
	storetest.RunDeliveryExpiry(t, func(t *testing.T, ttl time.Duration, clock *time.Time) store.DeliveryStore {
		tables++
		table := fmt.Sprintf("expiry-%d", tables)
		if err := CreateTable(t.Context(), client, table); err != nil {
			t.Fatal(err)
		}
		d := New(client, table, WithDeliveryTTL(ttl))
		d.now = func() time.Time { return *clock }
		return d
	})
}
