package journey_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// windowed is a journey whose second step (SLA 5 s) waits out quiet_window.
func windowed(s journey.Setting) journey.Journey {
	j := valid("windowed", okStep("first"), okStep("quiet"))
	j.Steps[1].SLA = 5 * time.Second
	j.Settings = []journey.Setting{s}
	return j
}

func TestSettingCheck(t *testing.T) {
	quiet := journey.Setting{Name: "quiet_window", Kind: journey.SettingDuration, Default: "2s", Within: []string{"quiet"}}
	tests := []struct {
		value string
		want  string // "" = fits
	}{
		{"2s", ""},
		{"4999ms", ""},
		{"-2s", `"-2s" is not a positive duration`},
		{"0s", `"0s" is not a positive duration`},
		{"soon", `"soon" is not a positive duration`},
		{"5s", "5s does not fit in step 2/2 (quiet), whose SLA is 5s: it must be shorter"},
		{"6s", "6s does not fit in step 2/2 (quiet), whose SLA is 5s"},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			err := quiet.Check(windowed(quiet), tc.value)
			if tc.want == "" {
				if err != nil {
					t.Errorf("Check(%q) = %v, want nil", tc.value, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check(%q) = %v, want %q", tc.value, err, tc.want)
			}
		})
	}
	if err := (journey.Setting{Name: "region"}).Check(windowed(quiet), "anything"); err != nil {
		t.Errorf("a string setting: %v", err)
	}
}

func TestValidateSettings(t *testing.T) {
	tests := []struct {
		name string
		s    []journey.Setting
		want []string
	}{
		{name: "valid", s: []journey.Setting{{Name: "quiet_window", Kind: journey.SettingDuration, Default: "2s", Within: []string{"quiet"}}, {Name: "region"}, {Name: "token", Required: true}}},
		{name: "required duration needs no default", s: []journey.Setting{{Name: "w", Kind: journey.SettingDuration, Required: true}}},
		{name: "unnamed", s: []journey.Setting{{}}, want: []string{`settings[0] name: is required`}},
		{name: "twice", s: []journey.Setting{{Name: "a"}, {Name: "a"}}, want: []string{`settings[1] (a): declared twice`}},
		{name: "unknown kind", s: []journey.Setting{{Name: "a", Kind: "number"}}, want: []string{`settings[0] (a) kind: unknown kind "number"`}},
		{name: "unknown step", s: []journey.Setting{{Name: "w", Kind: journey.SettingDuration, Default: "1s", Within: []string{"nope"}}}, want: []string{`within: no step is named "nope"`}},
		{name: "within for a string", s: []journey.Setting{{Name: "w", Within: []string{"quiet"}}}, want: []string{`only a duration can fit in a step`}},
		{name: "duration without default", s: []journey.Setting{{Name: "w", Kind: journey.SettingDuration}}, want: []string{`settings[0] (w) default: is required unless the setting is`}},
		{name: "default that does not fit", s: []journey.Setting{{Name: "w", Kind: journey.SettingDuration, Default: "6s", Within: []string{"quiet"}}}, want: []string{`settings[0] (w) default: 6s does not fit in step 2/2 (quiet)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := windowed(journey.Setting{})
			j.Settings = tc.s
			err := journey.Validate([]journey.Journey{j})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want %q", err, w)
				}
			}
		})
	}
}

func TestValidateStepPoll(t *testing.T) {
	for _, p := range []time.Duration{-time.Millisecond, 5 * time.Second, 6 * time.Second} {
		j := windowed(journey.Setting{Name: "x"})
		j.Steps[1].Poll = p
		if err := journey.Validate([]journey.Journey{j}); err == nil || !strings.Contains(err.Error(), "step 2/2 (quiet) poll: must be 0") {
			t.Errorf("Poll %s: Validate = %v, want it refused", p, err)
		}
	}
}

// T.Setting falls back to the declared default; T.SettingDuration reads a
// declared duration and refuses an undeclared one.
func TestTSettings(t *testing.T) {
	var region, fallback string
	var window, defWindow time.Duration
	var undeclared error
	j := valid("settings", step("read", time.Second, func(ctx context.Context, t *journey.T) error {
		region, fallback = t.Setting("region"), t.Setting("zone")
		window, _ = t.SettingDuration("quiet_window")
		defWindow, _ = t.SettingDuration("grace")
		_, undeclared = t.SettingDuration("region")
		return nil
	}))
	j.Settings = []journey.Setting{
		{Name: "region"}, {Name: "zone", Default: "a"},
		{Name: "quiet_window", Kind: journey.SettingDuration, Default: "2s"},
		{Name: "grace", Kind: journey.SettingDuration, Default: "300ms"},
	}
	res := execute(t, context.Background(), j, journey.Options{Environment: "test", Settings: map[string]string{"region": "eu", "quiet_window": "750ms"}}, 5*time.Second)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	if region != "eu" || fallback != "a" || window != 750*time.Millisecond || defWindow != 300*time.Millisecond {
		t.Errorf("read %q %q %s %s, want eu a 750ms 300ms", region, fallback, window, defWindow)
	}
	if undeclared == nil || !strings.Contains(undeclared.Error(), `setting "region" is not declared as a duration in journey "settings"'s Settings`) {
		t.Errorf("an undeclared duration: %v", undeclared)
	}
}

// TestAnUnknownSettingIsNamed: reading a setting neither declared nor set
// (a typo) reads "" as before, and the step's evidence says so once,
// naming the close name; declared or set names leave no such line.
func TestAnUnknownSettingIsNamed(t *testing.T) {
	j := valid("orders", step("list", time.Second, func(ctx context.Context, t *journey.T) error {
		for range 3 {
			if v := t.Setting("list_limt"); v != "" {
				return fmt.Errorf("undeclared setting read %q", v)
			}
		}
		_, _ = t.Setting("list_limit"), t.Setting("region")
		return journey.Failf("no orders listed")
	}))
	j.Settings = []journey.Setting{{Name: "list_limit", Default: "10"}}
	res := execute(t, context.Background(), j, journey.Options{Environment: "local", Settings: map[string]string{"region": "eu"}}, 5*time.Second)
	var notes []string
	for _, e := range res.Steps[0].Evidence {
		if strings.HasPrefix(e.Label, "setting ") {
			notes = append(notes, e.Label+": "+e.Detail)
		}
	}
	want := []string{`setting "list_limt": not declared in journey "orders"'s Settings nor set in environment "local": read as ""; did you mean "list_limit"?`}
	if !slices.Equal(notes, want) {
		t.Errorf("setting evidence %q, want %q", notes, want)
	}
}
