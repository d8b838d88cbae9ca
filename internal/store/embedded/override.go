package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
)

// bOverrides holds overrides keyed deployment NUL T(At). It was added
// without a schema bump: PutOverride creates it, and reads of a file
// without it find no overrides.
var bOverrides = []byte("overrides")

var (
	_ store.OverrideStore  = (*Store)(nil)
	_ store.VerdictReviser = (*Store)(nil)
)

// PutOverride records o under its deployment and At; ErrExists if that key is taken.
func (e *Store) PutOverride(ctx context.Context, o gate.Override) error {
	if err := store.ValidateOverride(o); err != nil {
		return err
	}
	k := key(o.Deployment, store.TimeKey(o.At))
	return e.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bOverrides)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bOverrides, err)
		}
		if b.Get(k) != nil {
			return fmt.Errorf("override of deployment %q at %s: %w", o.Deployment, store.TimeKey(o.At), store.ErrExists)
		}
		return put(b, k, o)
	})
}

// Overrides returns deployment's overrides, oldest At first.
func (e *Store) Overrides(ctx context.Context, deployment string) ([]gate.Override, error) {
	if err := store.CheckName("deployment", deployment, true); err != nil {
		return nil, err
	}
	var out []gate.Override
	err := e.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bOverrides)
		if b == nil {
			return nil
		}
		pre := prefix(deployment)
		c := b.Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			var o gate.Override
			if err := decode(k, v, &o); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// ReviseVerdict replaces the run's verdict and appends the old one to its
// revisions in one transaction.
func (e *Store) ReviseVerdict(ctx context.Context, runID string, seen int, v gate.Verdict, at time.Time, by, why string) error {
	if err := store.ValidateRevision(runID, seen, v, at, by, why); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		run, err := getRun(tx, runID)
		if err != nil {
			return err
		}
		rev, err := store.RevisionFor(run, seen, at, by, why)
		if err != nil {
			return err
		}
		run.Revisions = append(run.Revisions, rev)
		run.Verdict = &v
		runs, err := bucket(tx, bRuns)
		if err != nil {
			return err
		}
		return put(runs, []byte(runID), run)
	})
}
