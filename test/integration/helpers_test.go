package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/repo"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the CLI and the demo once per test process.
func binaries(t *testing.T) (cli, demo string) {
	t.Helper()
	buildOnce.Do(func() {
		root, err := repo.Root()
		if err != nil {
			buildErr = err
			return
		}
		binDir, buildErr = os.MkdirTemp("", "journeygate-bin-")
		if buildErr != nil {
			return
		}
		for _, pkg := range []string{"./cmd/journeygate", "./test/cmd/demo"} {
			cmd := exec.Command("go", "build", "-o", binDir+"/", pkg)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = &buildError{pkg: pkg, out: string(out), err: err}
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build binaries: %v", buildErr)
	}
	return filepath.Join(binDir, "journeygate"), filepath.Join(binDir, "demo")
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return e.pkg + ": " + e.err.Error() + "\n" + e.out }

// startAlertmanager starts a real Alertmanager delivering to webhooks.
func startAlertmanager(t *testing.T, fault string, webhooks ...string) *alertmanager.Instance {
	t.Helper()
	bin, err := alertmanager.EnsureBinary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	am, err := alertmanager.Start(context.Background(), alertmanager.Options{Binary: bin, Webhooks: webhooks, Fault: fault})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(am.Stop)
	return am
}

// dirArtifacts keeps a run's artifacts (a browser step's screenshots) as
// files under a directory, one folder per run, as a local run does.
type dirArtifacts string

func (d dirArtifacts) Put(_ context.Context, runID, name, _ string, data []byte) (string, error) {
	dir := filepath.Join(string(d), runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, data, 0o644)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	a, err := alertmanager.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
