package integration

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until ok or the deadline; it reports whether ok held.
func waitFor(limit time.Duration, ok func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return ok()
}

var demoRunID = regexp.MustCompile(`journeygate run (\S+):`)

// `make run` interrupted with Ctrl-C, as a terminal does it: SIGINT to the
// demo's whole process group while the journeys run. The demo passes it on
// to journeygate once and waits; journeygate says so, stops the journeys,
// runs their cleanups against the Alertmanager (which the terminal's signal
// did not stop), records and prints a Failed verdict, and the demo exits
// with journeygate's exit code, 1. The run is Failed in the store, never
// unfinished.
func TestMakeRunInterruptedRunsCleanups(t *testing.T) {
	t.Parallel()
	cli, demo := binaries(t)
	storePath := filepath.Join(t.TempDir(), "demo.db")
	cmd := exec.Command(demo, "-journeygate", cli, "--", "--store", storePath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's foreground job
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	// Interrupt once the silence journey has created its silence: a cleanup
	// is then due.
	if !waitFor(2*time.Minute, func() bool { return strings.Contains(stdout.String(), "silence created") }) {
		t.Fatalf("the journeys never got going\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo did not exit within 60s of SIGINT\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	out, errOut := stdout.String(), stderr.String()
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	if code != 1 {
		t.Errorf("demo exit %d, want journeygate's 1 (Failed)", code)
	}
	if n := strings.Count(errOut, "journeygate: interrupted (SIGINT): finishing cleanups (Ctrl-C again to abort)"); n != 1 {
		t.Errorf("journeygate said it was interrupted %d times, want once", n)
	}
	if strings.Contains(errOut, "aborted") {
		t.Errorf("one Ctrl-C aborted journeygate: it got the signal twice")
	}
	if !strings.Contains(out, "VERDICT: Failed") || !strings.Contains(out, "interrupted (SIGINT)") {
		t.Errorf("stdout lacks a Failed verdict naming the interrupt")
	}
	m := demoRunID.FindStringSubmatch(out)
	if m == nil {
		t.Fatal("no run ID in the output")
	}

	// The store has the verdict, and every cleanup ran and succeeded.
	show := runProc(t, nil, cli, "show", m[1], "--store", storePath, "--json")
	var shown struct {
		State string `json:"state"`
		Run   struct {
			Verdict *struct {
				Status string `json:"status"`
			} `json:"verdict"`
		} `json:"run"`
		Results []struct {
			Journey string `json:"journey"`
			Cleanup []struct {
				Name  string `json:"name"`
				Error string `json:"error"`
			} `json:"cleanup"`
		} `json:"results"`
	}
	if show.code != 0 || json.Unmarshal([]byte(show.stdout), &shown) != nil {
		t.Fatalf("show --json: exit %d\n%s%s", show.code, show.stdout, show.stderr)
	}
	if shown.State != "finished" || shown.Run.Verdict == nil || shown.Run.Verdict.Status != "Failed" {
		t.Errorf("the run is %s with verdict %+v, want finished and Failed", shown.State, shown.Run.Verdict)
	}
	cleanups := map[string]string{}
	for _, r := range shown.Results {
		for _, c := range r.Cleanup {
			cleanups[r.Journey+": "+c.Name] = c.Error
		}
	}
	if _, ok := cleanups["silence-suppresses: expire silences"]; !ok {
		t.Errorf("the silence's cleanup did not run; cleanups: %v", cleanups)
	}
	for name, e := range cleanups {
		if e != "" {
			t.Errorf("cleanup %s failed: %s", name, e)
		}
	}
}
