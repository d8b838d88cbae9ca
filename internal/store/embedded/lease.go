package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
)

// bLeases holds leases keyed environment NUL pool NUL resource. It was
// added without a schema bump: AcquireLease creates it, and reads of a file
// without it find no leases.
var bLeases = []byte("leases")

var _ store.LeaseStore = (*Store)(nil)

func leaseKey(l store.Lease) []byte { return key(l.Environment, l.Pool, l.Resource) }

// AcquireLease records l in one transaction if the resource's stored lease
// is absent or expired before l.AcquiredAt.
func (e *Store) AcquireLease(ctx context.Context, l store.Lease) error {
	if err := store.ValidateLease(l); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bLeases)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bLeases, err)
		}
		k := leaseKey(l)
		if v := b.Get(k); v != nil {
			var stored store.Lease
			if err := decode(k, v, &stored); err != nil {
				return err
			}
			if !store.LeaseFree(stored, l.AcquiredAt) {
				return fmt.Errorf("%s: %w", store.DescribeLease(l), store.ErrLeased)
			}
		}
		return put(b, k, l)
	})
}

// heldLease returns the stored lease of l's resource if l.Holder holds it.
func heldLease(b *bolt.Bucket, l store.Lease) (store.Lease, error) {
	var stored store.Lease
	if b == nil {
		return stored, fmt.Errorf("%s by %q: %w", store.DescribeLease(l), l.Holder, store.ErrNotHeld)
	}
	k := leaseKey(l)
	v := b.Get(k)
	if v == nil {
		return stored, fmt.Errorf("%s by %q: %w", store.DescribeLease(l), l.Holder, store.ErrNotHeld)
	}
	if err := decode(k, v, &stored); err != nil {
		return stored, err
	}
	if stored.Holder != l.Holder {
		return stored, fmt.Errorf("%s by %q: %w", store.DescribeLease(l), l.Holder, store.ErrNotHeld)
	}
	return stored, nil
}

// RenewLease moves the expiry of the holder's lease in one transaction.
func (e *Store) RenewLease(ctx context.Context, l store.Lease, until time.Time) error {
	if err := store.ValidateRenewal(l, until); err != nil {
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
func (e *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if err := store.ValidateLeaseKey(l); err != nil {
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
func (e *Store) Leases(ctx context.Context, environment, pool string) ([]store.Lease, error) {
	if err := store.ValidatePool(environment, pool); err != nil {
		return nil, err
	}
	var out []store.Lease
	err := e.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bLeases)
		if b == nil {
			return nil
		}
		pre := prefix(environment, pool)
		c := b.Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			var l store.Lease
			if err := decode(k, v, &l); err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}
