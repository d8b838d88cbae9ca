// Package runner is the runner Lambda's main for a catalogue of your own:
// the function that plans a run and runs one journey per invocation. A
// team's functions/runner/main.go is
//
//	func main() { runner.Start(journeys.Registry) }
//
// built as `make build` builds it (GOOS=linux GOARCH=arm64 CGO_ENABLED=0,
// -tags lambda.norpc) into the bootstrap the construct deploys; the
// construct is given the same catalogue (infra.Props.Catalogue).
//
// Environment (the construct sets it): JOURNEYGATE_TABLE (required, the
// DynamoDB table), JOURNEYGATE_ENVIRONMENTS_FILE (required, the
// environments file the construct bundles), JOURNEYGATE_SINK_URL (the
// sink's function URL; without it journeys that await notifications
// fail), JOURNEYGATE_TIMEOUT_MARGIN (a Go duration added to each
// journey's SLAs for its Task timeout), JOURNEYGATE_EVENT_BUS (the
// EventBridge bus for journey-failed events, default "default"),
// JOURNEYGATE_CATALOGUE_FINGERPRINT (the fingerprint of the catalogue the
// stack was synthesized from, journey.Fingerprint: the runner refuses to
// start when its own catalogue's differs), JOURNEYGATE_INBOX_DOMAIN (the
// domain of the journeys' inbox addresses, whose mail the stack's SES
// receipt rule hands the sink; without it inbox waits fail at once). The
// environments file's pools
// reference their secrets in Secrets Manager or SSM Parameter Store (read
// once per container and TTL) or in this process's environment (env:).
//
// The browser runner's main is package browserrunner: this Start, with
// Chromium unpacked first and screenshots kept in the reports bucket.
//
// Logs and EMF metrics (package metrics) go to standard output.
package runner
