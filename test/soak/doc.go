// Package soak proves the gate has no false failures and catches real
// faults, at volume. Its one test, TestSoak, composes a run exactly as
// `journeygate run` does (the journeys registry, the environments file's
// local environment, the in-process sink, the embedded store, the lease
// manager, runner.Run and its gate decision) and has two phases:
//
//   - healthy: -soak.runs journey runs (the example API journeys, repeated
//     as whole runs of them) against one healthy Alertmanager, with
//     -soak.concurrency journeys in flight. It prints runs, passed, false
//     failures, flakes (first attempts that failed, under the product's
//     default retry policy), the run rate and p50/p95 journey duration, and
//     checks the runs stayed isolated (every notification reached only its
//     own run) and the store kept every result.
//   - ui: -soak.ui-runs runs of the example UI journeys (Journey.Browser,
//     each attempt in a Chromium of its own) against one healthy
//     Alertmanager, -soak.ui-concurrency at once, counted the same way:
//     false failures, flakes, first attempts that failed, durations.
//   - faults: one really broken Alertmanager per fault of
//     test/alertmanager.Faults (ui-not-routed among them, which breaks
//     only the web UI), plus a healthy control, each running every
//     example; a fault is detected when the verdict is Failed and a
//     journey covering the broken behaviour failed. It prints fault →
//     detected, failing journeys, class.
//
// Runs with UI journeys take turns across the phases (at most
// runner.DefaultBrowserConcurrency, or -soak.ui-concurrency, at once), as
// one journeygate process bounds its browsers.
//
// All are correctness assertions: zero false failures, every fault
// detected. CI runs a short version (the flag defaults) in `make test`;
// `make soak` runs 2,000 API journey runs and 200 UI journey runs.
package soak
