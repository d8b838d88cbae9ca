package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
)

// bPages holds page records keyed environment NUL journey. It was added
// without a schema bump: PutPage creates it, and reads of a file without
// it find no page records.
var bPages = []byte("pages")

var _ store.PageStore = (*Store)(nil)

// LastPage returns the page record of journey in environment; ErrNotFound if none.
func (e *Store) LastPage(ctx context.Context, environment, journey string) (store.PageRecord, error) {
	if err := store.ValidatePageKey(environment, journey); err != nil {
		return store.PageRecord{}, err
	}
	var p store.PageRecord
	err := e.view(ctx, func(tx *bolt.Tx) error {
		var v []byte
		k := key(environment, journey)
		if b := tx.Bucket(bPages); b != nil {
			v = b.Get(k)
		}
		if v == nil {
			return fmt.Errorf("%s: %w", store.DescribePage(environment, journey), store.ErrNotFound)
		}
		return decode(k, v, &p)
	})
	return p, err
}

// PutPage writes p in one transaction, replacing the pair's record.
func (e *Store) PutPage(ctx context.Context, p store.PageRecord) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bPages)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bPages, err)
		}
		return put(b, key(p.Environment, p.Journey), p)
	})
}
