// Package gate is the gate Lambda's main: the function that decides,
// records and reports a run's verdict. A team's functions/gate/main.go is
//
//	func main() { gate.Start() }
//
// built as `make build` builds it (GOOS=linux GOARCH=arm64 CGO_ENABLED=0,
// -tags lambda.norpc) into the bootstrap the construct deploys. The gate
// takes no catalogue: it decides from the results the runner recorded and
// the gate policy of the environments file.
//
// Environment (the construct sets it): JOURNEYGATE_TABLE (required, the
// DynamoDB table), JOURNEYGATE_ENVIRONMENTS_FILE (required, the
// environments file whose gate.freeze settings the gate applies: the one
// the construct bundles with the runner and the gate),
// JOURNEYGATE_EVENT_BUS (the EventBridge bus for run-completed events,
// default "default"), JOURNEYGATE_REPORT_BUCKET (the S3 bucket the run's
// HTML report is written to, under reports/ENV/RUN.html; unset: no
// report).
//
// Logs and EMF metrics (package metrics) go to standard output.
package gate
