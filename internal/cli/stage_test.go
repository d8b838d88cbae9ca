package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// `journeygate run --stage` runs as the hook does at that stage: before
// traffic against the environment's test_targets (the only one answering
// here), after it against its targets (nothing listens); journeys see the
// stage and the version under test.
func TestRunStageDecidesTarget(t *testing.T) {
	seen := make(chan string, 4)
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(next.Close)
	useJourneys(t, journey.Journey{
		Name: "orders-answer", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Targets: []string{"api"},
		Steps: []journey.Step{{Name: "answers", SLA: 2 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
			seen <- string(t.Stage()) + "@" + t.TargetVersion()
			_, err := t.HTTP("api").Get(ctx, "/")
			return err
		}}},
	})
	dir := t.TempDir()
	config := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(config, []byte("environments:\n  staging:\n    targets:\n      api: http://127.0.0.1:1\n    test_targets:\n      api: "+next.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(stage string) (int, string) {
		code, out, stderr := runWith(t, "run", "--env", "staging", "--config", config, "--store", filepath.Join(dir, "s.db"), "--stage", stage, "--target-version", "42")
		return code, out + stderr
	}
	if code, out := run("BeforeAllowTraffic"); code != 0 {
		t.Errorf("at BeforeAllowTraffic: exit %d, want 0 against the test target:\n%s", code, out)
	}
	if got := <-seen; got != "BeforeAllowTraffic@42" {
		t.Errorf("the journey saw %q, want the stage and version 42", got)
	}
	if code, out := run("AfterAllowTraffic"); code != exitFailed || !strings.Contains(out, "orders-answer") {
		t.Errorf("at AfterAllowTraffic: exit %d, want 1 against the live target nobody serves:\n%s", code, out)
	}
}
