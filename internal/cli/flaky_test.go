package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// useJourneys makes run and history use js instead of the catalogue for
// the rest of the test.
func useJourneys(t *testing.T, js ...journey.Journey) {
	t.Helper()
	reg, err := journey.NewRegistry(js...)
	if err != nil {
		t.Fatal(err)
	}
	prev := testCatalogue
	testCatalogue = func() (*journey.Registry, error) { return reg, nil }
	t.Cleanup(func() { testCatalogue = prev })
}

// oneStep is a journey of one step named "answers", calling no target.
func oneStep(name string, mode journey.Mode, do journey.StepFunc) journey.Journey {
	return journey.Journey{
		Name: name, Tier: journey.TierGlobal, Owner: "team", Mode: mode,
		Steps: []journey.Step{{Name: "answers", SLA: 2 * time.Second, Do: do}},
	}
}

// calls counts a journey's executions.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) inc(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
	return c.n[name]
}

func runWith(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0"}
	code := run(context.Background(), args, testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
	return code, stdout.String(), stderr.String()
}

// TestRunFlakyJourneyPasses runs `journeygate run` over journeys defined
// here: one errors on its first attempt only, one passes, one in observe
// mode fails its assertion. The run succeeds (exit 0), only the flaky one
// runs twice, and every output names it passed-flaky.
func TestRunFlakyJourneyPasses(t *testing.T) {
	var c calls
	useJourneys(t,
		oneStep("steady", journey.ModeEnforce, func(context.Context, *journey.T) error { c.inc("steady"); return nil }),
		oneStep("flaky", journey.ModeEnforce, func(context.Context, *journey.T) error {
			if c.inc("flaky") == 1 {
				return journey.Infra(errors.New("connection reset by peer"))
			}
			return nil
		}),
		oneStep("watched", journey.ModeObserve, func(context.Context, *journey.T) error {
			c.inc("watched")
			return journey.Failf("got 2 notifications, want 1")
		}),
	)
	dir := t.TempDir()
	storePath, junitPath := filepath.Join(dir, "s.db"), filepath.Join(dir, "j.xml")
	code, stdout, stderr := runWith(t, "run", "--store", storePath, "--junit", junitPath)
	if code != exitSucceeded {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if c.n["steady"] != 1 || c.n["flaky"] != 2 || c.n["watched"] != 1 {
		t.Errorf("executions %v, want steady 1, flaky 2, watched 1: only the journey that errored runs again", c.n)
	}
	for _, w := range []string{
		"retry flaky: attempt 2 after error (1 step)\n",
		"done  flaky passed-flaky in ",
		"flaky    global  enforce  passed-flaky  ",
		"\nflaky: passed-flaky, passed on attempt 2 [enforce, not blocking]\n  attempt 1: error at step 1/1 (answers) in ",
		"watched: failed at step 1/1 (answers) [observe, not blocking]\n",
		"\nVERDICT: Succeeded — 2/3 journeys passed (1 flaky: flaky passed on attempt 2 after error at step 1/1 (answers)); 1 observe-mode journey failed (not blocking)\n",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}

	b, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name       string    `xml:"name,attr"`
			Failure    *struct{} `xml:"failure"`
			Error      *struct{} `xml:"error"`
			Skipped    *struct{} `xml:"skipped"`
			FlakyError []struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
			} `xml:"flakyError"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit: %v\n%s", err, b)
	}
	if doc.Tests != 3 || doc.Failures != 0 || doc.Errors != 0 || doc.Skipped != 1 {
		t.Errorf("JUnit tests/failures/errors/skipped %d/%d/%d/%d, want 3/0/0/1\n%s", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, b)
	}
	for _, tc := range doc.Cases {
		if tc.Name != "flaky" {
			continue
		}
		if tc.Failure != nil || tc.Error != nil || tc.Skipped != nil || len(tc.FlakyError) != 1 || tc.FlakyError[0].Type != "error" ||
			!strings.Contains(tc.FlakyError[0].Message, "attempt 1: error at step 1/1 (answers): connection reset by peer") {
			t.Errorf("flaky testcase %+v: want a pass carrying one flakyError\n%s", tc, b)
		}
	}

	// The store keeps both attempts; history counts the run once, flaky.
	code, stdout, stderr = runWith(t, "history", "--store", storePath)
	if code != exitSucceeded {
		t.Fatalf("history exit %d: %s", code, stderr)
	}
	for _, w := range []string{"Succeeded (1 flaky)", "flaky    enforce  1     1       100.0%   1      100.0%      "} {
		if !strings.Contains(stdout, w) {
			t.Errorf("history lacks %q:\n%s", w, stdout)
		}
	}

	// --json lists each journey's class beside every attempt.
	c = calls{}
	code, stdout, stderr = runWith(t, "run", "--json", "--store", storePath)
	if code != exitSucceeded {
		t.Fatalf("--json exit %d: %s", code, stderr)
	}
	var rep struct {
		Results  []journey.Result `json:"results"`
		Journeys []struct {
			Journey  string `json:"journey"`
			Class    string `json:"class"`
			Attempts int    `json:"attempts"`
		} `json:"journeys"`
		Verdict struct {
			Flaky int `json:"flaky"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	classes := map[string]string{}
	for _, j := range rep.Journeys {
		classes[j.Journey] = j.Class
	}
	if classes["flaky"] != "passed-flaky" || classes["steady"] != "passed" || classes["watched"] != "failed" || len(rep.Results) != 4 || rep.Verdict.Flaky != 1 {
		t.Errorf("--json classes %v, %d results, %d flaky; want flaky passed-flaky, 4 results, 1 flaky", classes, len(rep.Results), rep.Verdict.Flaky)
	}
}

// An error on every attempt fails the run after the journey's attempts.
func TestRunErrorOnEveryAttemptFails(t *testing.T) {
	var c calls
	down := oneStep("down", journey.ModeEnforce, func(context.Context, *journey.T) error {
		c.inc("down")
		return journey.Infra(errors.New("connection refused"))
	})
	down.Retry = journey.Retry{MaxAttempts: 3}
	useJourneys(t, down)
	code, stdout, _ := runWith(t, "run", "--store", filepath.Join(t.TempDir(), "s.db"))
	if code != exitFailed || c.n["down"] != 3 {
		t.Fatalf("exit %d after %d executions, want 1 after 3", code, c.n["down"])
	}
	if !strings.Contains(stdout, "VERDICT: Failed — down step 1/1 (answers): error on attempt 3: connection refused") {
		t.Errorf("output:\n%s", stdout)
	}
}
