package embedded

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
)

var _ store.RunPrefixFinder = (*Store)(nil)

// RunIDsWithPrefix returns the IDs of the runs that start with prefix,
// sorted, at most limit (0 = no limit): one scan of the runs bucket from
// prefix on.
func (e *Store) RunIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	if err := store.CheckName("run ID prefix", prefix, true); err != nil {
		return nil, err
	}
	var ids []string
	err := e.view(ctx, func(tx *bolt.Tx) error {
		runs, err := bucket(tx, bRuns)
		if err != nil {
			return err
		}
		pre := []byte(prefix)
		c := runs.Cursor()
		for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
			ids = append(ids, string(k))
			if limit > 0 && len(ids) >= limit {
				break
			}
		}
		return nil
	})
	return ids, err
}
