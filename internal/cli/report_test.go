package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/secrettest"
)

// reportJourneys are a journey that passes and one whose second step
// overruns its SLA after recording evidence.
func reportJourneys() []journey.Journey {
	return []journey.Journey{
		oneStep("steady", journey.ModeEnforce, func(context.Context, *journey.T) error { return nil }),
		{
			Name: "slow-notification", Tier: journey.TierGlobal, Owner: "incident-pipeline", Mode: journey.ModeEnforce,
			Retry: journey.Retry{MaxAttempts: 1},
			Steps: []journey.Step{
				{Name: "alert accepted", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }},
				{Name: "notification delivered", SLA: 150 * time.Millisecond, Do: func(ctx context.Context, t *journey.T) error {
					t.Evidence("last observation", "no delivery for run <%s> yet", t.RunID())
					<-ctx.Done()
					return ctx.Err()
				}},
			},
		},
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// historyMarks counts a report's history marks per journey section.
func historyMarks(page, journeyName string) int {
	i := strings.Index(page, `<span>`+journeyName+`</span>`)
	if i < 0 {
		return -1
	}
	section := page[i:]
	if end := strings.Index(section, "</section>"); end >= 0 {
		section = section[:end]
	}
	return strings.Count(section, `class="mark `)
}

// TestRunWritesHTMLReport runs `journeygate run --report` twice over the
// same store: each report shows the verdict, the failing journey and step
// with elapsed time against the SLA, the evidence, and the history, which
// the second time holds both runs.
func TestRunWritesHTMLReport(t *testing.T) {
	useJourneys(t, reportJourneys()...)
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	first, second := filepath.Join(dir, "first.html"), filepath.Join(dir, "second.html")
	for _, path := range []string{first, second} {
		code, stdout, stderr := runWith(t, "run", "--store", db, "--report", path)
		if code != exitFailed {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailed, stdout, stderr)
		}
		if !strings.Contains(stdout, "VERDICT: Failed") {
			t.Errorf("the summary is still printed with --report:\n%s", stdout)
		}
	}
	page := readFile(t, second)
	for _, want := range []string{
		`<span class="status-label">FAILED</span>`,
		`<a href="#journey-slow-notification">slow-notification</a><span class="where">step 2/2 (notification delivered)</span>`,
		`<li class="step sla-breach failing" id="journey-slow-notification-a1-s2">`,
		`<span class="badge sla-breach">SLA BREACH</span><span class="timing">`,
		` of SLA 150ms (over by `,
		`<details class="evidence failing"><summary>Evidence of the sla breach (1): last observation</summary>`,
		`<dt>trigger</dt><dd>cli</dd>`,
		`History: each journey&#39;s last 20 runs in local within 7d before this run`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if !regexp.MustCompile(`<pre>no delivery for run &lt;\d{8}T\d{6}Z-[0-9a-f]+&gt; yet</pre>`).MatchString(page) {
		t.Error("report lacks the evidence, escaped")
	}
	for name, want := range map[string]int{"slow-notification": 2, "steady": 2} {
		if got := historyMarks(page, name); got != want {
			t.Errorf("%s: %d runs in the history chart, want %d (both runs of the store)", name, got, want)
		}
	}
	if got := historyMarks(readFile(t, first), "steady"); got != 1 {
		t.Errorf("first report: %d runs in the history chart, want 1", got)
	}
}

// TestRunReportLostFailsClosed: a report that cannot be written fails the
// run (exit 1) after the verdict is printed.
func TestRunReportLostFailsClosed(t *testing.T) {
	useJourneys(t, oneStep("steady", journey.ModeEnforce, func(context.Context, *journey.T) error { return nil }))
	dir := t.TempDir()
	code, stdout, stderr := runWith(t, "run", "--store", filepath.Join(dir, "s.db"), "--report", filepath.Join(dir, "missing", "r.html"))
	if code != exitFailed || !strings.Contains(stderr, "writing the HTML report") || !strings.Contains(stdout, "VERDICT: Succeeded") {
		t.Errorf("exit %d, want %d with the verdict printed and the lost report named\n%s\n%s", code, exitFailed, stdout, stderr)
	}
}

// TestRunReportKeepsSecretsOut: a leased secret the target echoes back
// into evidence and messages is redacted in the HTML report too.
func TestRunReportKeepsSecretsOut(t *testing.T) {
	secret := secrettest.NewSecret()
	target := secrettest.Target(t)
	useJourneys(t, secrettest.Journey("order-as-tenant"))
	dir := t.TempDir()
	config := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(config, []byte(secrettest.Environments("local", target.URL, 5*time.Second)), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "r.html")
	var stdout, stderr bytes.Buffer
	vars := map[string]string{secrettest.EnvVar: secret}
	code := run(context.Background(), []string{"run", "--config", config, "--store", filepath.Join(dir, "s.db"), "--report", path},
		testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailed, stdout.String(), stderr.String())
	}
	target.AssertUsed(t, secret)
	secrettest.AssertClean(t, "the HTML report", []byte(readFile(t, path)), secret, true)
}

// TestShowWritesHTMLReport: `journeygate show RUN --html FILE` writes the
// report of a stored run, with the history of the same store up to that
// run; with --json it prints the run as well.
func TestShowWritesHTMLReport(t *testing.T) {
	useJourneys(t, reportJourneys()...)
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	var ids []string
	for range 2 {
		var stdout, stderr bytes.Buffer
		vars := map[string]string{"JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0"}
		code := run(context.Background(), []string{"run", "--store", db, "--json"}, testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
		var rep struct {
			RunID string `json:"runId"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || code != exitFailed {
			t.Fatalf("run: exit %d, %v\n%s", code, err, stderr.String())
		}
		ids = append(ids, rep.RunID)
	}
	path := filepath.Join(dir, "first.html")
	code, stdout, stderr := runCLI(t, "show", ids[0], "--store", db, "--html", path)
	if code != exitSucceeded || stdout != "HTML report of run "+ids[0]+" written to "+path+"\n" {
		t.Fatalf("show --html: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	page := readFile(t, path)
	for _, want := range []string{
		"journeygate run <code>" + ids[0] + "</code> in <b>local</b>",
		`<span class="status-label">FAILED</span>`,
		`<li class="step sla-breach failing" id="journey-slow-notification-a1-s2">`,
		" of SLA 150ms (over by ",
		"<dt>trigger</dt><dd>cli</dd>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	// The first run's history stops at the first run.
	if got := historyMarks(page, "slow-notification"); got != 1 {
		t.Errorf("the first run's report charts %d runs, want 1 (the later run left out)", got)
	}

	code, stdout, _ = runCLI(t, "show", ids[1], "--json", "--store", db, "--html", filepath.Join(dir, "second.html"))
	var got shownRun
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != exitSucceeded || got.Run.ID != ids[1] {
		t.Fatalf("show --json --html: exit %d, %v\n%s", code, err, stdout)
	}
	if n := historyMarks(readFile(t, filepath.Join(dir, "second.html")), "slow-notification"); n != 2 {
		t.Errorf("the second run's report charts %d runs, want 2", n)
	}

	missing := filepath.Join(dir, "none.html")
	if code, _, stderr := runCLI(t, "show", "no-such-run", "--store", db, "--html", missing); code != exitUsage || !strings.Contains(stderr, `no run "no-such-run"`) {
		t.Errorf("unknown run: exit %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("a report was written for an unknown run")
	}
}
