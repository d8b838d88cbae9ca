package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bLeases holds leases keyed environment NUL pool NUL resource. It was
// added without a schema bump: AcquireLease creates it, and reads of a file
// without it find no leases.
var bLeases = []byte("leases")

var _ LeaseStore = (*Embedded)(nil)

func leaseKey(l Lease) []byte { return key(l.Environment, l.Pool, l.Resource) }

func leaseWhat(l Lease) string {
	return fmt.Sprintf("lease of %s/%s/%s", l.Environment, l.Pool, l.Resource)
}

// AcquireLease records l in one transaction if the resource's stored lease
// is absent or expired before l.AcquiredAt.
func (e *Embedded) AcquireLease(ctx context.Context, l Lease) error {
	if err := ValidateLease(l); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bLeases)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bLeases, err)
		}
		k := leaseKey(l)
		if v := b.Get(k); v != nil {
			var stored Lease
			if err := decode(k, v, &stored); err != nil {
				return err
			}
			if !leaseFree(stored, l.AcquiredAt) {
				return fmt.Errorf("%s: %w", leaseWhat(l), ErrLeased)
			}
		}
		return put(b, k, l)
	})
}

// heldLease returns the stored lease of l's resource if l.Holder holds it.
func heldLease(b *bolt.Bucket, l Lease) (Lease, error) {
	var stored Lease
	if b == nil {
		return stored, fmt.Errorf("%s by %q: %w", leaseWhat(l), l.Holder, ErrNotHeld)
	}
	k := leaseKey(l)
	v := b.Get(k)
	if v == nil {
		return stored, fmt.Errorf("%s by %q: %w", leaseWhat(l), l.Holder, ErrNotHeld)
	}
	if err := decode(k, v, &stored); err != nil {
		return stored, err
	}
	if stored.Holder != l.Holder {
		return stored, fmt.Errorf("%s by %q: %w", leaseWhat(l), l.Holder, ErrNotHeld)
	}
	return stored, nil
}

// RenewLease moves the expiry of the holder's lease in one transaction.
func (e *Embedded) RenewLease(ctx context.Context, l Lease, until time.Time) error {
	if err := validateRenewal(l, until); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bLeases)
		stored, err := heldLease(b, l)
		if err != nil {
			return err
		}
		stored.ExpiresAt = until
		return put(b, leaseKey(l), stored)
	})
}

// ReleaseLease deletes the holder's lease in one transaction.
func (e *Embedded) ReleaseLease(ctx context.Context, l Lease) error {
	if err := validateLeaseKey(l); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bLeases)
		if _, err := heldLease(b, l); err != nil {
			return err
		}
		return b.Delete(leaseKey(l))
	})
}

// Leases returns the pool's recorded leases, sorted by resource.
func (e *Embedded) Leases(ctx context.Context, environment, pool string) ([]Lease, error) {
	if err := validatePool(environment, pool); err != nil {
		return nil, err
	}
	var out []Lease
	err := e.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bLeases)
		if b == nil {
			return nil
		}
		pre := prefix(environment, pool)
		c := b.Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			var l Lease
			if err := decode(k, v, &l); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}
