// Package trigger is the one home of what started a run: its Type, the
// IDs of the deployment waiting for the verdict, the lifecycle stage the
// run serves, the version under test, and from those the run's ID, the
// targets it uses (Traffic) and where its verdict goes (Destination).
//
// Adding a trigger type is one parser (the hook's events.go), one Type
// here with its Validate and RunID cases, and one reporter case
// (internal/reporter); docs/architecture.md lists the files.
package trigger
