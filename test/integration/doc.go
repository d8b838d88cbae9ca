// Package integration runs the example journeys against a real Alertmanager
// (the pinned release, built from the Go module proxy) through the real
// runner, sink, store and CLI. Nothing here is mocked.
package integration
