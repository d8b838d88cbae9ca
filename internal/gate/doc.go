// Package gate holds the one gate decision function. The local runner and
// the gate Lambda both call Decide, so the laptop and the cloud never
// disagree about a verdict.
//
// Beyond the run's own results, Decide applies two policies whose inputs
// the caller gathers (Input.Policy, see policy.go): the unhealthy-
// environment freeze fails a deployment gate while the latest scheduled run
// of a global journey fails, and an audited Override lets one deployment
// through a failing gate, recording who, why and until when in the verdict.
// Decide stays pure: the caller passes the time (Policy.Now) too.
package gate
