// Package journeys is the journey catalogue: the one registry of every
// journey journeygate runs, and the environments they run against
// (environments.yaml). The examples exercise Prometheus Alertmanager as an
// incident pipeline: alerts in, grouping and silences, webhook
// notifications out to the run's sink; one, silence-through-ui, does what
// a responder does in Alertmanager's web UI, in a headless Chromium
// (package browser).
//
// Every journey labels what it creates with run-unique values (jg_run,
// jg_key) so concurrent runs never see each other's alerts, and cleans up
// what it made.
package journeys
