// Package faultproxy stands between journeys and a real target (a real
// Alertmanager, in the tests) and misbehaves on purpose, the way targets
// do in production: it answers a client error, a malformed or HTML body,
// a body far over the journeys' read limit, 503 for a while, or resets
// every Nth connection. Everything else is forwarded, so what journeys do
// still happens in the target; body and status faults are applied to the
// target's own answer after forwarding.
//
// It counts the connections and requests that reached it, so a test can
// prove that none did (a configuration error found before the run).
package faultproxy
