package addjourney

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/repo"
)

// extraJourney is the journey added to the copy: a global journey against
// a mailbox only the local environment defines, at a loopback port nothing
// listens on. Run, it fails.
const extraJourney = `package journeys

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// MailboxReachable is the journey test/addjourney adds to a copy of the
// catalogue.
func MailboxReachable() journey.Journey {
	return journey.Journey{
		Name: "mailbox-reachable", Description: "the local mailbox answers",
		Tier: journey.TierGlobal, Owner: "messaging", Covers: []string{"mailbox"},
		Mode: journey.ModeEnforce, Targets: []string{"mailbox"}, Environments: []string{"local"},
		Steps: []journey.Step{{Name: "mailbox answers", SLA: 2 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
			resp, err := t.HTTP("mailbox").Get(ctx, "/health")
			if err != nil {
				return err
			}
			return resp.Expect(200)
		}}},
	}
}
`

const extraName = "mailbox-reachable"

// edits are the changes a team makes to add the journey, each an anchor
// in a file of the copy and what is inserted after it.
var edits = []struct{ file, anchor, insert string }{
	{"journeys/catalogue.go", "\treturn []journey.Journey{\n", "\t\tMailboxReachable(),\n"},
	{"journeys/environments.yaml", "  local:\n    targets:\n", "      mailbox: ${JOURNEYGATE_MAILBOX_URL:-http://127.0.0.1:1}\n"},
}

// TestAddingAJourneyKeepsTheDemoAndTestsGreen adds a journey to a copy of
// the repository and shows, in the copy: the journey is in the catalogue
// and fails when run (so whatever ran the whole catalogue would fail); yet
// `make run` ends Succeeded without running it, and the catalogue's tests,
// the CLI's (which run the example catalogue) and the integration tests
// that run the examples pass.
func TestAddingAJourneyKeepsTheDemoAndTestsGreen(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed to run `make run` in the copy")
	}
	amBin, err := alertmanager.EnsureBinary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	copyCheckout(t, root, dir)
	if err := os.WriteFile(filepath.Join(dir, "journeys", "mailbox_reachable.go"), []byte(extraJourney), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		path := filepath.Join(dir, e.file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(b, []byte(e.anchor)) != 1 {
			t.Fatalf("%s no longer holds %q once: teach this test how a journey is added now", e.file, e.anchor)
		}
		b = bytes.Replace(b, []byte(e.anchor), []byte(e.anchor+e.insert), 1)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The copy uses the pinned tools this checkout installed (copyCheckout
	// links them), not a second build of them.
	env := append(os.Environ(), "JOURNEYGATE_ALERTMANAGER="+amBin)

	run := func(t *testing.T, limit time.Duration, name string, args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &exit) && ctx.Err() == nil:
			return string(out), exit.ExitCode()
		default:
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
			return "", -1
		}
	}

	// The journey is in the copy's catalogue, and run alone it fails.
	if out, code := run(t, 5*time.Minute, "go", "build", "-o", "bin/journeygate", "./cmd/journeygate"); code != 0 {
		t.Fatalf("the copy's CLI does not build:\n%s", out)
	}
	if out, code := run(t, time.Minute, "bin/journeygate", "list"); code != 0 || !strings.Contains(out, extraName) {
		t.Fatalf("journeygate list exited %d and does not list %s:\n%s", code, extraName, out)
	}
	out, code := run(t, time.Minute, "bin/journeygate", "run", "--env", "local", "--journey", extraName, "--store", filepath.Join(t.TempDir(), "alone.db"))
	if code != 1 || !strings.Contains(out, "VERDICT: Failed") {
		t.Fatalf("run --journey %s exited %d, want 1 and a Failed verdict (nothing listens on its mailbox):\n%s", extraName, code, out)
	}

	t.Run("make run", func(t *testing.T) {
		out, code := run(t, 5*time.Minute, "make", "run")
		if code != 0 || !strings.Contains(out, "VERDICT: Succeeded") {
			t.Fatalf("make run exited %d, want 0 and Succeeded:\n%s", code, out)
		}
		if strings.Contains(out, extraName) {
			t.Errorf("make run ran %s; its demo runs the examples it serves, by name:\n%s", extraName, out)
		}
		for _, name := range append(slices.Clone(alertmanager.Examples), alertmanager.InboxExamples...) {
			if !strings.Contains(out, name) {
				t.Errorf("make run did not run the example %s:\n%s", name, out)
			}
		}
	})
	t.Run("catalogue and CLI tests", func(t *testing.T) {
		// The catalogue's own tests, and the CLI's, which run the example
		// catalogue as this repository's journeygate does.
		out, code := run(t, 10*time.Minute, "go", "test", "-count=1", "./journeys/...", "./internal/cli")
		if code != 0 {
			t.Fatalf("the copy's tests failed (exit %d):\n%s", code, out)
		}
		t.Logf("in the copy with %s:\n%s", extraName, out)
	})
	t.Run("integration tests", func(t *testing.T) {
		out, code := run(t, 10*time.Minute, "go", "test", "-count=1", "./test/integration",
			"-run", "^(TestExampleJourneysPassAgainstHealthyAlertmanager|TestTwoConcurrentRunsShareOneAlertmanager|TestMakeRunDemo)$")
		if code != 0 {
			t.Fatalf("the copy's tests failed (exit %d):\n%s", code, out)
		}
		t.Logf("in the copy with %s:\n%s", extraName, out)
	})
}

// copyCheckout copies the checkout's files as git sees them (tracked and
// untracked, ignored ones left out) from root to dir.
func copyCheckout(t *testing.T, root, dir string) {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	list, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	n := 0
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		info, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("git ls-files listed no files")
	}
	// The pinned tools already installed here (Alertmanager, staticcheck;
	// the npm stand-ins the tests start, such as dynalite).
	for _, tools := range []string{".tools", "test/node_modules"} {
		if _, err := os.Stat(filepath.Join(root, tools)); err == nil {
			if err := os.Symlink(filepath.Join(root, tools), filepath.Join(dir, tools)); err != nil {
				t.Fatal(err)
			}
		}
	}
}
