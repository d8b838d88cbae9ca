package embedded

import (
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// TestEmbeddedGroupCommit holds the store while writers queue up, then
// checks that they were committed together, each with the outcome it would
// have had alone: the first of two duplicates wins, a result of an unknown
// run or of another environment fails, and none of that fails the others.
func TestEmbeddedGroupCommit(t *testing.T) {
	e, err := Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := e.CreateRun(t.Context(), store.RunRecord{ID: "run-1", Environment: "local", Trigger: trigger.Trigger{Type: trigger.CLI}, StartedAt: at}); err != nil {
		t.Fatal(err)
	}
	res := func(run, env, name string) journey.Result {
		return journey.Result{RunID: run, Journey: name, Environment: env, Attempt: 1, StartedAt: at, Outcome: journey.Passed}
	}
	writes := []struct {
		r    journey.Result
		want error
	}{
		{res("run-1", "local", "first"), nil}, // commits alone while the others queue
		{res("run-1", "local", "a"), nil},
		{res("run-1", "local", "dup"), nil},
		{res("run-1", "local", "b"), nil},
		{res("run-x", "local", "c"), store.ErrNotFound},
		{res("run-1", "local", "dup"), store.ErrExists},
		{res("run-1", "staging", "d"), store.ErrInvalid},
		{res("run-1", "local", "e"), nil},
	}
	before := e.group.txs.Load()
	e.mu.Lock() // the first writer's transaction waits for this
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() { errs[i] = e.PutResult(t.Context(), w.r) })
		// Queue them in order: wait until this writer is pending or leading.
		for deadline := time.Now().Add(5 * time.Second); ; {
			e.group.mu.Lock()
			n, leading := len(e.group.pending), e.group.leading
			e.group.mu.Unlock()
			if i == 0 && leading && n == 0 || i > 0 && n == i {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("writer %d never queued (%d pending)", i, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	e.mu.Unlock()
	wg.Wait()
	for i, w := range writes {
		if w.want == nil && errs[i] != nil || w.want != nil && !errors.Is(errs[i], w.want) {
			t.Errorf("writer %d (%s/%s in %s): error = %v, want %v", i, w.r.RunID, w.r.Journey, w.r.Environment, errs[i], w.want)
		}
	}
	// One for the first writer, one for the rest and one more for each of
	// the three that failed.
	if got := e.group.txs.Load() - before; got != 5 {
		t.Errorf("%d transactions for %d writes, want 5", got, len(writes))
	}
	got, err := e.Results(t.Context(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Journey)
	}
	if want := []string{"a", "b", "dup", "e", "first"}; !slices.Equal(names, want) {
		t.Errorf("stored %v, want %v", names, want)
	}
}
