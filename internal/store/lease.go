package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Lease errors; match them with errors.Is.
var (
	// ErrLeased means AcquireLease lost: another holder's lease on the
	// resource has not expired.
	ErrLeased = errors.New("leased by another holder")
	// ErrNotHeld means RenewLease or ReleaseLease was called by someone
	// who does not hold the lease: never acquired, released, or reclaimed
	// by another holder after it expired.
	ErrNotHeld = errors.New("lease not held by this holder")
)

// MaxLeaseDuration bounds how far past its AcquiredAt (or its renewal) a
// lease may expire.
const MaxLeaseDuration = 24 * time.Hour

// Lease is one resource of a pool held exclusively by one holder until
// ExpiresAt. A resource is free when it has no lease, its lease was
// released, or its lease expired: a holder that died loses the resource
// once its lease expires.
type Lease struct {
	// Environment is the environment whose pool the resource belongs to.
	Environment string `json:"environment"`
	// Pool names the pool, e.g. "tenants".
	Pool string `json:"pool"`
	// Resource is the resource's ID within the pool, e.g. "tenant-a".
	Resource string `json:"resource"`
	// Holder identifies who holds it; it must be unique per acquisition,
	// since only the holder may renew or release the lease.
	Holder string `json:"holder"`
	// AcquiredAt is when the holder took it, by the holder's clock: a
	// lease that expired before AcquiredAt is reclaimed.
	AcquiredAt time.Time `json:"acquiredAt"`
	// ExpiresAt is when the lease ends unless renewed.
	ExpiresAt time.Time `json:"expiresAt"`
}

// LeaseStore leases pooled test resources with conditional single-record
// writes, kept apart from Store so stores and fakes that need none stay
// small. Both backends implement it; storetest.RunLeases checks them.
type LeaseStore interface {
	// AcquireLease records l if its resource is free at l.AcquiredAt;
	// ErrLeased if another lease on it expires at or after l.AcquiredAt
	// (one still held by l.Holder included), ErrInvalid for a bad l.
	AcquireLease(ctx context.Context, l Lease) error
	// RenewLease moves the expiry of l's lease to until, if l.Holder still
	// holds it; ErrNotHeld otherwise.
	RenewLease(ctx context.Context, l Lease, until time.Time) error
	// ReleaseLease frees l's resource if l.Holder holds it; ErrNotHeld
	// otherwise (a release by anyone else never frees it).
	ReleaseLease(ctx context.Context, l Lease) error
	// Leases returns the leases recorded in a pool, released ones
	// excluded, expired ones included, sorted by resource.
	Leases(ctx context.Context, environment, pool string) ([]Lease, error)
}

// ValidateLease reports whether AcquireLease can record l.
func ValidateLease(l Lease) error {
	if err := ValidateLeaseKey(l); err != nil {
		return err
	}
	if err := checkTime("Lease.AcquiredAt", l.AcquiredAt, true); err != nil {
		return err
	}
	return checkLeaseExpiry(l.AcquiredAt, l.ExpiresAt)
}

// validateLeaseKey checks what identifies a lease and its holder.
func ValidateLeaseKey(l Lease) error {
	for _, f := range []struct{ field, v string }{
		{"Lease.Environment", l.Environment}, {"Lease.Pool", l.Pool},
		{"Lease.Resource", l.Resource}, {"Lease.Holder", l.Holder},
	} {
		if err := CheckName(f.field, f.v, true); err != nil {
			return err
		}
	}
	return nil
}

// checkLeaseExpiry checks that a lease taken or renewed at from may end at
// until.
func checkLeaseExpiry(from, until time.Time) error {
	if err := checkTime("Lease.ExpiresAt", until, true); err != nil {
		return err
	}
	switch d := until.Sub(from); {
	case d <= 0:
		return Invalidf("Lease.ExpiresAt", "%s is not after %s", until.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	case d > MaxLeaseDuration:
		return Invalidf("Lease.ExpiresAt", "is %s after %s, at most %s allowed", d, from.Format(time.RFC3339Nano), MaxLeaseDuration)
	}
	return nil
}

// validateRenewal checks a RenewLease call. until is not compared with a
// clock: the holder's clock is the one that counts.
func ValidateRenewal(l Lease, until time.Time) error {
	if err := ValidateLeaseKey(l); err != nil {
		return err
	}
	return checkTime("until", until, true)
}

// validatePool checks a Leases call.
func ValidatePool(environment, pool string) error {
	if err := CheckName("environment", environment, true); err != nil {
		return err
	}
	return CheckName("pool", pool, true)
}

// leaseFree reports whether a stored lease lets another holder acquire at
// now: it expired strictly before now.
func LeaseFree(stored Lease, now time.Time) bool {
	return stored.ExpiresAt.Before(now)
}

// DescribeLease names l's resource in errors: "lease of env/pool/resource".
func DescribeLease(l Lease) string {
	return fmt.Sprintf("lease of %s/%s/%s", l.Environment, l.Pool, l.Resource)
}
