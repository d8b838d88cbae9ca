// Package contract runs the real cloud flow locally, end to end: the hook
// handler starts an execution through the real Step Functions client; the
// state machine definition runs under aws-local-stepfunctions with every
// Task calling the real Go handlers through aws-lambda-go's JSON path; the
// store is DynamoDB served by dynalite; Alertmanager delivers to the sink
// Lambda's handler; the gate reports to local endpoints speaking the
// CodeDeploy and CodePipeline protocols. Nothing of journeygate is mocked.
//
// TestFaultMatrix (faults_test.go) drives that flow through the faults of
// issue 6 (unreachable, silent, slow and malformed targets, a 100 MB body,
// a sink that receives nothing, the store stopped mid-run, a crashed or
// timed-out runner, a failed StartExecution, a throttled report, unusable
// hook events, an unknown journey) and prints a table of what each led
// to. `go test ./...` shows a passing package's output only with -v, so
// the table is also written to test/out/fault-matrix.txt (git-ignored).
//
// TestTimeToPage (page_test.go) adds the schedule and the page: a local
// scheduler ticks the deployed global schedule's input into the hook, the
// runners publish to awslocal's EventBridge carrying the stack's own rules,
// and the alarm topic posts to a local HTTPS subscriber; it injects a
// fault at a random moment and measures the time to the page (issue 19).
package contract
