// Package handler is the gate Lambda: the state machine's last Task. It
// reads the run's results, applies the shared gate decision, records the
// verdict and reports it to the deployment, then publishes a run-completed
// event.
//
// Fail closed: a fault anywhere (a ForcedFailure input, a Map item whose
// runner crashed or timed out, an unreadable store, a verdict that cannot
// be recorded) becomes part of a Failed verdict, which is still reported.
// The store is read under a deadline that keeps ReportReserve of the
// invocation's time for reporting, and a deferred guard turns a panic into
// a Failed report. The gate returns an error only when it could not report
// (ReportError), when the request names no deployment it could report to
// (InvalidRequestError), or after a panic (PanicError).
//
// Exactly once: the verdict is recorded with a conditional write
// (PutVerdict). When one is already recorded (a retried invocation), the
// recorded verdict is the one reported, never a new decision. It is sent
// again, because the earlier invocation may have died before reporting;
// CodeDeploy answers a second report with
// LifecycleEventAlreadyCompletedException and CodePipeline with
// InvalidJobStateException, both of which count as done, so a deployment
// never receives two different answers. Throttling is retried with
// bounded exponential backoff.
//
// Where the verdict goes: CodeDeploy runs get
// PutLifecycleEventHookExecutionStatus (Succeeded or Failed); CodePipeline
// runs get PutJobSuccessResult or PutJobFailureResult, whose message names
// the failing journey and step, bounded to MaxPipelineMessage characters;
// schedule and manual runs report nowhere. Every run publishes an
// EventBridge event (Source "journeygate", DetailType "Run Completed",
// detail flow.RunCompleted) when an events client is configured; a failed
// publish is logged and never changes the verdict.
//
// Policies: the decision applies the unhealthy-environment freeze (when
// WithEnvironments configures it: a deployment run fails while the
// environment's latest scheduled run of a global journey fails) and the
// audited overrides recorded for the run's deployment, gathered with
// store.GatePolicy exactly as the local runner gathers them. An override
// applies only where its use is recorded: a verdict that cannot be
// recorded is decided again without overrides. Redecide re-evaluates a
// finished run (journeygate decide): it replaces a Failed verdict with a
// Succeeded one through store.VerdictReviser, keeping the replaced one in
// the run's revisions, and reports the verdict in force exactly as Handle
// does, so a hook already reported is never reported twice.
//
// Explanations: the CodePipeline failure message, the "verdict reported"
// log line (inspect, journey, step, outcome, override fields) and the Run
// Completed event (inspect, overridden) all point at
// "journeygate show RUN_ID".
//
// HTML report: with WithHTMLReports the gate writes each run's HTML report
// (report.WriteHTML of the verdict it reports, with each journey's history
// from the store) to S3 under ReportKey (reports/ENV/RUN.html) and logs
// its location ("html report written"); a CodePipeline failure message
// carries it after the command that shows the run. A CodePipeline run's
// report is written before the verdict is reported, within
// HTMLReportTimeout of the store's share of the time; any other run's
// after. A report that cannot be written is logged and changes nothing:
// the verdict is reported all the same.
//
// Metrics: each decided run writes one EMF record (WithMetrics; see package
// metrics) right after the decision, before reporting: GateVerdicts,
// GateFailed and GateOverridden (1 when an override changed the verdict)
// by environment and trigger; a re-decision that changed the verdict writes
// one more. A run already
// decided by an earlier invocation writes none; a panic counts as the
// Failed verdict it reports. A metrics write error is logged only.
package handler
