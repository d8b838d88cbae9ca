package journey

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// SinkTally is a SinkReader that also counts what it received for other
// runs (the in-process sink does; a store-backed reader need not), so a
// sink wait that times out can say whether anything arrived at all.
type SinkTally interface {
	// Elsewhere returns how many deliveries the sink has received so far
	// for runs other than runID, and how many it could not attribute to
	// any run.
	Elsewhere(runID string) (otherRuns, unattributed int)
}

// SinkRefusals is a SinkReader that also counts the deliveries it refused
// for a missing or wrong sink token (the in-process sink does), so a sink
// wait that times out can say its sender reached the sink and was turned
// away: "1 text refused: missing or wrong sink token".
type SinkRefusals interface {
	// Unauthorized returns how many deliveries of key's kind (a run's
	// webhooks, an inbox's mail, a number's texts) the sink has refused
	// so far for a missing or wrong sink token.
	Unauthorized(key string) int
}

// SinkRefusedRecipients is a SinkReader whose SMTP listener keeps the
// recipients it refused (the in-process sink keeps the last few), so a
// mail wait that times out shows the address the service mailed instead
// of the inbox's.
type SinkRefusedRecipients interface {
	RefusedRecipients() []string
}

// AwaitError is a sink wait (SinkClient.Await) that ended without the
// delivery awaited. Its message says what was awaited, how long, and what
// arrived instead: "awaiting the firing notification: waited 10s, 0
// deliveries for this run (3 for other runs)". It unwraps to why the wait
// ended (a *poll.TimeoutError for the deadline).
type AwaitError struct {
	// What names the delivery awaited, e.g. "the firing notification".
	What string
	// Waited is how long the wait lasted.
	Waited time.Duration
	// Seen counts the run's deliveries the wait saw, none of them a match
	// (those an earlier Await claimed are not counted).
	Seen int
	// OtherRuns and Unattributed count what the sink has received for
	// other runs and for no run (the in-process sink: since the run
	// started); -1 when the sink cannot tell.
	OtherRuns, Unattributed int
	// Unauthorized counts the deliveries of this kind the sink refused
	// for a missing or wrong sink token (SinkRefusals); 0 when it refused
	// none or cannot tell.
	Unauthorized int
	// Mismatch says why the last delivery seen did not match, or nil.
	Mismatch error
	// Fault is why the sink could not be read, when that ended the wait.
	Fault error
	// Err is why the wait ended.
	Err error

	channel channel // what was awaited: a run's deliveries, an inbox's mail, a number's texts
}

func (e *AwaitError) Error() string {
	var b strings.Builder
	if e.Fault != nil {
		// The sink failed, not the system under test: that leads.
		fmt.Fprintf(&b, "%v; ", e.Fault)
	}
	fmt.Fprintf(&b, "awaiting %s: waited %s, %d %s for %s", e.What, e.Waited.Round(100*time.Millisecond), e.Seen, e.channel.noun(e.Seen), e.channel.scopeName())
	if e.OtherRuns >= 0 {
		fmt.Fprintf(&b, " (%d for %s", e.OtherRuns, e.channel.othersName())
		if e.Unattributed > 0 {
			fmt.Fprintf(&b, ", %d %s", e.Unattributed, e.channel.unattributedName())
		}
		b.WriteString(")")
	}
	if e.Unauthorized > 0 {
		fmt.Fprintf(&b, "; %d %s refused: missing or wrong sink token", e.Unauthorized, e.channel.noun(e.Unauthorized))
	}
	if e.Mismatch != nil {
		fmt.Fprintf(&b, "; %v", e.Mismatch)
	}
	var te *poll.TimeoutError
	if !errors.As(e.Err, &te) && e.Err != nil {
		// Not the deadline: say what ended the wait.
		fmt.Fprintf(&b, "; %v", e.Err)
	}
	return b.String()
}

