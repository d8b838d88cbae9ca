// Package handler is the runner Lambda: it plans a run and runs exactly one
// journey per invocation.
//
// The state machine calls it with a flow.RunnerRequest:
//
//   - action "plan" (the Plan Task) validates the execution input, selects
//     the journeys (deployments: every global journey plus the domain
//     journeys covering one of the input's services; schedules and manual
//     runs: by tier and names, every journey when neither is given; never
//     a journey scoped to other environments, journey.Journey.Environments),
//     checks the environment defines their targets, records the run
//     (CreateRun; a replayed plan with the same journeys is accepted) and
//     returns a flow.Plan whose journeys the Map iterates.
//   - action "run" (each Map item) runs one planned journey against the
//     environment, as often as its journey.Retry allows, all within this
//     one invocation (runner.ExecuteAttempts: by default a journey of class
//     error runs once more; only this journey, never the rest of the run).
//     Each attempt's result is recorded under the next free attempt
//     number; the answer is a flow.JourneySummary whose outcome is the
//     journey's class (passed-flaky for a pass after a retry). A journey
//     that fails is a result, never an error. Once the attempts are over,
//     the EMF metrics of the attempt that counts are written (WithMetrics;
//     see package metrics), with the attempts that led to it, so a pass
//     after a retry counts as FlakyPasses 1; a metrics write error is
//     logged and changes nothing. A final result that did not pass, in any
//     mode, is then published as an EventBridge event (WithEvents: source
//     "journeygate", detail type "Journey Failed", detail
//     flow.JourneyFailed); a failed publish is logged and changes nothing
//     either. A flaky pass publishes nothing. A scheduled, enforced
//     failure is first given to package paging (WithPager; by default
//     over the store when it keeps page records): a repeat of a failing
//     streak that already paged is published with repeat=true, which the
//     alarm topic's rule skips; the page record is written only after a
//     page's event was published.
//
// Each planned journey's Task timeout is flow.JourneyTimeout with the
// handler's margin (WithTimeoutMargin): every attempt's SLAs, the same
// budget infra/ sizes the runner function's timeout by. A retry starts only
// when the time left in the Task (the request's timeoutSeconds) and in the
// invocation covers the journey's summed SLAs.
//
// Faults are returned as named error types (InvalidRequestError,
// ConfigError, UnknownJourneyError, StoreError, and PanicError for a panic
// outside a journey's steps) and never wrapped, so Step Functions sees
// their names; the state machine catches them per journey and the gate
// fails the run naming the journey. Step Functions copies a caught error
// into the run's state, whose size is limited (flow.StateDataLimit), so
// Handle cuts every fault's message to flow.MaxErrorMessage in the middle,
// keeping its name, returns no stack trace, and logs the longer original.
// For the same reason a plan of more than flow.MaxJourneysPerRun journeys
// is a ConfigError: the run fails rather than leave journeys out.
//
// A run's trigger decides its journeys' targets: a pre-traffic stage's
// test_targets, otherwise the environment's targets (envconfig
// TargetsFor); journeys see the stage and the version under test
// (journey.T's Stage and TargetVersion).
package handler
