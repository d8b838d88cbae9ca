// Package alertmanager builds (once, from the pinned module version) and
// starts a real Prometheus Alertmanager on a free loopback port, wired to
// deliver its webhook notifications to journeygate sinks. Faults configure a
// really broken setup, not a mock of one.
package alertmanager
