// Package secrettest checks that a secret never leaks: a known secret
// value, leased as a test resource's API key, that a target echoes back in
// a response and in an error message, and helpers that search every
// output for it. The local runner, the runner Lambda and the CLI tests
// share it.
package secrettest
