package browser_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/browser"
)

// JOURNEYGATE_CHROMIUM may name a path or a command on PATH (the Makefile
// passes CHROMIUM=chromium); neither found says so.
func TestExecutableFromEnvironment(t *testing.T) {
	onPath, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH: make tools installs it")
	}
	for _, v := range []string{"chromium", onPath} {
		t.Setenv(browser.EnvChromium, v)
		if got, err := browser.Executable(); err != nil || got != onPath {
			t.Errorf("%s=%s: %q, %v; want %s", browser.EnvChromium, v, got, err, onPath)
		}
	}
	t.Setenv(browser.EnvChromium, "no-such-chromium")
	if _, err := browser.Executable(); err == nil || !strings.Contains(err.Error(), "no-such-chromium") {
		t.Errorf("an unknown name: %v, want an error naming it", err)
	}
}
