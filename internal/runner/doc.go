// Package runner executes a run: the selected journeys concurrently (each
// journey's steps in order), every result recorded in the store, then the
// shared gate decision over them. It fails closed: a fault of the store or
// of the runner itself ends in a Failed verdict that says so.
//
// A journey that did not pass runs again, alone, as its journey.Retry
// allows (by default once more, for class error only): ExecuteAttempts is
// the one attempt loop, which the runner Lambda uses too. Every attempt is
// recorded under its own attempt number; the gate judges the latest, and a
// pass right after a failed attempt is passed-flaky.
//
// The stage decides the target (targets.go): a run whose trigger is at a
// pre-traffic stage sends journeys to Plan.TestTargets, any other to
// Plan.Targets, and journeys see the stage and the version under test
// (journey.T.Stage, T.TargetVersion). A target a journey calls that the
// chosen ones lack fails the run as a configuration fault before any
// journey runs.
package runner
