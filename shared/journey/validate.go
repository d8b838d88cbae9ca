package journey

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxNameLen is the longest journey name: every run carries its journeys'
// names in its state payload, which Step Functions limits.
const MaxNameLen = 64

// ValidationError names the journey, the field and what is wrong with it.
type ValidationError struct {
	Journey string
	Field   string
	Problem string
}

func (e *ValidationError) Error() string {
	name := e.Journey
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("journey %q: %s: %s", name, e.Field, e.Problem)
}

// Validate checks journey definitions up front and returns every problem
// found, joined, or nil.
func Validate(journeys []Journey) error {
	var errs []error
	add := func(j, field, format string, args ...any) {
		errs = append(errs, &ValidationError{Journey: j, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	for i, j := range journeys {
		if strings.TrimSpace(j.Name) == "" {
			add("", fmt.Sprintf("name (journey #%d)", i+1), "is required")
		} else if !validName(j.Name) {
			add(j.Name, "name", "must be lowercase letters, digits and dashes")
		} else if len(j.Name) > MaxNameLen {
			add(j.Name, "name", "is %d characters long, at most %d allowed", len(j.Name), MaxNameLen)
		}
		if j.Name != "" {
			if seen[j.Name] {
				add(j.Name, "name", "duplicate: another journey has this name")
			}
			seen[j.Name] = true
		}
		switch j.Tier {
		case TierGlobal, TierDomain:
		case "":
			add(j.Name, "tier", "is required (global or domain)")
		default:
			add(j.Name, "tier", "unknown tier %q (want global or domain)", j.Tier)
		}
		switch j.Mode {
		case ModeEnforce, ModeObserve:
		case "":
			add(j.Name, "mode", "is required (enforce or observe)")
		default:
			add(j.Name, "mode", "unknown mode %q (want enforce or observe)", j.Mode)
		}
		if strings.TrimSpace(j.Owner) == "" {
			add(j.Name, "owner", "is required (the team that answers for it)")
		}
		if j.Tier == TierDomain && len(j.Covers) == 0 {
			add(j.Name, "covers", "a domain journey must cover at least one service")
		}
		envs := map[string]bool{}
		for k, e := range j.Environments {
			field := fmt.Sprintf("environments.%d", k)
			switch {
			case !validName(e) || e == "":
				add(j.Name, field, "%q is not an environment name (lowercase letters, digits and dashes)", e)
			case envs[e]:
				add(j.Name, field, "%q is listed twice", e)
			}
			envs[e] = true
		}
		if len(j.Steps) == 0 {
			add(j.Name, "steps", "no steps")
		}
		stepNames := map[string]bool{}
		for k, s := range j.Steps {
			field := fmt.Sprintf("step %d/%d (%s)", k+1, len(j.Steps), s.Name)
			if strings.TrimSpace(s.Name) == "" {
				add(j.Name, fmt.Sprintf("step %d/%d name", k+1, len(j.Steps)), "is required")
			} else if stepNames[s.Name] {
				add(j.Name, field, "duplicate step name")
			}
			stepNames[s.Name] = true
			switch {
			case s.SLA == 0:
				add(j.Name, field+" sla", "is missing")
			case s.SLA < 0:
				add(j.Name, field+" sla", "must be positive, got %s", s.SLA)
			}
			if s.Do == nil {
				add(j.Name, field+" do", "is missing (the step has nothing to run)")
			}
			if s.Poll < 0 || s.SLA > 0 && s.Poll >= s.SLA {
				add(j.Name, field+" poll", "must be 0 (the default) or positive and shorter than the SLA, got %s", s.Poll)
			}
		}
		validateSettings(j, func(field, format string, args ...any) { add(j.Name, field, format, args...) })
		validateRetry(j.Retry, func(field, format string, args ...any) { add(j.Name, field, format, args...) })
		validateDiagnostics(j.Diagnostics, func(field, format string, args ...any) { add(j.Name, field, format, args...) })
		if j.CleanupBudget < 0 || j.CleanupBudget > MaxCleanupBudget {
			add(j.Name, "cleanupBudget", "must be 0 (the default of %s) or positive up to %s, got %s", DefaultCleanupBudget, MaxCleanupBudget, j.CleanupBudget)
		}
		validateNeeds(j.Needs, func(field, format string, args ...any) { add(j.Name, field, format, args...) })
		if j.SMS != "" && !slices.Contains(j.Needs, j.SMS) {
			add(j.Name, "sms", "pool %q is not in needs: list it there too, so each attempt leases a number of its own", j.SMS)
		}
	}
	return errors.Join(errs...)
}

// validateRetry checks a retry policy: attempts within 0..MaxAttemptsLimit,
// only retryable classes, each once, and no negative delay.
func validateRetry(r Retry, add func(field, format string, args ...any)) {
	switch {
	case r.MaxAttempts < 0:
		add("retry.maxAttempts", "must be 1 or more (0 for the default of %d), got %d", DefaultMaxAttempts, r.MaxAttempts)
	case r.MaxAttempts > MaxAttemptsLimit:
		add("retry.maxAttempts", "is %d, at most %d allowed: every attempt adds the journey's SLAs to the runner's timeout", r.MaxAttempts, MaxAttemptsLimit)
	}
	seen := map[Outcome]bool{}
	for _, o := range r.On {
		switch {
		case !slices.Contains(retryable, o):
			add("retry.on", "class %q cannot be retried (want failed, sla-breach or error)", o)
		case seen[o]:
			add("retry.on", "class %q is listed twice", o)
		}
		seen[o] = true
	}
	if r.Delay < 0 && r.Delay != NoRetryDelay {
		add("retry.delay", "must not be negative (NoRetryDelay retries at once), got %s", r.Delay)
	}
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
