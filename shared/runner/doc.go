// Package runner executes a run: the selected journeys concurrently (each
// journey's steps in order), every result recorded in the store, then the
// shared gate decision over them. It fails closed: a fault of the store or
// of the runner itself ends in a Failed verdict that says so.
package runner
