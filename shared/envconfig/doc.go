// Package envconfig loads the environments journeys run against (target
// base URLs, settings, the local sink) from a YAML file, and checks them up
// front against the journeys that will use them. Every error names the file,
// the line and the field. An environment's gate section configures the
// gate's policies (gate.go): gate.freeze.enabled and gate.freeze.window.
package envconfig
