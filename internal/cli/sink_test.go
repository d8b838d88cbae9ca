package cli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

// sinkJourney awaits nothing but needs the sink: its step passes when the
// run gave it a sink URL.
func sinkJourney(name string) journey.Journey {
	j := oneStep(name, journey.ModeEnforce, func(_ context.Context, t *journey.T) error {
		if t.Sink().URL() == "" {
			return journey.Failf("no sink URL")
		}
		return nil
	})
	j.Sink = true
	return j
}

// writeEnvs writes an environments file whose local sink listens on
// listen ("" = unset).
func writeEnvs(t *testing.T, listen string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "envs.yaml")
	body := "environments:\n  local:\n    targets:\n      api: http://127.0.0.1:1\n"
	if listen != "" {
		body += "    sink:\n      listen: " + listen + "\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var sinkURLRE = regexp.MustCompile(`\(sink (http://127\.0\.0\.1:(\d+))\)`)

// The sink listens only when a selected journey awaits it: a run of
// journeys that do not never binds the configured address (here one
// already taken), and says it has no sink.
func TestRunStartsNoSinkWithoutASinkJourney(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	useJourneys(t, oneStep("plain", journey.ModeEnforce, func(context.Context, *journey.T) error { return nil }), sinkJourney("notified"))
	config := writeEnvs(t, ln.Addr().String())
	store := filepath.Join(t.TempDir(), "s.db")

	code, out, stderr := runCLI(t, "run", "--config", config, "--store", store, "--journey", "plain")
	if code != exitSucceeded || !strings.Contains(out, "(no sink: no selected journey awaits notifications)") {
		t.Errorf("a run without sink journeys: exit %d, want 0 with no sink\n%s%s", code, out, stderr)
	}
	// The sink journey needs the taken address: a configuration error.
	code, _, stderr = runCLI(t, "run", "--config", config, "--store", store, "--journey", "notified")
	if code != exitUsage || !strings.Contains(stderr, "notification sink cannot listen on "+ln.Addr().String()) {
		t.Errorf("a sink journey on a taken address: exit %d, want 2\n%s", code, stderr)
	}
}

// Unless configured, the sink takes a free loopback port: two runs at once
// on one host, each with a sink journey, both pass, each on its own port;
// the shipped environments file, as `journeygate run` reads it without
// --config or JOURNEYGATE_SINK_LISTEN.
func TestTwoRunsAtOnceGetTheirOwnSink(t *testing.T) {
	useJourneys(t, sinkJourney("notified"))
	dir := t.TempDir()
	outs := make([]string, 2)
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			var stderr string
			codes[i], outs[i], stderr = runCLI(t, "run", "--store", filepath.Join(dir, "s.db"))
			outs[i] += stderr
		})
	}
	wg.Wait()
	ports := map[string]bool{}
	for i := range 2 {
		m := sinkURLRE.FindStringSubmatch(outs[i])
		if codes[i] != exitSucceeded || m == nil {
			t.Errorf("run %d: exit %d, want 0 with a sink:\n%s", i, codes[i], outs[i])
			continue
		}
		ports[m[2]] = true
	}
	if len(ports) != 2 {
		t.Errorf("the runs' sinks share a port: %v", ports)
	}
}
