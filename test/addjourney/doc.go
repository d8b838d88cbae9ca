// Package addjourney shows that adding a journey never breaks the repo: its
// test copies the checkout, adds a journey to the copy's catalogue (against
// a local-only target no example uses, so any test or demo that ran the
// whole catalogue would fail on it) and runs there what a team runs after
// adding one: `make run`, the catalogue's and the CLI's tests, and the
// integration tests that run the examples.
package addjourney
