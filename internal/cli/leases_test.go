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
	"github.com/journeygate/journeygate/test/secrettest"
)

// TestRunKeepsSecretsOutOfEveryOutput runs `journeygate run` (with -v for
// debug logs) over a journey that uses a leased API key, read from the
// environment, which the target echoes back in a response and in an error
// message; then `journeygate show` of the run. The key is in none of the
// outputs: stdout and stderr of both (the JSON report, the summary, the
// progress lines, the logs), the JUnit file and the store file.
func TestRunKeepsSecretsOutOfEveryOutput(t *testing.T) {
	secret := secrettest.NewSecret()
	target := secrettest.Target(t)
	reg, err := journey.NewRegistry(secrettest.Journey("order-as-tenant"))
	if err != nil {
		t.Fatal(err)
	}
	prev := testCatalogue
	testCatalogue = func() (*journey.Registry, error) { return reg, nil }
	t.Cleanup(func() { testCatalogue = prev })

	dir := t.TempDir()
	config := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(config, []byte(secrettest.Environments("local", target.URL, 5*time.Second)), 0o600); err != nil {
		t.Fatal(err)
	}
	db, junit := filepath.Join(dir, "s.db"), filepath.Join(dir, "junit.xml")
	vars := map[string]string{secrettest.EnvVar: secret}
	cli := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, testEnv(&stdout, &stderr, func(k string) string { return vars[k] }))
		return code, stdout.String(), stderr.String()
	}

	code, jsonOut, jsonErr := cli("run", "--config", config, "--store", db, "--junit", junit, "--json", "-v")
	if code != exitFailed {
		t.Fatalf("run --json exited %d, want %d:\n%s\n%s", code, exitFailed, jsonOut, jsonErr)
	}
	target.AssertUsed(t, secret)
	var rep struct {
		RunID string `json:"runId"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &rep); err != nil || rep.RunID == "" {
		t.Fatalf("JSON report: %v\n%s", err, jsonOut)
	}
	code, plainOut, plainErr := cli("run", "--config", config, "--store", db, "-v")
	if code != exitFailed {
		t.Fatalf("run exited %d, want %d:\n%s\n%s", code, exitFailed, plainOut, plainErr)
	}
	if !strings.Contains(plainOut, "[REDACTED]") || !strings.Contains(plainErr, "calling as tenant with key [REDACTED]") {
		t.Errorf("the summary and the debug log should show the key redacted:\n%s\n%s", plainOut, plainErr)
	}
	_, showOut, showErr := cli("show", rep.RunID, "--store", db)
	junitXML, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		what     string
		out      string
		redacted bool
	}{
		{"run --json stdout (the JSON report)", jsonOut, true},
		{"run --json stderr (progress and logs)", jsonErr, true},
		{"run stdout (progress and summary)", plainOut, true},
		{"run stderr (logs)", plainErr, true},
		{"the JUnit file", string(junitXML), true},
		{"the store file", string(file), true},
		{"show stdout", showOut, false},
		{"show stderr", showErr, false},
	} {
		secrettest.AssertClean(t, o.what, []byte(o.out), secret, o.redacted)
	}
}
