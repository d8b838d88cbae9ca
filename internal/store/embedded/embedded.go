package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/poll"
)

// DefaultPath is where the CLI keeps its embedded store, relative to the working directory.
const DefaultPath = ".journeygate/journeygate.db"

// DefaultLockTimeout is how long an operation waits for another process to release the store file.
const DefaultLockTimeout = 10 * time.Second

// ErrLockTimeout means another process held the store file for longer than the lock timeout.
var ErrLockTimeout = errors.New("store file locked by another process")

// lockBackoff re-tries a held file lock quickly: operations hold it for milliseconds.
var lockBackoff = poll.Backoff{First: time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}

// Option configures Open.
type Option func(*Store)

// WithLockTimeout sets how long each operation waits for the file lock (default DefaultLockTimeout).
func WithLockTimeout(d time.Duration) Option {
	return func(e *Store) { e.lockTimeout = d }
}

// Store is a store.Store in one bbolt file that several processes may share.
//
// bbolt locks the file exclusively while it is open, so Store opens it
// for each operation and closes it afterwards: concurrent processes take
// turns instead of failing. Within a process, operations are serialised
// (reads share) before the file lock is taken.
type Store struct {
	path        string
	lockTimeout time.Duration
	deliveryTTL time.Duration
	now         func() time.Time // when reads decide a delivery expired
	mu          sync.RWMutex
	closed      atomic.Bool
	group       groupCommit // concurrent PutResults, committed together
}

var _ store.Store = (*Store)(nil)

// Open prepares the store file at path, creating it and its parent directories if needed.
func Open(path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("open embedded store: path is empty")
	}
	e := &Store{path: path, lockTimeout: DefaultLockTimeout, deliveryTTL: store.DefaultDeliveryTTL, now: time.Now}
	for _, o := range opts {
		o(e)
	}
	if e.lockTimeout <= 0 {
		return nil, fmt.Errorf("open embedded store %s: lock timeout %s must be positive", path, e.lockTimeout)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	if err := e.update(context.Background(), initSchema); err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	return e, nil
}

// Path returns the store file's path.
func (e *Store) Path() string { return e.path }

// Close marks the store closed; the file is never held between operations.
func (e *Store) Close() error {
	e.closed.Store(true)
	return nil
}

func (e *Store) ready(ctx context.Context) error {
	if e.closed.Load() {
		return fmt.Errorf("embedded store %s: %w", e.path, store.ErrClosed)
	}
	return ctx.Err()
}

// update runs fn in one read-write transaction, which commits atomically.
func (e *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.with(ctx, false, func(db *bolt.DB) error { return db.Update(fn) })
}

// view runs fn in one read-only transaction.
func (e *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.with(ctx, true, func(db *bolt.DB) error { return db.View(fn) })
}

// with opens the file, runs fn and closes the file even if fn panics.
func (e *Store) with(ctx context.Context, readOnly bool, fn func(*bolt.DB) error) (err error) {
	db, err := e.open(ctx, readOnly)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", e.path, cerr)
		}
	}()
	return fn(db)
}

// open takes the file lock, retrying with short waits until the lock timeout or ctx ends.
func (e *Store) open(ctx context.Context, readOnly bool) (*bolt.DB, error) {
	// A timeout shorter than bbolt's retry interval makes Open try the lock once.
	opts := &bolt.Options{Timeout: time.Nanosecond, ReadOnly: readOnly}
	lctx, cancel := context.WithTimeout(ctx, e.lockTimeout)
	defer cancel()
	var db *bolt.DB
	err := poll.Until(lctx, lockBackoff, func(context.Context) error {
		d, err := bolt.Open(e.path, 0o600, opts)
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return err
		case err != nil:
			return poll.Stop(err)
		}
		db = d
		return nil
	})
	var te *poll.TimeoutError
	switch {
	case err == nil:
		return db, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("open %s: waiting for file lock: %w", e.path, ctx.Err())
	case errors.As(err, &te):
		return nil, fmt.Errorf("open %s: %w (waited %s)", e.path, ErrLockTimeout, e.lockTimeout)
	default:
		return nil, fmt.Errorf("open %s: %w", e.path, err)
	}
}
