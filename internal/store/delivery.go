package store

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// DefaultDeliveryTTL is how long sink deliveries are kept when no TTL option says otherwise.
const DefaultDeliveryTTL = 7 * 24 * time.Hour

// DeliveryStore keeps the notifications the sink received, per run, so a
// journey in one process can await what the sink in another received.
//
// A delivery's position is its sort key "T#ID": T is ReceivedAt in the
// fixed-width UTC layout of the key scheme, ID the delivery's ID. Positions
// sort by time, then ID; cursors are positions (or any string: a cursor
// "T" without "#ID" selects every delivery received at or after T).
type DeliveryStore interface {
	// PutDelivery stores d once; ErrExists if a delivery with the same ID
	// and ReceivedAt is stored, ErrInvalid if d fails ValidateDelivery.
	PutDelivery(ctx context.Context, d journey.Delivery) error
	// Deliveries returns runID's deliveries whose position sorts after
	// after ("" = from the start), oldest first, at most limit (0 = no
	// limit), and the position of the last one returned (after itself when
	// none is). An unknown run has no deliveries; that is not an error.
	// Expired deliveries are never returned, nor counted in limit, though
	// the store may still hold them.
	Deliveries(ctx context.Context, runID, after string, limit int) ([]journey.Delivery, string, error)
}

// DeliveryPosition returns d's position in its run's deliveries.
func DeliveryPosition(d journey.Delivery) string { return TimeKey(d.ReceivedAt) + "#" + d.ID }
