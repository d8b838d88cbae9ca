// Package envconfig loads the environments journeys run against (target
// base URLs, settings, the local sink) from a YAML file, and checks them up
// front against the journeys that will use them. Every error names the file,
// the line and the field. An environment's gate section configures the
// gate's policies (gate.go): gate.freeze.enabled and gate.freeze.window.
//
// The stage decides the target: an environment's targets are the version
// taking production traffic, its test_targets the version about to get it
// (an ECS test listener, say). A run at a pre-traffic stage (trigger.Test
// traffic) uses test_targets alone (Environment.TargetsFor), and
// Config.CheckFor reports a test target one of its journeys needs and the
// environment lacks, rather than testing the live version in its place.
package envconfig
