package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/cli"
	"github.com/journeygate/journeygate/shared/journey"
)

// catalogue is a team's catalogue of one journey calling no target.
func catalogue() (*journey.Registry, error) {
	return journey.NewRegistry(journey.Journey{
		Name: "checkout", Tier: journey.TierGlobal, Owner: "shop", Mode: journey.ModeEnforce,
		Steps: []journey.Step{{Name: "basket paid", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
	})
}

// TestMain runs cli.Main, as a team's cmd/journeygate does, when the test
// binary is started as the CLI (TestMainIsTheCLI).
func TestMain(m *testing.M) {
	if os.Getenv("JOURNEYGATE_TEST_CLI") == "1" {
		os.Args = append([]string{"journeygate"}, strings.Fields(os.Getenv("JOURNEYGATE_TEST_ARGS"))...)
		os.Exit(cli.Main(cli.Options{Catalogue: catalogue, Environments: os.Getenv("JOURNEYGATE_TEST_ENVIRONMENTS")}))
	}
	os.Exit(m.Run())
}

// TestMainIsTheCLI: cli.Main with a team's catalogue and environments
// file is the whole CLI, its exit codes the contract: list shows the
// team's journey, run passes it (0), an unknown environment is 2.
func TestMainIsTheCLI(t *testing.T) {
	dir := t.TempDir()
	envs := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(envs, []byte("environments:\n  local: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "s.db")
	for _, tc := range []struct {
		args string
		code int
		want string
	}{
		{"list", 0, "checkout"},
		{"run --store " + store, 0, "VERDICT: Succeeded"},
		{"run --env staging --store " + store, 2, `no environment "staging"`},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "JOURNEYGATE_TEST_CLI=1", "JOURNEYGATE_TEST_ARGS="+tc.args, "JOURNEYGATE_TEST_ENVIRONMENTS="+envs)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("journeygate %s: exit %d, want %d saying %q:\n%s", tc.args, code, tc.code, tc.want, out)
		}
	}
}

// TestCheckEnvironments: every environment of the file is checked, not
// only one: a target the journey calls that staging lacks is an error
// naming the file, the line, staging and the journey, while the same
// file with staging defining it passes.
func TestCheckEnvironments(t *testing.T) {
	shop := func() (*journey.Registry, error) {
		return journey.NewRegistry(journey.Journey{
			Name: "checkout", Tier: journey.TierGlobal, Owner: "shop", Mode: journey.ModeEnforce, Targets: []string{"shop"},
			Steps: []journey.Step{{Name: "basket paid", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
		})
	}
	dir := t.TempDir()
	envs := filepath.Join(dir, "envs.yaml")
	for _, tc := range []struct {
		name, file, want string
	}{
		{"staging lacks the target", "environments:\n  local:\n    targets: {shop: http://127.0.0.1:8080}\n  staging:\n    targets: {}\n",
			envs + `:5: environments.staging.targets: missing target "shop" used by journey "checkout"`},
		{"both define it", "environments:\n  local:\n    targets: {shop: http://127.0.0.1:8080}\n  staging:\n    targets: {shop: https://shop.example.com}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(envs, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			err := cli.CheckEnvironments(cli.Options{Catalogue: shop, Environments: envs})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckEnvironments = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckEnvironments = %v, want it to say %s", err, tc.want)
			}
		})
	}
}
