package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The first signal cancels with its name as the cause and says cleanups
// are being finished; the second aborts.
func TestInterruptsFinishThenAbort(t *testing.T) {
	for _, tc := range []struct {
		command string
		first   os.Signal
		second  os.Signal
		said    string
	}{
		{"run", os.Interrupt, os.Interrupt, "journeygate: interrupted (SIGINT): finishing cleanups (Ctrl-C again to abort)\n"},
		{"run", syscall.SIGTERM, os.Interrupt, "journeygate: interrupted (SIGTERM): finishing cleanups (Ctrl-C again to abort)\n"},
		{"history", os.Interrupt, syscall.SIGTERM, "journeygate: interrupted (SIGINT): stopping (Ctrl-C again to abort)\n"},
	} {
		ctx, cancel := context.WithCancelCause(context.Background())
		sigs := make(chan os.Signal, 2)
		var out lockedBuffer
		aborted := make(chan struct{})
		go interrupts(sigs, tc.command, cancel, &out, func() { close(aborted) })

		sigs <- tc.first
		<-ctx.Done()
		if got := context.Cause(ctx).Error(); got != "interrupted ("+signalName(tc.first)+")" {
			t.Errorf("%s: cause %q", tc.command, got)
		}
		if !strings.Contains(out.String(), tc.said) {
			t.Errorf("%s: said %q, want %q", tc.command, out.String(), tc.said)
		}
		select {
		case <-aborted:
			t.Fatalf("%s: aborted on the first signal", tc.command)
		case <-time.After(50 * time.Millisecond):
		}
		sigs <- tc.second
		select {
		case <-aborted:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the second signal did not abort", tc.command)
		}
		if want := "journeygate: aborted (" + signalName(tc.second) + ")"; !strings.Contains(out.String(), want) {
			t.Errorf("%s: said %q, want %q", tc.command, out.String(), want)
		}
	}
}

// A run interrupted mid-step stops its steps, still runs its cleanups,
// records a Failed verdict naming the interrupt and exits 1.
func TestInterruptedRunRunsCleanupsAndRecordsItsVerdict(t *testing.T) {
	started := make(chan struct{})
	var cleaned sync.WaitGroup
	cleaned.Add(1)
	useJourneys(t, oneStep("waits", journey.ModeEnforce, func(ctx context.Context, t *journey.T) error {
		t.Cleanup("tidy up", func(ctx context.Context) error {
			defer cleaned.Done()
			if ctx.Err() != nil {
				return ctx.Err() // the cleanup must not get the run's cancelled context
			}
			return nil
		})
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}))
	path := filepath.Join(t.TempDir(), "s.db")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-started
		cancel(errors.New("interrupted (SIGINT)")) // as main's interrupts does
	}()
	code := run(ctx, []string{"run", "--store", path}, testEnv(&stdout, &stderr, func(string) string { return "" }))
	cleaned.Wait()
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "VERDICT: Failed — waits step 1/1 (answers): error: run cancelled: interrupted (SIGINT)") {
		t.Errorf("the verdict does not name the interrupt:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), "tidy up") {
		t.Errorf("the cleanup failed:\n%s", stdout.String())
	}
	id := runIDRE.FindStringSubmatch(stdout.String())
	if id == nil {
		t.Fatalf("no run ID:\n%s", stdout.String())
	}
	_, out, _ := runCLI(t, "show", id[1], "--store", path, "--json")
	var shown shownRun
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.State != stateFinished || len(shown.Results) != 1 || len(shown.Results[0].Cleanup) != 1 || shown.Results[0].Cleanup[0].Error != "" {
		t.Errorf("the stored run (%v): %s", err, out)
	}
}
