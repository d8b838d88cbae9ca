package handler

import "github.com/journeygate/journeygate/internal/lease"

// WithLeases leases the pooled test resources journeys need (Journey.Needs)
// through m, and keeps every secret m knows out of results, events,
// metrics and logs (lease.Manager.Apply). Without it, a journey that needs
// a pool fails with class error, and nothing is redacted.
func WithLeases(m *lease.Manager) Option { return func(h *Handler) { h.leases = m } }
