package embedded

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// groupCommit collects the writes of concurrent callers so that one
// transaction (one file open, one sync) commits all of them: the local
// runner records up to Concurrency results at once, and a sync per result
// would make the disk, not the journeys, set the pace.
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupWrite
	leading bool
	// txs counts the transactions committed or tried, for tests.
	txs atomic.Int64
}

// groupWrite is one caller's write, waiting for its group's commit.
type groupWrite struct {
	ctx  context.Context
	fn   func(*bolt.Tx) error
	done chan error
}

// failedWrite says which write of a group failed, and how.
type failedWrite struct {
	i   int
	err error
}

func (f *failedWrite) Error() string { return f.err.Error() }

// updateGrouped runs fn in a read-write transaction like update, but
// commits it together with the writes of concurrent callers. fn must
// depend only on the transaction: it may run again in a later group when
// another write of its group fails. The writes of a group apply in
// arrival order, so of two conflicting writes the first wins and the other
// sees its effect (ErrExists), exactly as if they had run one by one.
func (e *Store) updateGrouped(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g := &e.group
	g.mu.Lock()
	g.pending = append(g.pending, w)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		// The first caller commits what is pending, then whatever arrived
		// meanwhile, until nothing is left; it returns with the others.
		go e.drainGroups()
	}
	return <-w.done
}

// drainGroups commits pending groups until none is left.
func (e *Store) drainGroups() {
	g := &e.group
	for {
		g.mu.Lock()
		group := g.pending
		g.pending = nil
		if len(group) == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		e.commitGroup(group)
	}
}

// commitGroup commits group's writes in one transaction. A write whose fn
// fails gets its error (its effect is rolled back with the transaction)
// and the others are committed again without it.
func (e *Store) commitGroup(group []*groupWrite) {
	for len(group) > 0 {
		live := group[:0:0]
		for _, w := range group {
			if err := e.ready(w.ctx); err != nil {
				w.done <- err
				continue
			}
			live = append(live, w)
		}
		if len(live) == 0 {
			return
		}
		// A lone write waits for the file lock under its own context, as
		// update does; a group under none but the lock timeout, so one
		// caller giving up cannot fail the others.
		ctx := context.Background()
		if len(live) == 1 {
			ctx = live[0].ctx
		}
		e.mu.Lock()
		e.group.txs.Add(1)
		err := e.with(ctx, false, func(db *bolt.DB) error {
			return db.Update(func(tx *bolt.Tx) error {
				for i, w := range live {
					if err := w.fn(tx); err != nil {
						return &failedWrite{i: i, err: err}
					}
				}
				return nil
			})
		})
		e.mu.Unlock()
		var failed *failedWrite
		switch {
		case err == nil:
			for _, w := range live {
				w.done <- nil
			}
			return
		case errors.As(err, &failed):
			live[failed.i].done <- failed.err
			group = append(live[:failed.i:failed.i], live[failed.i+1:]...)
		default:
			// The file could not be opened or the commit failed: nothing
			// of the group was written.
			for _, w := range live {
				w.done <- err
			}
			return
		}
	}
}
