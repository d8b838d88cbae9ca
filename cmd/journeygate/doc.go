// Command journeygate lists, runs and reports on customer journeys. `run`
// executes journeys against an environment with the same verdict logic the
// deployment gate uses and exits 0 (Succeeded), 1 (Failed) or 2 (usage or
// configuration error), so it works as a gate in any CI.
package main
