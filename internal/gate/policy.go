package gate

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// Policy names, as Reason.Policy records them.
const (
	// PolicyFreeze marks a reason given by the unhealthy-environment freeze.
	PolicyFreeze = "freeze"
)

// Freeze and override bounds.
const (
	// DefaultFreezeWindow is how far back the freeze looks when Freeze.Window is not set.
	DefaultFreezeWindow = 30 * time.Minute
	// DefaultOverrideTTL is how long an override lasts unless its recorder says otherwise.
	DefaultOverrideTTL = time.Hour
	// MaxOverrideTTL bounds an override's lifetime; a longer one is invalid and never applies.
	MaxOverrideTTL = 24 * time.Hour
	// MaxOverrideReason bounds an override's reason in bytes.
	MaxOverrideReason = 2000
	// MaxOverrideBy bounds the name of an override's author in bytes.
	MaxOverrideBy = 256
)

// faultPrefix starts the message of the reason Decide gives for Input.Fault.
const faultPrefix = "run fault: "

// Policy is the decision's context and the inputs of the policies that look
// beyond the run's own results: the unhealthy-environment freeze and audited
// overrides. The zero Policy applies neither.
type Policy struct {
	// Trigger is what started the run; its Deployment() is the deployment
	// or job the run gates ("" = none).
	Trigger trigger.Trigger `json:"trigger,omitzero"`
	// Environment names the environment, for messages.
	Environment string `json:"environment,omitempty"`
	// Now is when the decision is made. An override applies only before
	// its ExpiresAt (so with a zero Now none applies); the freeze counts
	// scheduled runs that started within Freeze.Window before Now (with a
	// zero Now, every given result counts).
	Now time.Time `json:"now,omitzero"`
	// Freeze, when set, is the environment's health; nil disables the freeze.
	Freeze *Freeze `json:"freeze,omitempty"`
	// Overrides are the overrides recorded for Trigger.Deployment().
	Overrides []Override `json:"overrides,omitempty"`
}

// Freeze is the input of the unhealthy-environment freeze: a deployment
// gate fails when the latest scheduled run of any global, enforce-mode
// journey did not pass, and that run started within Window.
type Freeze struct {
	// Window bounds how recent a scheduled run must be to count
	// (DefaultFreezeWindow when not positive).
	Window time.Duration `json:"window"`
	// Scheduled are the journey results recorded by the environment's
	// scheduled runs, in any order. Decide keeps global, enforce-mode
	// results, judges each run's journey by its latest attempt and each
	// journey by its latest run (the one whose first attempt started last).
	Scheduled []journey.Result `json:"scheduled,omitempty"`
	// Unavailable, when set, says why the health could not be read: the
	// gate fails (health unknown is not healthy) with a freeze reason, so
	// a later re-decision reads it afresh rather than keeping a fault.
	Unavailable string `json:"unavailable,omitempty"`
}

// Override is an audited decision to let one deployment through although
// its gate fails. It applies to runs of that deployment decided before
// ExpiresAt; a verdict it changes keeps every reason it overrode.
type Override struct {
	// Deployment is the CodeDeploy deployment ID or CodePipeline job ID
	// (or the --deployment of a local run).
	Deployment string `json:"deployment"`
	// By names who recorded the override.
	By string `json:"by"`
	// Reason says why; an override without one is refused.
	Reason string `json:"reason"`
	// At is when it was recorded.
	At time.Time `json:"at"`
	// ExpiresAt is when it stops applying: at most MaxOverrideTTL after At.
	ExpiresAt time.Time `json:"expiresAt"`
}

