package contract

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/test/repo"
)

// TestMain gives the browser runner the Chromium the deployed function
// ships: @sparticuz/chromium's files as pinned, unpacked by
// chromiumlayer.Install (into a cache directory, where a later run finds
// them) and configured as the function configures it (no sandbox, its
// flags, its libraries and fonts). The browser SDK reads the configuration
// from the process's environment, as it does in Lambda.
func TestMain(m *testing.M) {
	if err := useShippedChromium(); err != nil {
		fmt.Fprintln(os.Stderr, "contract: the browser runner's Chromium:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func useShippedChromium() error {
	src, err := repo.NodeModule("@sparticuz/chromium/bin")
	if err != nil {
		return err
	}
	dir, err := chromiumlayer.CacheDir(src)
	if err != nil {
		return err
	}
	b, err := chromiumlayer.Install(src, dir)
	if err != nil {
		return err
	}
	env := b.Env(os.Getenv)
	env[browser.EnvChromium] = b.Executable
	env[browser.EnvNoSandbox] = "1"
	env[browser.EnvArgs] = infra.BrowserRunnerChromiumArgs
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// TestJourneysReachTheirRunners: a run of an API journey and a UI journey
// (silence-through-ui, driving Alertmanager's web UI in the shipped
// Chromium) goes through the deployed definition: the plan gives each
// journey its runner's function, and the Map item's one Task invokes the
// runner for the API journey and the browser runner for the UI journey,
// each exactly once, and both pass.
func TestJourneysReachTheirRunners(t *testing.T) {
	t.Parallel()
	w := newWorld(t, options{})
	const api, ui = "alert-to-notification", "silence-through-ui"
	resp, err := w.invokeHook([]byte(`{"journeygate": {"trigger": "manual", "environment": "local", "journeys": ["` + api + `", "` + ui + `"], "requestId": "contract-routing"}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := gateOutput(t, w.waitExecutions(1)[0])
	if out.Status != "Succeeded" || out.RunID != resp.RunID {
		t.Fatalf("gate: %+v (hook started %s)", out, resp.RunID)
	}
	if got := w.journeysRun("runner"); !slices.Equal(got, []string{api}) {
		t.Errorf("runner ran %v, want [%s]", got, api)
	}
	if got := w.journeysRun(infra.FunctionBrowserRunner); !slices.Equal(got, []string{ui}) {
		t.Errorf("browser runner ran %v, want [%s]", got, ui)
	}
	// The runner also planned the run; the browser runner did nothing else.
	if n, b := w.calls("runner"), w.calls(infra.FunctionBrowserRunner); n != 2 || b != 1 {
		t.Errorf("invocations: runner %d, browser runner %d; want 2 (plan, %s) and 1 (%s)", n, b, api, ui)
	}
	results, err := w.store.Results(context.Background(), resp.RunID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range results {
		got[r.Journey] = string(r.Outcome)
	}
	if got[api] != "passed" || got[ui] != "passed" || len(got) != 2 {
		t.Errorf("results %v, want %s and %s passed", got, api, ui)
	}
}
