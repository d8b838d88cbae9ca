// Package cli is the implementation of the journeygate command line
// (package github.com/journeygate/journeygate/cli is its public entry
// point): list, run, history, show, override, decide, invoke, leases and
// init. `run` executes journeys against an environment with the same
// verdict logic the deployment gate uses and exits 0 (Succeeded), 1
// (Failed) or 2 (usage or configuration error), so it works as a gate in
// any CI. `show` prints a recorded run with its evidence; `override`
// records an audited override of a deployment's gate; `decide`
// re-evaluates a finished run through the gate Lambda's handler and
// reports the verdict in force; `init` writes a new team repository.
package cli
