package handler

// WithInboxDomain sets the domain of the journeys' inbox addresses
// (journey.Options.InboxDomain): the stack's SES receipt rule receives its
// mail, and the sink stores it where the sink reader finds it. Without
// it, an inbox wait fails at once saying the run has no inbox domain.
func WithInboxDomain(domain string) Option { return func(h *Handler) { h.inboxDomain = domain } }
