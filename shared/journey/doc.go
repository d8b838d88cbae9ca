// Package journey is the SDK service teams use to write customer journeys:
// ordered steps, each with an SLA enforced as a hard deadline, sharing run
// state, with cleanup that always runs and evidence captured for every step.
//
// A journey that fails returns a Result describing the failure; only faults of
// the runner itself surface as Go errors. Step outcomes are classified as
// passed, failed (an assertion), sla-breach (the step overran its SLA) or
// error (infrastructure or runner fault); see Classify. A journey's Retry
// says when it runs again within a run, after a wait of about a second;
// each attempt is its own Result, and Class derives the journey's class
// from them: passed-flaky when it passed only after a retry.
//
// # Final or not yet
//
// Eventually, Never and the sink's waits poll a condition. What the
// condition returns decides what happens next:
//
//   - nil: it holds.
//   - a final error ends the wait at once, since a wrong answer never becomes
//     right by asking again; the step is failed. Final are: a Failure (Failf,
//     Doc.Expect, Equal, Response.Expect on a 4xx client error,
//     Response.JSON on a body that is not the expected JSON, such as
//     malformed JSON or an HTML page, or that is over the read limit) and
//     anything wrapped with Final (error, for Final of a fault).
//   - a fault (IsInfrastructure: a refused or reset connection, a 5xx) is
//     backed off from (100 ms, doubling to 2 s); five in a row with no answer
//     between them end the step as error, the fault its cause.
//   - any other error is "not yet": polling goes on, and at the deadline the
//     step is an sla-breach with that error as its last observation.
//
// NotYet turns a final error into "not yet" (an assertion on a state that
// may still change); Stop ends a wait with an error's own class. A sink
// Match judges one delivery, so its errors mean "not this one" unless
// wrapped with Final. Step.Poll sets a step's interval between checks.
//
// # Declared and checked before the run
//
// A journey declares the targets it calls (Journey.Targets) and the
// environment settings it reads (Journey.Settings: kind, default, the steps
// a duration must fit); envconfig checks every environment against them
// before any request is sent. Calling an undeclared or undefined target is
// an error at once.
//
// # The stage and the version under test
//
// A run a deployment started serves a lifecycle stage (T.Stage). At a
// pre-traffic stage (BeforeAllowTraffic, POST_TEST_TRAFFIC_SHIFT, ...)
// T.Traffic is trigger.Test and T.HTTP calls the environment's test
// targets, the version about to get traffic; otherwise its live targets.
// T.TargetVersion is the version being deployed, when known: a Lambda
// journey invokes it directly with package lambdatarget. Clients other
// than T.HTTP record their calls as evidence with T.Exchange.
//
// # Cleanups, diagnostics and messages
//
// An attempt's cleanups (T.Cleanup) run after its steps under one budget
// (Journey.CleanupBudget, DefaultCleanupBudget): one that hangs is
// abandoned when the budget ends, so it delays the verdict by the budget
// at most; their time is Result.CleanupElapsed, apart from the steps'.
// Register a cleanup before the call that creates what it undoes. A
// journey's Diagnostics are captured when a step does not pass and lead
// that step's evidence. A step's message is its cause, first ("connection
// refused: POST http://…"); its timing is in Elapsed and SLA.
package journey
