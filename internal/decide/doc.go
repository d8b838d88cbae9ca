// Package decide is the one way a run's verdict is reached and kept, by
// the local run (internal/runner) and the gate Lambda alike: the policy
// inputs read from the store (Policy), then gate.Decide, then the verdict
// recorded once (Record), failing closed when it cannot be.
package decide
