// Package docs keeps README.md and docs/ honest. Its tests check that
// every shell command in their ```sh blocks is run by a test, or listed
// with the test that covers it (commands that need AWS are covered by a
// test that synthesizes instead), that relative links lead to files that
// exist, and that the measured figures they show are the files `make
// figures` wrote under docs/figures, never numbers edited by hand.
//
// Figures (figures.go) is also what `make figures` uses to write those
// files and to put them into the docs' marked blocks.
package docs
