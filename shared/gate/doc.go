// Package gate holds the one gate decision function. The local runner and
// the gate Lambda both call Decide, so the laptop and the cloud never
// disagree about a verdict.
package gate
