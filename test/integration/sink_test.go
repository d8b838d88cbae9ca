package integration

import (
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

var sinkPort = regexp.MustCompile(`\(sink http://127\.0\.0\.1:(\d+)\)`)

// Two `journeygate run` at once on one host, each with a journey that
// awaits the sink, as the shipped environments file configures them (no
// sink address given): each sink takes a free port of its own, so neither
// run fails to start, and both pass against one real Alertmanager.
func TestTwoRunsAtOnceDoNotClashOverTheSink(t *testing.T) {
	t.Parallel()
	cli, _ := binaries(t)
	am := startAlertmanager(t, "", "http://"+freeAddr(t)+"/") // silence-suppresses awaits no delivery
	dir := t.TempDir()
	results := make([]procResult, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			results[i] = runProc(t, []string{"JOURNEYGATE_ALERTMANAGER_URL=" + am.URL, "JOURNEYGATE_SINK_LISTEN="},
				cli, "run", "--journey", "silence-suppresses", "--store", filepath.Join(dir, "s.db"))
		})
	}
	wg.Wait()
	ports := map[string]bool{}
	for i, r := range results {
		m := sinkPort.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil {
			t.Errorf("run %d: exit %d, want 0 with a sink of its own\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
			continue
		}
		ports[m[1]] = true
	}
	if len(ports) != 2 {
		t.Errorf("the runs' sinks did not get a port each: %v", ports)
	}
}
