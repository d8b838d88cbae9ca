// Package starter writes a new team repository on journeygate (the
// `journeygate init` command): a Go module requiring journeygate, its
// journey catalogue with one sample journey and the sample service it
// exercises, its environments file, its CLI and Lambda mains on the public
// entry points (packages cli, lambda/runner, lambda/gate), a CDK app with
// the construct, and a Makefile with run, test, build, synth and deploy.
// The files are templates under template/, embedded in the binary.
package starter
