// Package metrics writes CloudWatch Embedded Metric Format (EMF) records:
// one JSON object per line, which CloudWatch Logs turns into metrics when a
// Lambda function writes it to standard output.
//
// The runner writes one journey record per recorded journey result, in
// namespace Namespace with dimension sets [Journey, Environment, Tier] and
// [Environment, Tier]: JourneySuccess (1 passed, else 0, also for failed
// observe-mode journeys; unit None), JourneyDuration (Milliseconds),
// SLABreaches (steps classed sla-breach), FlakyPasses (1 when the journey
// passed only after more than one attempt) and JourneyErrors (1 when the
// journey's class is error), all Count unless said otherwise. Each step
// that ran (not skipped) adds a record of its own with StepDuration
// (Milliseconds) under the dimension set [Journey, Environment, Tier, Step].
//
// The gate writes one record per decided run with dimension sets
// [Environment, Trigger] and [Environment]: GateVerdicts (1), GateFailed
// (1 unless the verdict is Succeeded) and GateOverridden (1 when an
// audited override changed the verdict), all Count.
//
// Records also carry RunId, Outcome, Mode or Status as plain log fields
// (no metrics, no dimensions) for CloudWatch Logs Insights.
//
// Records follow the EMF specification: a Timestamp in milliseconds, at
// most 30 keys per dimension set and 100 metrics per record, numeric metric
// values, CloudWatch unit names. Dimension values are made valid CloudWatch
// dimension values: characters outside printable ASCII become "_", values
// are cut to 1024 characters, and an empty value is reported as Unknown, so
// a record is never lost to one odd field.
//
// An Emitter writes each line with one Write call under a mutex, so it is
// safe for concurrent use; a write error is returned for the caller to log
// and never fails a journey or a verdict. Package metricstest decodes and
// checks records in tests.
package metrics
