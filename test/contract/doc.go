// Package contract runs the real cloud flow locally, end to end: the hook
// handler starts an execution through the real Step Functions client; the
// state machine definition runs under aws-local-stepfunctions with every
// Task calling the real Go handlers through aws-lambda-go's JSON path; the
// store is DynamoDB served by dynalite; Alertmanager delivers to the sink
// Lambda's handler; the gate reports to local endpoints speaking the
// CodeDeploy and CodePipeline protocols. Nothing of journeygate is mocked.
package contract
