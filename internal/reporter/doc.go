// Package reporter sends a run's verdict to the deployment that waits for
// it: a CodeDeploy lifecycle hook status, or a CodePipeline job result. It
// is the one place that talks to those APIs, with one retry policy
// (throttling and server errors, backed off and bounded) and a panic
// guard, used by the hook when a run cannot start, by the gate for every
// verdict, and by the state machine's last-resort path when the gate
// itself failed.
//
// A deployment that already has a status (CodeDeploy's
// LifecycleEventAlreadyCompletedException, CodePipeline's
// InvalidJobStateException) is not an error: Send says so in its Outcome,
// and the caller decides whether that means "reported before" or "too
// late", since only the caller knows whether it reported before.
package reporter
