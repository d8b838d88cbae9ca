// Package infra is journeygate's CDK construct: NewJourneyGate adds one
// environment's deployment (DynamoDB table, the four functions, the Step
// Functions state machine, EventBridge schedules and rules, the sink's
// function URL and secret, the alarm topic, alarms and dashboard) to a
// platform team's own CDK app. Its Props take the catalogue the runner is
// built with (sizing, alarms, dashboard, and a fingerprint the runner
// checks) and the environments file (checked at synth, bundled with the
// runner and the gate); a name prefix, a VPC for the runner, an existing
// table and event bus are optional. NewStack wraps it in a stack with
// cdk-nag's AwsSolutions checks; infra/app is the app `cdk.json` runs, one
// stack per environment of infra/deploy.yaml (LoadConfig).
//
// The state machine's definition is internal/flow's, with the functions' ARNs
// as tokens; DeployedDefinition reads it back from a synthesized template,
// so the contract test executes exactly what is deployed.
package infra
