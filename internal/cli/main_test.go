package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, testEnv(&stdout, &stderr, func(string) string { return "" }))
	return code, stdout.String(), stderr.String()
}

func TestUsageAndConfigErrorsExit2(t *testing.T) {
	badConfig := filepath.Join(t.TempDir(), "envs.yaml")
	if err := os.WriteFile(badConfig, []byte("environments:\n  local:\n    targets:\n      alertmanager: not-a-url\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "s.db")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"deploy"}, `unknown command "deploy"`},
		{"unknown flag", []string{"run", "--nope"}, "nope"},
		{"unknown journey", []string{"run", "--journey", "checkout", "--store", store}, `unknown journey "checkout"`},
		{"mistyped journey", []string{"run", "--journey", "alert-to-notificaton", "--store", store}, `unknown journey "alert-to-notificaton" (known: alert-grouping, `},
		{"mistyped journey suggested", []string{"run", "--journey", "alert-to-notificaton", "--store", store}, `); did you mean "alert-to-notification"?`},
		{"unknown tier", []string{"run", "--tier", "gold", "--store", store}, `unknown tier "gold"`},
		{"zero concurrency", []string{"run", "--concurrency", "0", "--store", store}, "--concurrency"},
		{"zero browser concurrency", []string{"run", "--browser-concurrency", "0", "--store", store}, "--browser-concurrency must be at least 1"},
		{"unknown environment", []string{"run", "--env", "prod", "--store", store}, `no environment "prod"`},
		{"mistyped environment", []string{"run", "--env", "locl", "--store", store}, `no environment "locl" (defined: local, production, staging); did you mean "local"?`},
		{"missing config file", []string{"run", "--config", "/nonexistent/envs.yaml", "--store", store}, "/nonexistent/envs.yaml"},
		{"bad config file", []string{"run", "--config", badConfig, "--store", store}, badConfig + ":4"},
		{"stray argument", []string{"list", "extra"}, `unexpected argument "extra"`},
		{"unknown stage", []string{"run", "--stage", "AfterLunch", "--store", store}, `--stage: cli stage "AfterLunch" is not one of BeforeInstall`},
		{"stage without its test targets", []string{"run", "--stage", "BeforeAllowTraffic", "--journey", "alert-to-notification", "--store", store}, `no test_targets.alertmanager, which journey "alert-to-notification" needs at stage BeforeAllowTraffic`},
		{"bad window", []string{"history", "--since", "a while", "--store", store}, "--since"},
		{"history unknown journey", []string{"history", "--journey", "checkout", "--store", store}, `unknown journey "checkout"`},
		{"history unknown environment", []string{"history", "--env", "prod", "--store", store}, `--env: `},
		{"history mistyped environment", []string{"history", "--env", "stagng", "--store", store}, `no environment "stagng" (defined: local, production, staging); did you mean "staging"?`},
		{"history mistyped journey", []string{"history", "--journey", "alert-grouping2", "--store", store}, `unknown journey "alert-grouping2" (known: alert-grouping, alert-to-email, `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
		})
	}
}

func TestListShowsEveryJourneyWithSLAs(t *testing.T) {
	code, out, stderr := runCLI(t, "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"alert-to-notification", "global", "incident-pipeline", "enforce", "notification delivered", "SLA 10s", "silence-suppresses", "domain"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}

// A target nobody listens on: the run must end Failed (exit 1), not pass
// and not be mistaken for a usage error.
func TestRunAgainstUnreachableTargetFails(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"JOURNEYGATE_ALERTMANAGER_URL": "http://127.0.0.1:1", "JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0"}
	code := run(context.Background(), []string{"run", "--journey", "alert-to-notification", "--store", filepath.Join(dir, "s.db"), "--junit", filepath.Join(dir, "j.xml")},
		testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailed, stdout.String(), stderr.String())
	}
	for _, want := range []string{"Failed", "alert-to-notification", "alert accepted", "error"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "j.xml")); err != nil {
		t.Errorf("JUnit report not written: %v", err)
	}
}

func TestParseWindow(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"720h", 720 * time.Hour, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0s", 0, false},
		{"-1h", 0, false},
		{"0d", 0, false},
		{"xd", 0, false},
		{"forever", 0, false},
	}
	for _, tc := range cases {
		got, err := parseWindow(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseWindow(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestRunJSONIsMachineReadable(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"JOURNEYGATE_ALERTMANAGER_URL": "http://127.0.0.1:1", "JOURNEYGATE_SINK_LISTEN": "127.0.0.1:0"}
	code := run(context.Background(), []string{"run", "--json", "--tier", "global", "--store", filepath.Join(dir, "s.db")},
		testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
	if code != exitFailed {
		t.Fatalf("exit %d, want %d: %s", code, exitFailed, stderr.String())
	}
	var got struct {
		RunID   string `json:"runId"`
		Results []struct {
			Journey string `json:"journey"`
			Outcome string `json:"outcome"`
		} `json:"results"`
		Verdict struct {
			Status string `json:"status"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	// Every attempt is in the report: each global journey of local errored,
	// was retried once (the default for class error) and errored again.
	reg, err := testCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	global, err := reg.Select(journey.Selector{Tier: journey.TierGlobal, Environment: "local"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict.Status != "Failed" || got.RunID == "" || len(got.Results) != 2*len(global) {
		t.Errorf("unexpected report, want 2 attempts of each of the %d global journeys: %+v", len(global), got)
	}
	for _, r := range got.Results {
		if r.Outcome != "error" {
			t.Errorf("%s: outcome %s against an unreachable target, want error", r.Journey, r.Outcome)
		}
	}
}
