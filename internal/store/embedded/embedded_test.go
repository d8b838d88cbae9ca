package embedded_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

var t0 = time.Date(2025, time.March, 14, 9, 0, 0, 0, time.UTC)

func openTemp(t testing.TB, opts ...embedded.Option) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "x.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func runRecord(id string) store.RunRecord {
	return store.RunRecord{ID: id, Environment: "local", Trigger: trigger.Trigger{Type: trigger.CLI}, StartedAt: t0}
}

func result(runID, name string, attempt int) journey.Result {
	return journey.Result{
		RunID: runID, Journey: name, Environment: "local", Attempt: attempt,
		StartedAt: t0.Add(time.Duration(attempt) * time.Millisecond), Outcome: journey.Passed,
	}
}

// putMany writes results name#1..name#n from a few goroutines.
func putMany(ctx context.Context, s store.Store, runID, name string, n int) error {
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for a := w + 1; a <= n; a += 4 {
				if err := s.PutResult(ctx, result(runID, name, a)); err != nil {
					errs <- fmt.Errorf("%s#%d: %w", name, a, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

func countByJourney(t *testing.T, s store.Store, runID string) map[string]int {
	t.Helper()
	rs, err := s.Results(t.Context(), runID)
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	counts := map[string]int{}
	for _, r := range rs {
		counts[r.Journey]++
	}
	return counts
}

func TestEmbeddedTwoInstancesSameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	a, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	const n = 30
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = putMany(t.Context(), a, "run-1", "a", n) })
	wg.Go(func() { errB = putMany(t.Context(), b, "run-1", "b", n) })
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]store.Store{"a": a, "b": b} {
		if got := countByJourney(t, s, "run-1"); got["a"] != n || got["b"] != n {
			t.Errorf("instance %s reads %v, want %d of each", name, got, n)
		}
	}
}

const helperEnv = "JOURNEYGATE_STORE_HELPER_PATH"

// TestEmbeddedHelperProcess is the child of TestEmbeddedTwoProcesses.
func TestEmbeddedHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestEmbeddedTwoProcesses")
	}
	n, err := strconv.Atoi(os.Getenv(helperEnv + "_N"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("waiting for go: %v", err)
	}
	if err := putMany(t.Context(), s, "run-1", "child", n); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	const n = 60
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestEmbeddedHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, helperEnv+"_N="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var out []string
	for lines.Scan() && lines.Text() != "ready" {
		out = append(out, lines.Text())
	}
	// Both processes start writing at once.
	if _, err := fmt.Fprintln(stdin, "go"); err != nil {
		t.Fatalf("signal child: %v (output %q)", err, out)
	}
	errParent := putMany(t.Context(), s, "run-1", "parent", n)
	for lines.Scan() {
		out = append(out, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\nstdout: %q\nstderr: %s", err, out, stderr.String())
	}
	if errParent != nil {
		t.Fatal(errParent)
	}
	if got := countByJourney(t, s, "run-1"); got["parent"] != n || got["child"] != n || len(got) != 2 {
		t.Errorf("results by journey = %v, want %d parent and %d child", got, n, n)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func TestEmbeddedCreatesParentDirs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "journeygate.db")
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("store file: %v", err)
	}
	if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
}

// holdLock opens the file as another process would and keeps it open.
func holdLock(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("file still locked after an operation: %v", err)
	}
	return db
}

func TestEmbeddedReleasesFileBetweenOperations(t *testing.T) {
	s := openTemp(t)
	if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	if err := holdLock(t, s.Path()).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(t.Context(), "run-1"); err != nil {
		t.Fatal(err)
	}
	if err := holdLock(t, s.Path()).Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedLockWait(t *testing.T) {
	s := openTemp(t, embedded.WithLockTimeout(150*time.Millisecond))
	db := holdLock(t, s.Path())
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"lock timeout", func() (context.Context, context.CancelFunc) { return context.WithCancel(t.Context()) }, embedded.ErrLockTimeout},
		{"context deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			err := s.CreateRun(ctx, runRecord("run-1"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("CreateRun while locked: error = %v, want %v", err, tt.want)
			}
			if _, err := s.GetRun(ctx, "run-1"); !errors.Is(err, tt.want) {
				t.Fatalf("GetRun while locked: error = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("gave up after %s", d)
			}
		})
	}
	// Once the other holder is gone, operations succeed.
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = db.Close()
	}()
	s2, err := embedded.Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatalf("CreateRun after release: %v", err)
	}
}

func TestEmbeddedClosed(t *testing.T) {
	s := openTemp(t)
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	_, err := s.GetRun(t.Context(), "run-1")
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRun after Close: error = %v, want a closed-store error", err)
	}
}

func TestEmbeddedRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notBolt, []byte("not a database, but long enough to look like one at first glance"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Open(notBolt); err == nil {
		t.Error("Open(text file) succeeded")
	}
	future := filepath.Join(dir, "future.db")
	db, err := bolt.Open(future, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("schema"), []byte("99"))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Open(future); err == nil {
		t.Error("Open(schema 99) succeeded")
	}
}

func BenchmarkEmbeddedPutResult(b *testing.B) {
	s := openTemp(b)
	if err := s.CreateRun(b.Context(), runRecord("run-1")); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if err := s.PutResult(b.Context(), result("run-1", "j"+strconv.Itoa(i), 1)); err != nil {
			b.Fatal(err)
		}
	}
}
