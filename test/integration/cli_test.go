package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/journeygate/journeygate/test/alertmanager"
)

type procResult struct {
	code   int
	stdout string
	stderr string
}

func runProc(t *testing.T, env []string, name string, args ...string) procResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return procResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// Two `journeygate run` processes at once against one Alertmanager, sharing
// one store file: run-unique labels keep them apart and both pass; history
// then shows both runs.
func TestTwoConcurrentRunsShareOneAlertmanager(t *testing.T) {
	t.Parallel()
	cli, _ := binaries(t)
	sinkA, sinkB := freeAddr(t), freeAddr(t)
	am := startAlertmanager(t, "", "http://"+sinkA+"/", "http://"+sinkB+"/")
	dir := t.TempDir()
	storePath := filepath.Join(dir, "shared.db")

	var wg sync.WaitGroup
	results := make([]procResult, 2)
	for i, sinkAddr := range []string{sinkA, sinkB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runProc(t, []string{"JOURNEYGATE_ALERTMANAGER_URL=" + am.URL}, cli,
				append([]string{"run", "--env", "local", "--sink-listen", sinkAddr, "--store", storePath,
					"--junit", filepath.Join(dir, "junit-"+string(rune('a'+i))+".xml")}, alertmanager.ExampleArgs()...)...)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("process %d exited %d\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "Succeeded") {
			t.Errorf("process %d did not print the verdict:\n%s", i, r.stdout)
		}
		junit, err := os.ReadFile(filepath.Join(dir, "junit-"+string(rune('a'+i))+".xml"))
		if err != nil || !bytes.Contains(junit, []byte("<testcase")) {
			t.Errorf("process %d: JUnit report missing or empty: %v", i, err)
		}
	}

	h := runProc(t, nil, cli, "history", "--store", storePath)
	if h.code != 0 {
		t.Fatalf("history exited %d: %s", h.code, h.stderr)
	}
	runIDs := 0
	for _, line := range strings.Split(h.stdout, "\n") {
		if strings.Contains(line, "Succeeded") && strings.Contains(line, "local") {
			runIDs++
		}
	}
	if runIDs != 2 {
		t.Errorf("history lists %d succeeded runs, want 2:\n%s", runIDs, h.stdout)
	}
	for _, name := range alertmanager.Examples {
		if !lineHas(h.stdout, name, "100.0%") {
			t.Errorf("history shows no 100.0%% success for %s:\n%s", name, h.stdout)
		}
	}
}

// The demo `make run` runs: Succeeded and exit 0 on a healthy setup; Failed
// and exit 1 naming the journey and step under each fault README's
// `make run FAULT=...` commands name.
func TestMakeRunDemo(t *testing.T) {
	t.Parallel()
	cli, demo := binaries(t)
	cases := []struct {
		name, fault string
		code        int
		want        []string
	}{
		{"healthy", "", 0, []string{"VERDICT: Succeeded"}},
		{"drop-notifications", "drop-notifications", 1, []string{"VERDICT: Failed", "alert-to-notification", "notification delivered", "sla-breach",
			"cause: the route to receiver blackhole sends nowhere: the receiver has no integrations"}},
		// The other faults README's make run commands name (every fault
		// test/alertmanager knows).
		{"slow-group-wait", "slow-group-wait", 1, []string{"VERDICT: Failed", "alert-to-notification", "notification delivered", "sla-breach",
			"cause: the route to receiver journeygate-sink holds a group's first notification for group_wait 5m, longer than the 10s a delivery step allows"}},
		{"no-resolved", "no-resolved", 1, []string{"VERDICT: Failed", "resolve-lifecycle", "resolved notification delivered", "sla-breach"}},
		// The web UI is not routed: the UI journey fails opening it, the
		// API journeys pass.
		{"ui-not-routed", "ui-not-routed", 1, []string{"VERDICT: Failed", "silence-through-ui", "web UI opened", "failed", "answered 404"}},
		// Alertmanager mails a port nobody listens on: the email journey
		// waits out its mail step, saying no mail reached its inbox.
		{"wrong-smarthost", "wrong-smarthost", 1, []string{"VERDICT: Failed", "alert-to-email", "mail delivered", "sla-breach", "0 mails for this inbox",
			"receiver journeygate-inbox: email to {{ .CommonLabels.jg_inbox }} via 127.0.0.1:",
			"cause: Alertmanager mails smarthost 127.0.0.1:"}},
		// Alerts grouped per instance: the grouped notification holds one.
		{"group-by-instance", "group-by-instance", 1, []string{"VERDICT: Failed", "alert-grouping", "one notification with all three", "failed", `expected "a,b,c"`}},
		// The webhook receiver posts where nothing listens: no delivery.
		{"wrong-webhook-url", "wrong-webhook-url", 1, []string{"VERDICT: Failed", "alert-to-notification", "notification delivered", "sla-breach", "0 deliveries for this run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-journeygate", cli}
			if tc.fault != "" {
				args = append(args, "-fault", tc.fault)
			}
			args = append(args, "--", "--store", filepath.Join(t.TempDir(), "demo.db"))
			r := runProc(t, nil, demo, args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func lineHas(text string, parts ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return true
		}
	}
	return false
}
