package envconfig

import (
	"strings"
	"testing"
	"time"
)

func TestGateFreezeSettings(t *testing.T) {
	data := `environments:
  plain:
    targets: {api: "http://127.0.0.1:1"}
  off:
    targets: {api: "http://127.0.0.1:1"}
    gate: {freeze: {enabled: false}}
  wide:
    targets: {api: "http://127.0.0.1:1"}
    gate:
      freeze:
        window: 2h
`
	cfg, err := Parse("envs.yaml", []byte(data), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env     string
		enabled bool
		window  time.Duration
		eff     time.Duration
	}{
		{"plain", true, 30 * time.Minute, 30 * time.Minute},
		{"off", false, 30 * time.Minute, 0},
		{"wide", true, 2 * time.Hour, 2 * time.Hour},
		{"undefined", true, 30 * time.Minute, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			f := cfg.GateOf(tt.env).Freeze
			if f.Enabled != tt.enabled || f.Window != tt.window || f.EffectiveWindow() != tt.eff {
				t.Errorf("freeze %+v (effective %s), want enabled %t window %s effective %s", f, f.EffectiveWindow(), tt.enabled, tt.window, tt.eff)
			}
		})
	}
	var none *Config
	if g := none.GateOf("x"); g != DefaultGate() {
		t.Errorf("nil config: %+v", g)
	}
}

func TestGateFreezeErrors(t *testing.T) {
	cases := []struct {
		name, data string
		want       []string
	}{
		{"not a duration", "environments:\n  local:\n    gate:\n      freeze:\n        window: soon\n", []string{"envs.yaml:5", "environments.local.gate.freeze.window", `"soon" is not a duration`}},
		{"too short", "environments:\n  local:\n    gate: {freeze: {window: 10s}}\n", []string{"envs.yaml:3", "gate.freeze.window", "between 1m0s and 168h0m0s"}},
		{"unknown key", "environments:\n  local:\n    gate: {freeze: {enable: true}}\n", []string{"envs.yaml:3", "gate.freeze.enable", "unknown key", "enabled"}},
		{"not a boolean", "environments:\n  local:\n    gate: {freeze: {enabled: maybe}}\n", []string{"envs.yaml:3", "gate.freeze.enabled", `"maybe"`, "want true or false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("envs.yaml", []byte(c.data), env(nil))
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