// Validate reports whether the override may be recorded and applied.
func (o Override) Validate() error {
	var errs []error
	if strings.TrimSpace(o.Deployment) == "" {
		errs = append(errs, errors.New("deployment is empty"))
	}
	switch by := strings.TrimSpace(o.By); {
	case by == "":
		errs = append(errs, errors.New("by is empty: an override names who made it"))
	case len(o.By) > MaxOverrideBy:
		errs = append(errs, fmt.Errorf("by is %d bytes, at most %d allowed", len(o.By), MaxOverrideBy))
	}
	switch reason := strings.TrimSpace(o.Reason); {
	case reason == "":
		errs = append(errs, errors.New("reason is empty: an override says why"))
	case len(o.Reason) > MaxOverrideReason:
		errs = append(errs, fmt.Errorf("reason is %d bytes, at most %d allowed", len(o.Reason), MaxOverrideReason))
	}
	switch ttl := o.ExpiresAt.Sub(o.At); {
	case o.At.IsZero():
		errs = append(errs, errors.New("at is zero"))
	case !o.ExpiresAt.After(o.At):
		errs = append(errs, fmt.Errorf("expiresAt %s is not after at %s", o.ExpiresAt.Format(time.RFC3339), o.At.Format(time.RFC3339)))
	case ttl > MaxOverrideTTL:
		errs = append(errs, fmt.Errorf("lasts %s, at most %s allowed", ttl, MaxOverrideTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("override: %w", err)
	}
	return nil
}

// ActiveOverride returns the override that applies to p's deployment at
// p.Now: the most recently recorded valid, unexpired override for it.
func (p Policy) ActiveOverride() (Override, bool) {
	var best Override
	found := false
	deployment := p.Trigger.Deployment()
	if deployment == "" || p.Now.IsZero() {
		return best, false
	}
	for _, o := range p.Overrides {
		if o.Deployment != deployment || o.Validate() != nil || !p.Now.Before(o.ExpiresAt) {
			continue
		}
		if !found || !o.At.Before(best.At) {
			best, found = o, true
		}
	}
	return best, found
}

// RunFaults returns the run-level faults a verdict recorded (Input.Fault,
// as Decide rendered it), so a re-decision from the store keeps failing on
// them: faults of the orchestration are not in the store.
func RunFaults(v Verdict) string {
	var faults []string
	for _, r := range v.Reasons {
		if r.Journey != "" || r.Policy != "" {
			continue
		}
		if f, ok := strings.CutPrefix(r.Message, faultPrefix); ok {
			faults = append(faults, f)
		}
	}
	return strings.Join(faults, "; ")
}

// freezeReasons returns one blocking reason per global, enforce-mode
// journey whose latest scheduled run within the window did not pass, when
// the run gates a deployment; sorted by journey name.
func freezeReasons(in Input) []Reason {
	p := in.Policy
	if p.Freeze == nil || !p.Trigger.GatesDeployment() {
		return nil
	}
	window := p.Freeze.Window
	if window <= 0 {
		window = DefaultFreezeWindow
	}
	type key struct{ run, journey string }
	attempt := map[key]journey.Result{} // latest attempt of a journey in a run
	first := map[key]time.Time{}        // when that journey's first attempt in the run started
	for _, r := range p.Freeze.Scheduled {
		if r.Tier != journey.TierGlobal || r.Mode == journey.ModeObserve {
			continue
		}
		k := key{r.RunID, r.Journey}
		if cur, ok := attempt[k]; !ok || r.Attempt >= cur.Attempt {
			attempt[k] = r
		}
		if t, ok := first[k]; !ok || r.StartedAt.Before(t) {
			first[k] = r.StartedAt
		}
	}
	latest := map[string]key{}
	for k := range attempt {
		cur, ok := latest[k.journey]
		if !ok || first[k].After(first[cur]) || (first[k].Equal(first[cur]) && k.run > cur.run) {
			latest[k.journey] = k
		}
	}
	names := make([]string, 0, len(latest))
	for name := range latest {
		names = append(names, name)
	}
	slices.Sort(names)

	env := p.Environment
	if env == "" {
		env = "the target environment"
	}
	var reasons []Reason
	if u := p.Freeze.Unavailable; u != "" {
		reasons = append(reasons, Reason{Policy: PolicyFreeze, Outcome: journey.Errored, Blocking: true,
			Message: fmt.Sprintf("health of environment %s unknown: the freeze could not read its scheduled runs: %s", env, u)})
	}
	for _, name := range names {
		k := latest[name]
		started := first[k]
		if !p.Now.IsZero() && started.Before(p.Now.Add(-window)) {
			continue // stale: the schedule has not run it within the window
		}
		r := attempt[k]
		outcome, passed := judge(r)
		if passed {
			continue
		}
		when := ""
		if !p.Now.IsZero() {
			when = ", " + FormatDuration(p.Now.Sub(started).Round(time.Second)) + " ago"
		}
		msg := fmt.Sprintf("environment %s is frozen: the latest scheduled run of global journey %s (run %s%s) did not pass: %s; see journeygate show %s",
			env, name, k.run, when, describe(explainResult(r, outcome)), k.run)
		reasons = append(reasons, Reason{
			Policy: PolicyFreeze, Run: k.run, Outcome: outcome, Blocking: true, Message: msg,
		})
	}
	return reasons
}

// applyOverride turns a Failed verdict into an overridden Succeeded one
// when an override applies; the reasons, counts and the original summary
// stay, so the verdict still says what was overridden.
func applyOverride(in Input, v Verdict) Verdict {
	if v.Status == Succeeded {
		return v
	}
	o, ok := in.Policy.ActiveOverride()
	if !ok {
		return v
	}
	v.Status = Succeeded
	v.Overridden = &o
	prefix := fmt.Sprintf("Succeeded: overridden by %s until %s (%s); the gate said ",
		oneLine(o.By, 64), o.ExpiresAt.UTC().Format(time.RFC3339), oneLine(o.Reason, 120))
	v.Summary = oneLine(prefix+v.Summary, maxSummary)
	return v
}

// overrideLine renders the verdict's override for Explain, or "".
func (v Verdict) overrideLine() string {
	o := v.Overridden
	if o == nil {
		return ""
	}
	return fmt.Sprintf("overridden by %s at %s, until %s: %s\n",
		o.By, o.At.UTC().Format(time.RFC3339), o.ExpiresAt.UTC().Format(time.RFC3339), indentRest(o.Reason, "  "))
}

// reasonName is how Explain names a reason: its journey, its policy, or the run.
func reasonName(r Reason) string {
	return cmp.Or(r.Journey, policyName(r.Policy), "(run)")
}

func policyName(p string) string {
	if p == "" {
		return ""
	}
	return "(" + p + ")"
}
