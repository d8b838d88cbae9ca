package journey

import (
	"fmt"
	"slices"
	"time"
)

// SettingKind says how a setting's value is read.
type SettingKind string

const (
	// SettingString is any text (the default kind).
	SettingString SettingKind = "string"
	// SettingDuration is a positive Go duration such as "2s" or "500ms".
	SettingDuration SettingKind = "duration"
)

// Setting declares one environment setting a journey reads, so that every
// environment's value is checked before any request of the run is sent.
type Setting struct {
	// Name is the key under an environment's settings, e.g. "quiet_window".
	Name string
	// Kind says how the value is read ("" is SettingString).
	Kind SettingKind
	// Default is the value when an environment does not set it.
	Default string
	// Required says every environment must set it (Default is unused).
	Required bool
	// Within names steps of the journey a duration must fit in: it must be
	// shorter than each one's SLA, as the window of a Never the step waits
	// out must be.
	Within []string
}

func (s Setting) kind() SettingKind {
	if s.Kind == "" {
		return SettingString
	}
	return s.Kind
}

// Check checks value, as an environment sets it, against the declaration
// for journey j: its kind, and that a duration fits each step Within
// names. The error says what is wrong with the value, not where it is.
func (s Setting) Check(j Journey, value string) error {
	switch s.kind() {
	case SettingString:
		return nil
	case SettingDuration:
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration (such as 2s or 500ms)", value)
		}
		for _, name := range s.Within {
			i := slices.IndexFunc(j.Steps, func(st Step) bool { return st.Name == name })
			if i < 0 {
				continue // Validate reports it
			}
			if st := j.Steps[i]; d >= st.SLA {
				return fmt.Errorf("%s does not fit in step %d/%d (%s), whose SLA is %s: it must be shorter", d, i+1, len(j.Steps), st.Name, st.SLA)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown kind %q", s.Kind)
	}
}

// validateSettings checks a journey's setting declarations: names given
// and unique, a known kind, steps Within names that exist, and a default
// that passes Check unless the setting is required.
func validateSettings(j Journey, add func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, s := range j.Settings {
		field := fmt.Sprintf("settings[%d] (%s)", i, s.Name)
		if s.Name == "" {
			add(fmt.Sprintf("settings[%d] name", i), "is required")
		} else if seen[s.Name] {
			add(field, "declared twice")
		}
		seen[s.Name] = true
		switch s.kind() {
		case SettingString, SettingDuration:
		default:
			add(field+" kind", "unknown kind %q (want %s or %s)", s.Kind, SettingString, SettingDuration)
			continue
		}
		for _, name := range s.Within {
			if !slices.ContainsFunc(j.Steps, func(st Step) bool { return st.Name == name }) {
				add(field+" within", "no step is named %q", name)
			}
		}
		if len(s.Within) > 0 && s.kind() != SettingDuration {
			add(field+" within", "only a duration can fit in a step")
		}
		if !s.Required {
			if s.kind() == SettingDuration && s.Default == "" {
				add(field+" default", "is required unless the setting is (a duration has no empty value)")
			} else if err := s.Check(j, s.Default); err != nil {
				add(field+" default", "%v", err)
			}
		}
	}
}

// declared returns the journey's declaration of the setting key.
func (t *T) declared(key string) (Setting, bool) {
	i := slices.IndexFunc(t.journey.Settings, func(s Setting) bool { return s.Name == key })
	if i < 0 {
		return Setting{}, false
	}
	return t.journey.Settings[i], true
}

// SettingDuration returns the duration setting key, which the journey
// must declare with Kind SettingDuration (Journey.Settings): the
// environment's value, or the declared default. Values are checked before
// the run, so an error here is a fault of the journey itself.
func (t *T) SettingDuration(key string) (time.Duration, error) {
	s, ok := t.declared(key)
	if !ok || s.kind() != SettingDuration {
		return 0, fmt.Errorf("setting %q is not declared as a duration in journey %q's Settings", key, t.journey.Name)
	}
	v := t.Setting(key)
	if err := s.Check(*t.journey, v); err != nil {
		return 0, fmt.Errorf("setting %s in environment %q: %w", key, t.Environment(), err)
	}
	d, _ := time.ParseDuration(v)
	return d, nil
}
