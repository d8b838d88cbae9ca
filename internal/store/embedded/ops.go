package embedded

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// CreateRun stores a new run and its time indexes; ErrExists if the ID is taken.
func (e *Store) CreateRun(ctx context.Context, r store.RunRecord) error {
	if err := r.Validate(); err != nil {
		return err
	}
	id, tk := []byte(r.ID), store.TimeKey(r.StartedAt)
	return e.update(ctx, func(tx *bolt.Tx) error {
		runs, err := bucket(tx, bRuns)
		if err != nil {
			return err
		}
		if runs.Get(id) != nil {
			return fmt.Errorf("run %q: %w", r.ID, store.ErrExists)
		}
		if err := put(runs, id, r); err != nil {
			return err
		}
		return putIndex(tx, id, map[string][]byte{
			string(bRunsByTime): key(tk, r.ID),
			string(bRunsByEnv):  key(r.Environment, tk, r.ID),
		})
	})
}

// PutResult stores a result and its history indexes; ErrExists on a duplicate, ErrNotFound without its run.
func (e *Store) PutResult(ctx context.Context, r journey.Result) error {
	if err := store.ValidateResult(r); err != nil {
		return err
	}
	rk, tk, at := resultKey(r.RunID, r.Journey, r.Attempt), store.TimeKey(r.StartedAt), store.AttemptKey(r.Attempt)
	return e.updateGrouped(ctx, func(tx *bolt.Tx) error {
		run, err := getRun(tx, r.RunID)
		if err != nil {
			return err
		}
		if err := store.CheckResultEnvironment(r, run); err != nil {
			return err
		}
		results, err := bucket(tx, bResults)
		if err != nil {
			return err
		}
		if results.Get(rk) != nil {
			return fmt.Errorf("result %s/%s attempt %d: %w", r.RunID, r.Journey, r.Attempt, store.ErrExists)
		}
		if err := put(results, rk, r); err != nil {
			return err
		}
		return putIndex(tx, rk, map[string][]byte{
			string(bHistory):             key(tk, r.RunID, r.Journey, at),
			string(bHistoryByJourney):    key(r.Journey, tk, r.RunID, at),
			string(bHistoryByEnv):        key(r.Environment, tk, r.RunID, r.Journey, at),
			string(bHistoryByEnvJourney): key(r.Environment, r.Journey, tk, r.RunID, at),
		})
	})
}

// PutVerdict records the run's verdict and finish time once; ErrExists on a second call, ErrNotFound without the run.
func (e *Store) PutVerdict(ctx context.Context, runID string, v gate.Verdict, finishedAt time.Time) error {
	if err := store.ValidateVerdict(runID, v, finishedAt); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		run, err := getRun(tx, runID)
		if err != nil {
			return err
		}
		if run.Verdict != nil {
			return fmt.Errorf("verdict for run %q: %w", runID, store.ErrExists)
		}
		run.Verdict, run.FinishedAt = &v, finishedAt
		runs, err := bucket(tx, bRuns)
		if err != nil {
			return err
		}
		return put(runs, []byte(runID), run)
	})
}

// GetRun returns the run; ErrNotFound if it does not exist.
func (e *Store) GetRun(ctx context.Context, runID string) (store.RunRecord, error) {
	if err := store.ValidateRunID(runID); err != nil {
		return store.RunRecord{}, err
	}
	var run store.RunRecord
	err := e.view(ctx, func(tx *bolt.Tx) (err error) {
		run, err = getRun(tx, runID)
		return err
	})
	return run, err
}

// Results returns the run's results sorted by journey, then attempt; ErrNotFound if the run does not exist.
func (e *Store) Results(ctx context.Context, runID string) ([]journey.Result, error) {
	_, out, err := e.RunResults(ctx, runID)
	return out, err
}

