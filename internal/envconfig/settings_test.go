package envconfig

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// quietJourney waits out quiet_window in a 5 s step, as alert-grouping
// does, and calls target api.
func quietJourney(name string) journey.Journey {
	do := func(context.Context, *journey.T) error { return nil }
	return journey.Journey{
		Name: name, Targets: []string{"api"},
		Settings: []journey.Setting{
			{Name: "quiet_window", Kind: journey.SettingDuration, Default: "2s", Within: []string{"no second notification"}},
			{Name: "tenant", Required: true},
		},
		Steps: []journey.Step{
			{Name: "alert accepted", SLA: 3 * time.Second, Do: do},
			{Name: "no second notification", SLA: 5 * time.Second, Do: do},
		},
	}
}

// Check names the file, the line of the field and the journey for a
// target the environment lacks and for every setting that cannot work.
func TestCheckTargetsAndSettings(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // "" = passes
	}{
		{name: "fits", data: `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    settings:
      quiet_window: 4s
      tenant: t-1
`},
		{name: "the default fits", data: `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    settings: {tenant: t-1}
`},
		{name: "an undefined target", data: `environments:
  local:
    targets:
      alertmanager: "http://127.0.0.1:1"
    settings: {tenant: t-1}
`, want: []string{`envs.yaml:3: environments.local.targets: missing target "api" used by journey "grouping" (defined: alertmanager)`}},
		{name: "a negative window", data: `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    settings:
      tenant: t-1
      quiet_window: -2s
`, want: []string{`envs.yaml:6: environments.local.settings.quiet_window: journey "grouping": "-2s" is not a positive duration`}},
		{name: "a window that does not fit its step", data: `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    settings:
      quiet_window: 6s
      tenant: t-1
`, want: []string{`envs.yaml:5: environments.local.settings.quiet_window: journey "grouping": 6s does not fit in step 2/2 (no second notification), whose SLA is 5s: it must be shorter`}},
		{name: "a required setting missing", data: `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    settings:
      quiet_window: 1s
  staging:
    targets: {api: "http://127.0.0.1:1"}
`, want: []string{
			`envs.yaml:4: environments.local.settings: missing setting "tenant" required by journey "grouping"`,
			`envs.yaml:6: environments.staging.settings: missing setting "tenant" required by journey "grouping"`,
		}},
		{name: "a required setting mistyped", data: `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    settings:
      tenat: t-1
`, want: []string{
			`envs.yaml:4: environments.local.settings: missing setting "tenant" required by journey "grouping" ("tenat" is set: a typo?)`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("envs.yaml", []byte(tc.data), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Check([]journey.Journey{quietJourney("grouping")})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check passed")
			}
			if got := strings.Split(err.Error(), "\n"); len(got) != len(tc.want) {
				t.Errorf("Check found %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check = %v\nwant %q", err, w)
				}
			}
		})
	}
}

// A Config built in code (without its file's text) still names the file
// and the field.
func TestCheckWithoutLines(t *testing.T) {
	cfg := &Config{File: "envs.yaml", Environments: map[string]Environment{"local": {Name: "local", Settings: map[string]string{"tenant": "t", "quiet_window": "9s"}}}}
	err := cfg.Check([]journey.Journey{quietJourney("grouping")})
	for _, w := range []string{`envs.yaml: environments.local.targets: missing target "api"`, `envs.yaml: environments.local.settings.quiet_window: journey "grouping": 9s does not fit`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Check = %v, want %q", err, w)
		}
	}
}

// Only checks one environment and keeps naming the file's lines.
func TestOnly(t *testing.T) {
	cfg, err := Parse("envs.yaml", []byte("environments:\n  local:\n    targets: {api: \"http://127.0.0.1:1\"}\n    settings: {tenant: t}\n  staging:\n    settings:\n      tenant: t\n      quiet_window: 7s\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	local, err := cfg.Only("local")
	if err != nil || local.Check([]journey.Journey{quietJourney("grouping")}) != nil {
		t.Errorf("local alone: %v", err)
	}
	staging, _ := cfg.Only("staging")
	err = staging.Check([]journey.Journey{quietJourney("grouping")})
	if err == nil || !strings.Contains(err.Error(), "envs.yaml:8: environments.staging.settings.quiet_window: journey \"grouping\": 7s does not fit") {
		t.Errorf("staging alone: %v", err)
	}
	if _, err := cfg.Only("prod"); err == nil {
		t.Error("Only of an undefined environment")
	}
}
