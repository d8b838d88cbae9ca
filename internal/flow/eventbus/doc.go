// Package eventbus publishes journeygate's events (source flow.EventSource,
// the detail types and details of package flow) to an EventBridge bus, one
// entry per call. The gate publishes Run Completed and the runner Journey
// Failed through it, so both put, bound and check entries the same way.
//
// Publishing is best effort for its callers: Put returns an error (a failed
// call, or an entry EventBridge rejected, named by its error code), and the
// callers log it; an event never changes a verdict or a journey's result.
package eventbus
