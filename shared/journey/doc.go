// Package journey is the SDK service teams use to write customer journeys:
// ordered steps, each with an SLA enforced as a hard deadline, sharing run
// state, with cleanup that always runs and evidence captured for every step.
//
// A journey that fails returns a Result describing the failure; only faults of
// the runner itself surface as Go errors. Step outcomes are classified as
// passed, failed (an assertion), sla-breach (the step overran its SLA) or
// error (infrastructure or runner fault); see Classify. A journey's Retry
// says when it runs again within a run; each attempt is its own Result, and
// Class derives the journey's class from them: passed-flaky when it passed
// only after a retry.
package journey
