package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/journeys"
)

// TestMain runs the runner's main instead of the tests when the test
// binary is started as the runner (TestMismatchedRunnerRefusesToStart).
func TestMain(m *testing.M) {
	if os.Getenv("JOURNEYGATE_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestMismatchedRunnerRefusesToStart starts the runner as Lambda would,
// with the fingerprint of another catalogue: it logs why, naming both
// fingerprints and what to do, and exits 1 before serving anything.
func TestMismatchedRunnerRefusesToStart(t *testing.T) {
	reg, err := journeys.Registry()
	if err != nil {
		t.Fatal(err)
	}
	envs, err := filepath.Abs(filepath.Join("..", "..", journeys.EnvironmentsPath))
	if err != nil {
		t.Fatal(err)
	}
	const deployed = "sha256:0123456789abcdef01234567"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "JOURNEYGATE_TEST_RUN_MAIN=1", "JOURNEYGATE_TABLE=jg", "JOURNEYGATE_ENVIRONMENTS_FILE="+envs,
		"JOURNEYGATE_CATALOGUE_FINGERPRINT="+deployed, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("runner exited %d (%v), want 1; output:\n%s", code, err, out.String())
	}
	log := out.String()
	for _, want := range []string{`"msg":"runner cannot start"`, reg.Fingerprint(), deployed, "JOURNEYGATE_CATALOGUE_FINGERPRINT", "make build && make deploy"} {
		if !strings.Contains(log, want) {
			t.Errorf("the runner's log does not say %q:\n%s", want, log)
		}
	}
}
