// Package metricstest decodes CloudWatch Embedded Metric Format lines and
// checks them against the specification, independently of package metrics,
// for tests of code that emits metrics.
package metricstest
