package infra_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/test/repo"
)

// lineOf is the 1-based line of the first line of path that is want,
// after the line that is after (if given).
func lineOf(t *testing.T, path, after, want string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := after == ""
	for i, l := range strings.Split(string(data), "\n") {
		if seen && l == want {
			return i + 1
		}
		seen = seen || l == after
	}
	t.Fatalf("%s has no line %q after %q", path, want, after)
	return 0
}

// shippedEnvironments is the path of the shipped environments file.
func shippedEnvironments(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, infra.DefaultEnvironmentsFile)
}

// TestEnvironmentMissingFromTheFile: a stack for an environment its
// environments file does not define is a synth error naming the file and
// line, not a stack whose every run fails.
func TestEnvironmentMissingFromTheFile(t *testing.T) {
	file := shippedEnvironments(t)
	for name, want := range map[string]string{
		"acme-prod":  `no environment "acme-prod" (defined: local, production, staging): add it, or deploy one of those`,
		"prodcution": `no environment "prodcution" (defined: local, production, staging): add it, or deploy one of those; did you mean "production"?`,
	} {
		_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) { d.Props.Environment = name })
		want = fmt.Sprintf(`%s:%d: environments.%s: %s`, file, lineOf(t, file, "", "environments:"), name, want)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to say %s", err, want)
		}
	}
}

// TestTargetMissingFromTheEnvironment: a journey that runs in staging and
// calls a target staging does not define is a synth error naming the
// journey, the target, the file and the line; scoped to local, the same
// journey needs nothing of staging.
func TestTargetMissingFromTheEnvironment(t *testing.T) {
	file := shippedEnvironments(t)
	mailbox := testJourney("mail-arrives", 5*time.Second)
	mailbox.Targets, mailbox.Needs = []string{"mailbox"}, []string{"inboxes"}
	_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
		d.Props.Catalogue = catalogue(t, append(journeys.All(), mailbox)...)
	})
	targets := lineOf(t, file, "  staging:", "    targets:")
	for _, want := range []string{
		fmt.Sprintf(`%s:%d: environments.staging.targets.mailbox: missing target "mailbox" used by journey "mail-arrives"`, file, targets),
		fmt.Sprintf(`%s:%d: environments.staging.pools.inboxes: missing pool "inboxes" needed by journey "mail-arrives"`, file, lineOf(t, file, "", "  staging:")),
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to say %s", err, want)
		}
	}

	mailbox.Environments = []string{"local"}
	s, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
		d.Props.Catalogue = catalogue(t, append(journeys.All(), mailbox)...)
	})
	if err != nil {
		t.Fatalf("a journey scoped to local needs no staging target: %v", err)
	}
	for _, id := range s.Template.OfType("AWS::CloudWatch::Alarm") {
		if name := s.Template.Resources[id].Properties["AlarmName"].(string); strings.Contains(name, "mail-arrives") {
			t.Errorf("alarm %s in staging for a journey that runs only in local", name)
		}
	}
}

// TestEnvironmentsFileIsBundled: the runner and the gate get the
// environments file beside bootstrap and JOURNEYGATE_ENVIRONMENTS_FILE
// pointing at it; the gate gets the variables the file expands (and not
// the runner's others); the hook and the sink get neither.
func TestEnvironmentsFileIsBundled(t *testing.T) {
	dir := t.TempDir()
	s, err := infratest.Synthesize(dir, "staging", func(d *infra.Deployment) {
		d.Props.RunnerEnvironment["RUNNER_ONLY"] = "x"
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(shippedEnvironments(t))
	if err != nil {
		t.Fatal(err)
	}
	for id, fn := range s.Gate.FunctionLogicalIDs() {
		p := s.Template.Resources[id].Properties
		vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		key, _ := p["Code"].(map[string]any)["S3Key"].(string)
		asset := filepath.Join(dir, "cdk.out", "asset."+strings.TrimSuffix(key, ".zip"))
		if _, err := os.Stat(filepath.Join(asset, "bootstrap")); err != nil {
			t.Errorf("%s: no bootstrap in its asset %s: %v", fn, asset, err)
		}
		got, err := os.ReadFile(filepath.Join(asset, filepath.Base(infra.BundledEnvironmentsFile)))
		bundled := fn == infra.FunctionRunner || fn == infra.FunctionBrowserRunner || fn == infra.FunctionGate
		switch {
		case bundled && (err != nil || !bytes.Equal(got, want)):
			t.Errorf("%s: bundled environments file %q (%v), want the file's %d bytes", fn, got, err, len(want))
		case bundled && vars["JOURNEYGATE_ENVIRONMENTS_FILE"] != infra.BundledEnvironmentsFile:
			t.Errorf("%s: JOURNEYGATE_ENVIRONMENTS_FILE %v, want %s", fn, vars["JOURNEYGATE_ENVIRONMENTS_FILE"], infra.BundledEnvironmentsFile)
		case !bundled && (err == nil || vars["JOURNEYGATE_ENVIRONMENTS_FILE"] != nil):
			t.Errorf("%s reads no environments file, yet has one", fn)
		}
		if fn == infra.FunctionGate && (vars["STAGING_ALERTMANAGER_URL"] == nil || vars["RUNNER_ONLY"] != nil) {
			t.Errorf("gate variables %v: want STAGING_ALERTMANAGER_URL, which the file expands, and not RUNNER_ONLY", vars)
		}
	}
}

// TestEnvironmentsFileIsAProp: JOURNEYGATE_ENVIRONMENTS_FILE in
// RunnerEnvironment is refused for Props.EnvironmentsFile, and a stack
// without an environments file says what to set.
func TestEnvironmentsFileIsAProp(t *testing.T) {
	_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
		d.Props.RunnerEnvironment["JOURNEYGATE_ENVIRONMENTS_FILE"] = "/opt/envs.yaml"
		d.Props.EnvironmentsFile = ""
	})
	for _, want := range []string{
		"RunnerEnvironment: JOURNEYGATE_ENVIRONMENTS_FILE is set by the construct: set Props.EnvironmentsFile",
		"no environments file: set Props.EnvironmentsFile",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to say %s", err, want)
		}
	}
}

// TestTestTargetsBesideTargets: an environment declaring test_targets (the
// targets of the version about to get traffic) beside its targets
// synthesizes; the variables its test targets expand reach the runner and
// the gate like those of its targets.
func TestTestTargetsBesideTargets(t *testing.T) {
	dir := t.TempDir()
	path, err := infratest.WriteEnvironments(dir, func(doc map[string]any) {
		infratest.Environment(doc, "staging")["test_targets"] = map[string]any{"alertmanager": "${STAGING_ALERTMANAGER_TEST_URL}"}
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := infratest.Synthesize(dir, "staging", func(d *infra.Deployment) {
		d.Props.EnvironmentsFile = path
		d.Props.RunnerEnvironment["STAGING_ALERTMANAGER_TEST_URL"] = "https://alertmanager-test.staging.example.com"
	})
	if err != nil {
		t.Fatalf("an environment with test_targets: %v", err)
	}
	for _, fn := range []string{infra.FunctionRunner, infra.FunctionGate} {
		env, _ := s.Template.Resources[idOf(t, s, fn)].Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if got := vars["STAGING_ALERTMANAGER_TEST_URL"]; got != "https://alertmanager-test.staging.example.com" {
			t.Errorf("%s: STAGING_ALERTMANAGER_TEST_URL = %v, want the test target's URL", fn, got)
		}
	}
}
