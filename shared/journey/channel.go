package journey

import "time"

// channel is what a sink wait reads and how it speaks of it: the run's
// webhook deliveries (the zero value), an inbox's mail (T.Inbox), or the
// texts to a leased number. Every channel is read through the run's
// SinkReader under its own key, so one wait machinery serves them all.
type channel struct {
	// key is the SinkReader key; "" means the run ID.
	key string
	// one and many name its messages ("delivery", "deliveries").
	one, many string
	// scope names whose messages they are ("this run"), others the
	// rest ("other runs"), unattributed what a SinkTally could not
	// attribute ("for no run").
	scope, others, unattributed string
	// evidence labels a matched message's evidence ("sink delivery").
	evidence string
	// show describes a message for evidence; nil shows the body.
	show func(d Delivery, limit int) string
	// since skips messages received before it: a leased number's texts
	// to its earlier holders.
	since time.Time
	// ready says why the journey cannot read the channel, or nil; nil
	// means the sink's rule (Journey.Sink).
	ready func() error
}

func (c channel) noun(n int) string {
	if c.one == "" {
		return plural(n, "delivery", "deliveries")
	}
	return plural(n, c.one, c.many)
}

func (c channel) scopeName() string { return or(c.scope, "this run") }

func (c channel) othersName() string { return or(c.others, "other runs") }

func (c channel) unattributedName() string { return or(c.unattributed, "for no run") }

func (c channel) evidenceLabel() string { return or(c.evidence, "sink delivery") }

func (c channel) describe(d Delivery, limit int) string {
	if c.show != nil {
		return c.show(d, limit)
	}
	return excerpt(d.Body, limit)
}

// key returns the SinkReader key the client reads.
func (s *SinkClient) key() string {
	if s.ch.key != "" {
		return s.ch.key
	}
	return s.t.RunID()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
