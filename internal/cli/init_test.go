package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInit: init writes a repository into a new directory and says what
// to do next; bad input is exit 2 naming what is wrong, and a directory
// that is not empty is refused, named, and left as it was.
func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "team")
	code, out, stderr := runCLI(t, "init", dir, "--module", "example.com/acme/team")
	if code != exitSucceeded {
		t.Fatalf("init: exit %d:\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"into " + dir, "journeys/order_placed.go", "go mod tidy", "make run"} {
		if !strings.Contains(out, want) {
			t.Errorf("init's output does not say %q:\n%s", want, out)
		}
	}
	// A test binary is a development build: go.mod gets the placeholder,
	// and init says so.
	if !strings.Contains(stderr, "cannot tell its own version") {
		t.Errorf("init does not say the version is a placeholder:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "journeygate", "main.go")); err != nil {
		t.Error(err)
	}
	// Flags before DIR work too.
	if code, out, stderr := runCLI(t, "init", "--module", "example.com/acme/team", filepath.Join(t.TempDir(), "other")); code != exitSucceeded {
		t.Errorf("init --module M DIR: exit %d:\n%s%s", code, out, stderr)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not empty", []string{"init", dir, "--module", "example.com/acme/team"}, dir + " is not empty"},
		{"no module", []string{"init", filepath.Join(t.TempDir(), "x")}, "--module PATH is required"},
		{"no dir", []string{"init", "--module", "example.com/acme/team"}, "no DIR"},
		{"two dirs", []string{"init", "a", "b", "--module", "example.com/acme/team"}, `unexpected argument "b"`},
		{"bad module", []string{"init", filepath.Join(t.TempDir(), "x"), "--module", "a b"}, "--module"},
		{"bad replace", []string{"init", filepath.Join(t.TempDir(), "x"), "--module", "example.com/t", "--replace", t.TempDir()}, "no journeygate checkout there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d saying %q:\n%s", code, exitUsage, tc.want, stderr)
			}
		})
	}
	if code, _, _ := runCLI(t, "init", "-h"); code != exitSucceeded {
		t.Errorf("init -h: exit %d", code)
	}
}
