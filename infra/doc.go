// Package infra is journeygate's CDK construct: NewJourneyGate adds one
// environment's deployment (DynamoDB table, the four functions, the Step
// Functions state machine, EventBridge schedules and rules, the sink's
// function URL and secret, the alarm topic, alarms and dashboard) to a
// platform team's own CDK app. NewStack wraps it in a stack with cdk-nag's
// AwsSolutions checks; infra/app is the app `cdk.json` runs, one stack per
// environment of infra/deploy.yaml (LoadConfig).
//
// The state machine's definition is shared/flow's, with the functions' ARNs
// as tokens; DeployedDefinition reads it back from a synthesized template,
// so the contract test executes exactly what is deployed.
package infra