func (e *AwaitError) Unwrap() error { return e.Err }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// elsewhere asks the reader what it received for other runs, or -1, -1.
func (s *SinkClient) elsewhere() (int, int) {
	if st, ok := s.reader.(SinkTally); ok {
		return st.Elsewhere(s.key())
	}
	return -1, -1
}

// awaitError builds the error of an Await, started at start, that ended
// without a match.
func (s *SinkClient) awaitError(what string, start time.Time, err error) *AwaitError {
	ae := &AwaitError{What: what, Waited: time.Since(start), Seen: len(s.unclaimed()), Err: err, channel: s.ch}
	ae.OtherRuns, ae.Unattributed = s.elsewhere()
	if sr, ok := s.reader.(SinkRefusals); ok {
		ae.Unauthorized = sr.Unauthorized(s.key())
	}
	var te *poll.TimeoutError
	switch {
	case !errors.As(err, &te) || te.Last == nil || errors.Is(te.Last, errNoDelivery):
	case IsInfrastructure(te.Last):
		ae.Fault = te.Last
	default:
		ae.Mismatch = te.Last
	}
	return ae
}

// errNoDelivery is a sink wait's observation before any delivery of the
// run arrived.
var errNoDelivery = errors.New("no delivery for this run yet")

// maxSeenEvidence bounds the deliveries seenEvidence lists.
const maxSeenEvidence = 4

// refusedEvidence records, for a mail wait that found no match, the
// recipients the SMTP listener refused, when it keeps them: a service
// mailing a wrong address shows which.
func (s *SinkClient) refusedEvidence() {
	rr, ok := s.reader.(SinkRefusedRecipients)
	if !ok || !strings.HasPrefix(s.key(), InboxKeyPrefix) {
		return
	}
	if to := rr.RefusedRecipients(); len(to) > 0 {
		s.t.Evidence("recipients refused (unknown)", "%s", strings.Join(to, "\n"))
	}
}

// seenLineRunes bounds the one-line summary of each earlier delivery
// seenEvidence lists.
const seenLineRunes = 120

// seenLine folds a delivery's description onto one line of at most
// seenLineRunes runes.
func seenLine(desc string) string {
	line := []rune(strings.Join(strings.Fields(desc), " "))
	if len(line) > seenLineRunes {
		return string(line[:seenLineRunes-1]) + "…"
	}
	return string(line)
}

// unclaimed returns the run's deliveries seen that no Await claimed.
func (s *SinkClient) unclaimed() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Delivery
	for _, d := range s.seen {
		if !s.claimed[d.ID] {
			out = append(out, d)
		}
	}
	return out
}

// seenEvidence records, for a wait that found no match, the run's
// unclaimed deliveries it saw (the last few, each on a line, the latest
// with a longer excerpt); none
// when nothing arrived, which the wait's message says already.
func (s *SinkClient) seenEvidence() {
	seen := s.unclaimed()
	if len(seen) == 0 {
		return
	}
	label := fmt.Sprintf("%s for %s (%d)", s.ch.noun(2), s.ch.scopeName(), len(seen))
	if len(seen) > maxSeenEvidence {
		label = fmt.Sprintf("last %d of %d %s for %s", maxSeenEvidence, len(seen), s.ch.noun(2), s.ch.scopeName())
		seen = seen[len(seen)-maxSeenEvidence:]
	}
	var b strings.Builder
	for i, d := range seen {
		fmt.Fprintf(&b, "%s received %s", d.ID, d.ReceivedAt.UTC().Format(time.RFC3339Nano))
		if i == len(seen)-1 {
			fmt.Fprintf(&b, ":\n%s", s.ch.describe(d, s.t.opts.excerptLimit()))
		} else {
			// The earlier ones on one line each: often the one that
			// should have matched is among them.
			fmt.Fprintf(&b, ": %s", seenLine(s.ch.describe(d, seenLineRunes)))
		}
		b.WriteString("\n")
	}
	s.t.Evidence(label, "%s", strings.TrimRight(b.String(), "\n"))
}
