package store

import (
	"fmt"
	"time"
)

// TimeLayout is fixed-width, so keys sort by time as bytes (always UTC).
// Both backends' key schemes use it (doc.go), and a delivery's position.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// TimeKey formats t in TimeLayout, in UTC.
func TimeKey(t time.Time) string { return t.UTC().Format(TimeLayout) }

// AttemptKey formats an attempt zero-padded to six digits, so attempts sort
// numerically as bytes.
func AttemptKey(n int) string { return fmt.Sprintf("%06d", n) }

// Expiry is the expiresAt (TTL) value of a record that expires ttl after
// from: epoch seconds, or 0 (omitted) without a TTL.
func Expiry(from time.Time, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return from.Add(ttl).Unix()
}
