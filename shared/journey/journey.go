package journey

import (
	"context"
	"time"
)

// Tier says when a journey runs in the deploy path.
type Tier string

const (
	// TierGlobal journeys are tier-1: they run for every deployment.
	TierGlobal Tier = "global"
	// TierDomain journeys run when a deployment touches a service they cover.
	TierDomain Tier = "domain"
)

// Mode says whether a journey's failure blocks a deployment.
type Mode string

const (
	// ModeEnforce journeys block a deployment when they fail.
	ModeEnforce Mode = "enforce"
	// ModeObserve journeys are reported but never block.
	ModeObserve Mode = "observe"
)

// StepFunc performs one step. ctx carries the step's SLA as its deadline.
// Return nil when the step holds, a Failure (see Failf) when the system
// answered wrongly, and any other error for an infrastructure fault.
type StepFunc func(ctx context.Context, t *T) error

// Step is one stage of a journey with its SLA.
type Step struct {
	// Name says what the step establishes, e.g. "incident created".
	Name string
	// SLA is the longest the step may take; overrunning it is a hard failure.
	SLA time.Duration
	// Do performs the step.
	Do StepFunc
	// Poll is how often Eventually, Never and sink waits in this step check
	// their condition; 0 re-checks after 5 ms, backing off to every 20 ms.
	// Faults back off further either way (see Eventually).
	Poll time.Duration
}

// Journey is an end-to-end flow across services.
type Journey struct {
	// Name is unique across the registry, e.g. "alert-to-notification".
	Name string
	// Description says in one line what a customer would notice if it broke.
	Description string
	// Tier is global (always in the deploy path) or domain.
	Tier Tier
	// Environments, when set, are the only environments the journey runs
	// in (e.g. a journey against a local-only mailbox: "local"). Empty
	// means every environment. Elsewhere it is never planned, and its
	// targets, settings and pools are not required there.
	Environments []string
	// Owner is the team that answers for the journey.
	Owner string
	// Covers lists the services the journey exercises; domain journeys run
	// when a deployment touches one of them.
	Covers []string
	// Mode is enforce (blocks) or observe (reported, never blocks).
	Mode Mode
	// Targets lists the environment targets (base URLs) the journey calls
	// (T.HTTP); every environment must define them, which is checked
	// before the run. Calling an undeclared target is an error.
	Targets []string
	// Settings declares the environment settings the journey reads
	// (T.Setting, T.SettingDuration), so every environment's values are
	// checked before the run: their kind, and that they fit the steps
	// that wait for them.
	Settings []Setting
	// Needs lists the pools of isolated test resources the journey uses
	// (tenants, test accounts, API keys; the environments file's pools).
	// Each attempt leases one resource of each exclusively before its first
	// step and releases them after its cleanup; steps read them with
	// T.Resource. Every environment must define the pools.
	Needs []string
	// Sink says the journey awaits notifications the system under test
	// delivers to the run's sink (T.Sink): `journeygate run` starts its
	// in-process sink only when a selected journey sets it. The sink's
	// waits end at once as error in a journey that does not.
	Sink bool
	// Inbox says the journey awaits mail sent to its attempt's inbox
	// (T.Inbox): `journeygate run` starts its SMTP listener only when a
	// selected journey sets it. The inbox's waits end at once as error in
	// a journey that does not.
	Inbox bool
	// SMS names the pool of receiving numbers the journey's texts are
	// sent to (T.SMS): each resource defines the value "number". The pool
	// must be listed in Needs too, so each attempt leases a number of its
	// own and `journeygate run` starts its sink for the provider's
	// webhooks.
	SMS string
	// Browser says the journey drives a headless Chromium (package
	// shared/browser): it runs in the browser runner in the cloud, and
	// locally within the run's browser concurrency, since each Chromium
	// costs hundreds of MB.
	Browser bool
	// Steps run in order; the first that does not pass ends the journey.
	Steps []Step
	// Retry says when the journey runs again within the same run after it
	// did not pass; the zero value retries class error once.
	Retry Retry
	// CleanupBudget bounds all of an attempt's cleanups together (see
	// T.Cleanup); 0 means DefaultCleanupBudget, at most MaxCleanupBudget.
	CleanupBudget time.Duration
	// Diagnostics are captured when a step does not pass and recorded as
	// that step's evidence: the target's status and configuration, say.
	Diagnostics []Diagnostic
}

// TotalSLA is the sum of the step SLAs: the longest a healthy run may take.
func (j Journey) TotalSLA() time.Duration {
	var d time.Duration
	for _, s := range j.Steps {
		d += s.SLA
	}
	return d
}

// CoversAny reports whether the journey covers one of services.
func (j Journey) CoversAny(services []string) bool {
	for _, c := range j.Covers {
		for _, s := range services {
			if c == s {
				return true
			}
		}
	}
	return false
}

// RunsIn reports whether the journey runs in environment env: it names no
// environments, or names env.
func (j Journey) RunsIn(env string) bool {
	if len(j.Environments) == 0 {
		return true
	}
	for _, e := range j.Environments {
		if e == env {
			return true
		}
	}
	return false
}
