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
package runner