// RunResults returns the run and its results in one read transaction; ErrNotFound if the run does not exist.
func (e *Store) RunResults(ctx context.Context, runID string) (store.RunRecord, []journey.Result, error) {
	if err := store.ValidateRunID(runID); err != nil {
		return store.RunRecord{}, nil, err
	}
	var run store.RunRecord
	var out []journey.Result
	err := e.view(ctx, func(tx *bolt.Tx) (err error) {
		if run, err = getRun(tx, runID); err != nil {
			return err
		}
		results, err := bucket(tx, bResults)
		if err != nil {
			return err
		}
		pre := prefix(runID)
		c := results.Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			var r journey.Result
			if err := decode(k, v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return store.RunRecord{}, nil, err
	}
	return run, out, nil
}

// History returns matching results newest first, scanning only the index that fits the query.
func (e *Store) History(ctx context.Context, q store.HistoryQuery) ([]journey.Result, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	index, pre := bHistory, prefix()
	switch {
	case q.Journey != "" && q.Environment != "":
		index, pre = bHistoryByEnvJourney, prefix(q.Environment, q.Journey)
	case q.Journey != "":
		index, pre = bHistoryByJourney, prefix(q.Journey)
	case q.Environment != "":
		index, pre = bHistoryByEnv, prefix(q.Environment)
	}
	var out []journey.Result
	err := e.view(ctx, func(tx *bolt.Tx) error {
		idx, err := bucket(tx, index)
		if err != nil {
			return err
		}
		results, err := bucket(tx, bResults)
		if err != nil {
			return err
		}
		return scanDesc(idx, pre, since(q.Since), func(rk []byte) (bool, error) {
			data := results.Get(rk)
			if data == nil {
				return false, fmt.Errorf("index %s: result %q missing", index, rk)
			}
			var r journey.Result
			if err := decode(rk, data, &r); err != nil {
				return false, err
			}
			out = append(out, r)
			return q.Limit == 0 || len(out) < q.Limit, nil
		})
	})
	return out, err
}

// RecentRuns returns matching runs newest first, scanning only the index that fits the query.
func (e *Store) RecentRuns(ctx context.Context, q store.RunQuery) ([]store.RunRecord, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	index, pre := bRunsByTime, prefix()
	if q.Environment != "" {
		index, pre = bRunsByEnv, prefix(q.Environment)
	}
	var out []store.RunRecord
	err := e.view(ctx, func(tx *bolt.Tx) error {
		idx, err := bucket(tx, index)
		if err != nil {
			return err
		}
		return scanDesc(idx, pre, since(q.Since), func(id []byte) (bool, error) {
			run, err := getRun(tx, string(id))
			if err != nil {
				return false, fmt.Errorf("index %s: %w", index, err)
			}
			out = append(out, run)
			return q.Limit == 0 || len(out) < q.Limit, nil
		})
	})
	return out, err
}

func getRun(tx *bolt.Tx, runID string) (store.RunRecord, error) {
	runs, err := bucket(tx, bRuns)
	if err != nil {
		return store.RunRecord{}, err
	}
	data := runs.Get([]byte(runID))
	if data == nil {
		return store.RunRecord{}, fmt.Errorf("run %q: %w", runID, store.ErrNotFound)
	}
	var run store.RunRecord
	err = decode([]byte(runID), data, &run)
	return run, err
}

// putIndex writes one index entry per bucket, each pointing at target.
func putIndex(tx *bolt.Tx, target []byte, entries map[string][]byte) error {
	for name, k := range entries {
		b, err := bucket(tx, []byte(name))
		if err != nil {
			return err
		}
		if err := b.Put(k, target); err != nil {
			return fmt.Errorf("index %s: %w", name, err)
		}
	}
	return nil
}

// MarkReported sets the run's ReportedAt once; ErrNotFound without the run.
func (e *Store) MarkReported(ctx context.Context, runID string, at time.Time) error {
	if err := store.ValidateRunID(runID); err != nil {
		return err
	}
	return e.update(ctx, func(tx *bolt.Tx) error {
		run, err := getRun(tx, runID)
		if err != nil {
			return err
		}
		if !run.ReportedAt.IsZero() {
			return nil
		}
		run.ReportedAt = at.UTC()
		runs, err := bucket(tx, bRuns)
		if err != nil {
			return err
		}
		return put(runs, []byte(runID), run)
	})
}
