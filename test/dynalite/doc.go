// Package dynalite starts dynalite, a local DynamoDB stand-in pinned in
// test/package.json, for tests: one process per Start on a free loopback
// port, stopped when the test ends, with a DynamoDB client pointed at it
// (dummy credentials; no AWS account is ever reached).
//
// dynalite runs with abort-guard.cjs preloaded: dynalite 4.0.0 exits when
// a client closes its connection in the middle of a request (a Go client
// whose context ended), which would refuse every later request of the
// test; the guard ignores exactly that error.
package dynalite
