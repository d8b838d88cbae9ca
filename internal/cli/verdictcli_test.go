package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// twoStep is a journey of two steps calling no target; the second does
// what second says.
func twoStep(name string, tier journey.Tier, second journey.StepFunc) journey.Journey {
	nop := func(context.Context, *journey.T) error { return nil }
	return journey.Journey{
		Name: name, Tier: tier, Owner: "team", Mode: journey.ModeEnforce, Covers: []string{"shop"},
		Steps: []journey.Step{
			{Name: "order placed", SLA: 2 * time.Second, Do: nop},
			{Name: "invoice sent", SLA: 2 * time.Second, Do: second},
		},
		Retry: journey.Retry{MaxAttempts: 1},
	}
}

var runIDRE = regexp.MustCompile(`journeygate run (\S+):`)

// runID runs `journeygate run args...` on storePath and returns its run ID
// and exit code.
func runID(t *testing.T, storePath string, args ...string) (string, int) {
	t.Helper()
	code, stdout, stderr := runWith(t, append([]string{"run", "--store", storePath}, args...)...)
	m := runIDRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("run %v printed no run ID (exit %d):\n%s\n%s", args, code, stdout, stderr)
	}
	return m[1], code
}

// History, show and list around a real local store filled by real runs:
// history names each run's failing journey and step, --journey filters the
// recent runs too, LAST FAILURE is a run ID that show accepts, show leads
// with the verdict and takes a unique prefix of a run ID.
func TestHistoryShowAndListAroundTheVerdict(t *testing.T) {
	useJourneys(t,
		twoStep("checkout", journey.TierGlobal, func(context.Context, *journey.T) error { return journey.Failf("invoice total 0, want 42") }),
		twoStep("search", journey.TierDomain, func(context.Context, *journey.T) error { return nil }),
	)
	path := filepath.Join(t.TempDir(), "s.db")
	failedRun, code := runID(t, path)
	if code != exitFailed {
		t.Fatalf("the run with checkout exited %d, want 1", code)
	}
	passedRun, code := runID(t, path, "--journey", "search")
	if code != exitSucceeded {
		t.Fatalf("the run of search exited %d, want 0", code)
	}

	code, out, stderr := runCLI(t, "history", "--store", path)
	if code != exitSucceeded {
		t.Fatalf("history: exit %d: %s", code, stderr)
	}
	for _, row := range [][]string{
		{"RUN", "ENV", "STARTED", "DURATION", "VERDICT", "JOURNEYS", "FAILING"},
		{failedRun, "local"},
		{passedRun, "local"},
	} {
		if !hasRow(out, row...) {
			t.Errorf("history has no row starting %q:\n%s", row, out)
		}
	}
	if !lineWith(out, failedRun, "Failed", "2", "checkout step 2/2 (invoice sent): failed") {
		t.Errorf("history does not name the failing journey and step of %s:\n%s", failedRun, out)
	}
	if !lineWith(out, passedRun, "Succeeded", "1", "-") {
		t.Errorf("history does not show %s passed:\n%s", passedRun, out)
	}
	// LAST FAILURE is the run ID, which show accepts.
	if !hasRow(out, "checkout", "enforce", "1", "0", "0.0%", "0", "0.0%") || !lineWith(out, "checkout", "failed", failedRun) {
		t.Errorf("checkout's LAST FAILURE is not run %s:\n%s", failedRun, out)
	}
	lastFailure := lastField(out, "checkout", "enforce")
	if code, _, stderr := runCLI(t, "show", lastFailure, "--store", path); code != exitSucceeded {
		t.Errorf("show %s (LAST FAILURE): exit %d: %s", lastFailure, code, stderr)
	}

	// --journey filters the recent runs too.
	_, out, _ = runCLI(t, "history", "--store", path, "--journey", "checkout")
	if !hasRow(out, failedRun) || hasRow(out, passedRun) {
		t.Errorf("history --journey checkout should list run %s only:\n%s", failedRun, out)
	}
	_, out, _ = runCLI(t, "history", "--store", path, "--journey", "search")
	if !hasRow(out, failedRun) || !hasRow(out, passedRun) {
		t.Errorf("history --journey search should list both runs (both ran it):\n%s", out)
	}

	// show leads with the verdict, then the run.
	code, out, stderr = runCLI(t, "show", failedRun, "--store", path)
	if code != exitSucceeded {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	if first, _, _ := strings.Cut(out, "\n"); !strings.HasPrefix(first, "VERDICT: Failed — checkout step 2/2 (invoice sent): failed") {
		t.Errorf("show does not start with the verdict:\n%s", out)
	}
	if v, r := strings.Index(out, "VERDICT:"), strings.Index(out, "Run "+failedRun); v < 0 || r < v {
		t.Errorf("show prints the run before its verdict:\n%s", out)
	}
	if strings.Count(out, "invoice total 0, want 42") > 3 {
		t.Errorf("show repeats the message:\n%s", out)
	}

	// A unique prefix names the run; an ambiguous one lists the candidates.
	unique := failedRun[:len(failedRun)-1]
	code, out, stderr = runCLI(t, "show", unique, "--store", path)
	if code != exitSucceeded || !strings.Contains(out, "Run "+failedRun+"\n") {
		t.Errorf("show %s (a unique prefix of %s): exit %d\n%s%s", unique, failedRun, code, out, stderr)
	}
	shared := commonPrefix(failedRun, passedRun)
	code, _, stderr = runCLI(t, "show", shared, "--store", path)
	if code != exitUsage || !strings.Contains(stderr, "more than one run") || !strings.Contains(stderr, failedRun) || !strings.Contains(stderr, passedRun) {
		t.Errorf("show %s (ambiguous): exit %d, want 2 listing both runs:\n%s", shared, code, stderr)
	}
	code, _, stderr = runCLI(t, "show", "1999", "--store", path)
	if code != exitUsage || !strings.Contains(stderr, `no run "1999"`) {
		t.Errorf("show 1999: exit %d, want 2 saying no run: %s", code, stderr)
	}

	// list --tier.
	code, out, stderr = runCLI(t, "list", "--tier", "domain")
	if code != exitSucceeded || !hasRow(out, "search", "domain") || strings.Contains(out, "checkout") {
		t.Errorf("list --tier domain: exit %d, want search only:\n%s%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "list", "--tier", "global", "--json")
	if code != exitSucceeded || !strings.Contains(out, `"checkout"`) || strings.Contains(out, `"search"`) {
		t.Errorf("list --tier global --json: exit %d, want checkout only:\n%s", code, out)
	}
	if code, _, stderr = runCLI(t, "list", "--tier", "gold"); code != exitUsage || !strings.Contains(stderr, `unknown tier "gold"`) {
		t.Errorf("list --tier gold: exit %d: %s", code, stderr)
	}
}

// A run whose process died has no verdict: within its budget (its
// journeys' timeouts summed) it reads unfinished; after it, abandoned, in
// history, show and show --json.
func TestRunWithoutVerdictIsAbandonedAfterItsBudget(t *testing.T) {
	j := twoStep("checkout", journey.TierGlobal, func(context.Context, *journey.T) error { return nil })
	useJourneys(t, j)
	budget := flow.JourneyTimeout(j, flow.DefaultTimeoutMargin)
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	planned := []gate.Planned{{Name: "checkout", Mode: journey.ModeEnforce}}
	for _, r := range []store.RunRecord{
		{ID: "20261121T000000Z-dead01", StartedAt: now.Add(-budget - time.Minute)},
		{ID: "20261121T000000Z-live01", StartedAt: now.Add(-budget / 2)},
	} {
		r.Environment, r.Trigger, r.Planned = "local", trigger.Trigger{Type: trigger.CLI}, planned
		if err := st.CreateRun(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := runCLI(t, "history", "--store", path)
	if code != exitSucceeded {
		t.Fatalf("history: exit %d: %s", code, stderr)
	}
	if !hasRow(out, "20261121T000000Z-dead01", "local") || !lineWith(out, "20261121T000000Z-dead01", " abandoned ") {
		t.Errorf("history does not show the dead run abandoned:\n%s", out)
	}
	if !lineWith(out, "20261121T000000Z-live01", " unfinished ") || lineWith(out, "20261121T000000Z-live01", "abandoned") {
		t.Errorf("history does not show the run within its budget unfinished:\n%s", out)
	}

	_, out, _ = runCLI(t, "show", "20261121T000000Z-dead", "--store", path)
	if !strings.HasPrefix(out, "VERDICT: none — abandoned: ") || !strings.Contains(out, "past its budget of "+gate.FormatDuration(budget)) {
		t.Errorf("show of the dead run:\n%s", out)
	}
	_, out, _ = runCLI(t, "show", "20261121T000000Z-live", "--store", path)
	if !strings.HasPrefix(out, "VERDICT: none yet — unfinished: ") {
		t.Errorf("show of the live run:\n%s", out)
	}
	_, out, _ = runCLI(t, "show", "20261121T000000Z-dead01", "--store", path, "--json")
	var shown shownRun
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.State != stateAbandoned {
		t.Errorf("show --json: state %q (%v), want abandoned:\n%s", shown.State, err, out)
	}
}

// lineWith reports whether a line of out contains every part.
func lineWith(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
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

// lastField is the last field of the first line starting with fields.
func lastField(out string, fields ...string) string {
	for _, line := range strings.Split(out, "\n") {
		if hasRow(line, fields...) {
			f := strings.Fields(line)
			return f[len(f)-1]
		}
	}
	return ""
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}
