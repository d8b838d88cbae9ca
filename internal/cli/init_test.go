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
	// A test binary is a development build: it cannot tell its own
	// version, so without --version or --replace init refuses, saying
	// how to go on, and writes nothing.
	unversioned := filepath.Join(t.TempDir(), "unversioned")
	code, out, stderr := runCLI(t, "init", unversioned, "--module", "example.com/acme/team")
	if code != exitUsage || !strings.Contains(stderr, "cannot tell its own version") || !strings.Contains(stderr, "--replace DIR") || !strings.Contains(stderr, "--version VERSION") {
		t.Errorf("init by a development build without --version or --replace: exit %d, want %d saying how to go on:\n%s%s", code, exitUsage, out, stderr)
	}
	if _, err := os.Stat(unversioned); !os.IsNotExist(err) {
		t.Errorf("the refused init left %s: %v", unversioned, err)
	}

	dir := filepath.Join(t.TempDir(), "team")
	code, out, stderr = runCLI(t, "init", dir, "--module", "example.com/acme/team", "--version", "v1.4.2")
	if code != exitSucceeded {
		t.Fatalf("init: exit %d:\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"into " + dir, "journeys/order_placed.go", "journeygate: github.com/journeygate/journeygate@v1.4.2", "go mod tidy", "make run"} {
		if !strings.Contains(out, want) {
			t.Errorf("init's output does not say %q:\n%s", want, out)
		}
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.Contains(string(gomod), "github.com/journeygate/journeygate v1.4.2") {
		t.Errorf("go.mod does not require --version's journeygate (%v):\n%s", err, gomod)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "journeygate", "main.go")); err != nil {
		t.Error(err)
	}
	// Flags before DIR work too.
	if code, out, stderr := runCLI(t, "init", "--module", "example.com/acme/team", "--version", "v1.4.2", filepath.Join(t.TempDir(), "other")); code != exitSucceeded {
		t.Errorf("init --module M --version V DIR: exit %d:\n%s%s", code, out, stderr)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not empty", []string{"init", dir, "--module", "example.com/acme/team", "--version", "v1.4.2"}, dir + " is not empty"},
		{"bad version", []string{"init", filepath.Join(t.TempDir(), "x"), "--module", "example.com/t", "--version", "1.4"}, `journeygate version "1.4" is not a semantic version`},
		{"no module", []string{"init", filepath.Join(t.TempDir(), "x")}, "--module PATH is required"},
		{"no dir", []string{"init", "--module", "example.com/acme/team"}, "no DIR"},
		{"two dirs", []string{"init", "a", "b", "--module", "example.com/acme/team"}, `unexpected argument "b"`},
		{"bad module", []string{"init", filepath.Join(t.TempDir(), "x"), "--module", "a b", "--version", "v1.4.2"}, "--module"},
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
