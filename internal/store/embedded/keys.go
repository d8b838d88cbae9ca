package embedded

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
)

// schemaVersion is stored under meta/schema; bump it when the key scheme changes.
const schemaVersion = "1"

// Bucket names; doc.go describes their keys.
var (
	bMeta                = []byte("meta")
	bRuns                = []byte("runs")
	bRunsByTime          = []byte("runs_by_time")
	bRunsByEnv           = []byte("runs_by_env")
	bResults             = []byte("results")
	bHistory             = []byte("history")
	bHistoryByJourney    = []byte("history_by_journey")
	bHistoryByEnv        = []byte("history_by_env")
	bHistoryByEnvJourney = []byte("history_by_env_journey")
	// bDeliveries was added without a schema bump: Open creates it
	// in older files, and older binaries ignore it.
	bDeliveries = []byte("deliveries")

	allBuckets = [][]byte{bMeta, bRuns, bRunsByTime, bRunsByEnv, bResults,
		bHistory, bHistoryByJourney, bHistoryByEnv, bHistoryByEnvJourney, bDeliveries}
)

// key joins parts with NUL, which validation keeps out of names.
func key(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}

// prefix is key(parts...) followed by the separator, or empty for no parts.
func prefix(parts ...string) []byte {
	if len(parts) == 0 {
		return nil
	}
	return append(key(parts...), 0)
}

func resultKey(runID, journeyName string, attempt int) []byte {
	return key(runID, journeyName, store.AttemptKey(attempt))
}

func initSchema(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bMeta)
	switch v := meta.Get([]byte("schema")); {
	case v == nil:
		return meta.Put([]byte("schema"), []byte(schemaVersion))
	case string(v) != schemaVersion:
		return fmt.Errorf("unsupported schema version %q (want %s)", v, schemaVersion)
	}
	return nil
}

// bucket returns a bucket that initSchema created.
func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("bucket %s missing: file is not a journeygate store", name)
	}
	return b, nil
}

// scanDesc calls fn for each value whose key starts with pre and sorts at or
// after pre+lower, from the largest key down, until fn returns false.
func scanDesc(b *bolt.Bucket, pre []byte, lower string, fn func(v []byte) (bool, error)) error {
	low := append(append([]byte{}, pre...), lower...)
	c := b.Cursor()
	var k, v []byte
	if end := prefixEnd(pre); end == nil {
		k, v = c.Last()
	} else if k, _ = c.Seek(end); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, pre) && bytes.Compare(k, low) >= 0; k, v = c.Prev() {
		more, err := fn(v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key starting with p, or nil if none.
func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func put(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", k, err)
	}
	return b.Put(k, data)
}

func decode(k, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %q: %w", k, err)
	}
	return nil
}

// since returns the lower time bound for a scan ("" = none).
func since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.TimeKey(t)
}
