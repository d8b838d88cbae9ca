// Package guard holds step helpers that check CloudWatch the way a canary
// check does: NoAlarms asserts that no alarm of a set is in ALARM
// (DescribeAlarms), MetricWithin that a metric stayed within a threshold
// over a trailing window (GetMetricData), and MetricStaysWithin keeps
// checking that for a while (on shared/poll's Never).
//
// A guard answers nil, a *Violation, or an infrastructure error, so a
// journey step can return what it answers and be classified right:
//
//   - *Violation: an alarm in ALARM, an alarm that does not exist, a
//     datapoint past the threshold, or no datapoints at all. It unwraps to
//     a *journey.Failure, so the step is "failed"; its message names each
//     alarm with its state reason and since when, or each offending
//     datapoint with its time and value. WithEvidence also records them
//     as the step's evidence.
//   - a CloudWatch API error, a throttle the SDK gave up on, an
//     unreachable endpoint or a malformed answer: a *journey.InfraError,
//     so the step is "error" (or "sla-breach" when the step's deadline cut
//     the call short).
//   - a guard defined wrongly (no alarms named, no threshold, a period
//     CloudWatch does not have): a plain error, also "error".
//
// A guard that sees nothing never passes silently: a named alarm that does
// not exist, a prefix no alarm has, and a metric without datapoints in
// the window all fail (WithTreatMissingData(MissingNotBreaching) lets a
// metric without data pass, the way an alarm's TreatMissingData does).
//
// The helpers take narrow interfaces (AlarmsAPI, MetricsAPI) that
// *cloudwatch.Client implements; they follow NextToken to the last page.
package guard
