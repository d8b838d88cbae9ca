// Package lease gives journeys isolated test resources: pre-provisioned
// test accounts, API keys or tenants, declared per environment as pools in
// the environments file (envconfig.Pool), leased exclusively for one
// attempt of a journey, so parallel runs never share one.
//
// Acquire tries a pool's resources in a random order, each with one
// conditional write (store.LeaseStore.AcquireLease: free when never
// leased, released, or expired), and polls with backoff (shared/poll)
// until the pool's wait has passed; then it fails with an
// *UnavailableError, "pool tenants: no resource free within 30s (3
// leased)", which makes the attempt's class error. A Lease is renewed
// every third of the pool's lease duration while held, so a long journey
// keeps it and a holder that died frees it one lease duration after its
// last renewal. Release frees it; only its holder can (every acquisition
// has its own holder ID).
//
// Manager implements journey.Leaser over the environments file's pools:
// it leases one resource of each pool a journey needs (in pool-name order,
// so two journeys needing the same pools never hold one each and wait for
// the other), resolves the resource's values through a secrets.Resolver
// (Secrets Manager and SSM in the cloud, cached per container; env: and
// literals locally), and releases them after the journey's cleanup. Every
// resolved value, and the environments file's sink tokens, go to the
// Resolver's Redactor. Manager.Apply
// wires the Manager, the Redactor and a redacting logger into
// journey.Options: the local runner (internal/runner) and the runner Lambda
// (functions/runner/handler) both call it around journey execution.
package lease
