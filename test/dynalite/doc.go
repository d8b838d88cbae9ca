// Package dynalite starts dynalite, a local DynamoDB stand-in pinned in
// test/package.json, for tests: one process per Start on a free loopback
// port, stopped when the test ends, with a DynamoDB client pointed at it
// (dummy credentials; no AWS account is ever reached).
package dynalite
