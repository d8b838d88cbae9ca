package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
)

// brokenEnvironments is an environments file whose line 4 is wrong.
const brokenEnvironments = "environments:\n  local:\n    targets:\n      alertmanager: not-a-url\n"

// TestEnvironmentsOrigin: without --config the CLI reads the file on disk
// (found from the working directory upwards) or, only when built with
// one, its embedded copy; every error names the origin actually read, and
// an edit to the file on disk is what the next command sees.
func TestEnvironmentsOrigin(t *testing.T) {
	repo := t.TempDir()
	file := filepath.Join(repo, "journeys", "environments.yaml")
	deep := filepath.Join(repo, "services", "checkout")
	for _, d := range []string{filepath.Dir(file), deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, []byte(brokenEnvironments), 0o600); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	store := filepath.Join(t.TempDir(), "s.db")
	cases := []struct {
		name   string
		wd     string
		cfg    func(*Config)
		args   []string
		code   int
		want   []string
		refuse []string
	}{
		{name: "from the repository root", wd: repo,
			code: exitUsage, want: []string{file + ":4"}},
		{name: "from a directory below it", wd: deep,
			code: exitUsage, want: []string{file + ":4"}},
		{name: "absolute path", wd: elsewhere, cfg: func(c *Config) { c.Environments = file },
			code: exitUsage, want: []string{file + ":4"}},
		{name: "not found", wd: elsewhere,
			code: exitUsage, want: []string{"no environments file: journeys/environments.yaml is neither in " + elsewhere + " nor in a directory above it", "--config"}},
		{name: "embedded copy, only when asked for", wd: repo, cfg: func(c *Config) { c.Embedded = []byte(brokenEnvironments) },
			code: exitUsage, want: []string{"embedded journeys/environments.yaml:4"}, refuse: []string{file}},
		{name: "--config wins over the embedded copy", wd: elsewhere, cfg: func(c *Config) { c.Embedded = journeys.EnvironmentsFile },
			args: []string{"--config", file}, code: exitUsage, want: []string{file + ":4"}, refuse: []string{"embedded"}},
		{name: "the shipped file, embedded", wd: elsewhere, cfg: func(c *Config) { c.Embedded = journeys.EnvironmentsFile },
			args: []string{"--env", "prod"}, code: exitUsage, want: []string{`no environment "prod"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := testEnv(&stdout, &stderr, func(string) string { return "" })
			e.getwd = func() (string, error) { return tc.wd, nil }
			if tc.cfg != nil {
				tc.cfg(&e.cfg)
			}
			args := append([]string{"run", "--store", store}, tc.args...)
			code := run(context.Background(), args, e)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			for _, r := range tc.refuse {
				if strings.Contains(stderr.String(), r) {
					t.Errorf("stderr names %q, which was not read:\n%s", r, stderr.String())
				}
			}
		})
	}

	// The file on disk is read each time: fixed, the same command gets
	// past it (to the unknown environment).
	if err := os.WriteFile(file, journeys.EnvironmentsFile, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	e := testEnv(&stdout, &stderr, func(string) string { return "" })
	e.getwd = func() (string, error) { return deep, nil }
	if code := run(context.Background(), []string{"run", "--env", "prod", "--store", store}, e); code != exitUsage || !strings.Contains(stderr.String(), `no environment "prod"`) {
		t.Errorf("after the fix: exit %d, stderr:\n%s", code, stderr.String())
	}
}

// TestHelpNamesTheEnvironmentsRead: run -h says which environments file
// is read without --config.
func TestHelpNamesTheEnvironmentsRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		want string
	}{
		{"on disk", nil, "journeys/environments.yaml in the working directory or the nearest directory above it"},
		{"embedded", func(c *Config) { c.Embedded = journeys.EnvironmentsFile }, "the copy of journeys/environments.yaml embedded in this binary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := testEnv(&stdout, &stderr, func(string) string { return "" })
			if tc.cfg != nil {
				tc.cfg(&e.cfg)
			}
			if code := run(context.Background(), []string{"run", "-h"}, e); code != exitSucceeded {
				t.Fatalf("exit %d", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("run -h does not say %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}

// TestCatalogueErrorsExit2: a CLI built without a catalogue, or whose
// catalogue does not validate, is a configuration error naming it.
func TestCatalogueErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		catalogue func() (*journey.Registry, error)
		want      string
	}{
		{"none", nil, "no journey catalogue"},
		{"invalid", func() (*journey.Registry, error) { return nil, errors.New("journey \"x\": no steps") }, "invalid journey definitions:\njourney \"x\": no steps"},
		{"nil registry", func() (*journey.Registry, error) { return nil, nil }, "no journey catalogue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := testEnv(&stdout, &stderr, func(string) string { return "" })
			e.cfg.Catalogue = tc.catalogue
			if code := run(context.Background(), []string{"list"}, e); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}
