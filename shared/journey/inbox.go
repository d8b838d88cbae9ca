package journey

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// InboxKeyPrefix starts the SinkReader key of an inbox's mail: the sinks
// store a message for the address jgXXXX@domain under "inbox/jgXXXX".
const InboxKeyPrefix = "inbox/"

// inboxLocalPrefix starts every inbox address's local part, so a sink can
// refuse mail for anything else without a lookup.
const inboxLocalPrefix = "jg"

// inboxTokenLen is the length of the token after the prefix: 80 bits of
// a hash of run, journey and attempt, base32 (a-z, 2-7).
const inboxTokenLen = 16

var inboxEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// InboxAddress returns the address of one attempt of a journey in a run
// on domain: unique to the three, so two runs, two journeys of a run, or a
// retry and its earlier attempt never read each other's mail. It is
// derived, not registered: the sink that receives the mail needs no lookup
// to store it where the attempt reads it (InboxKey).
func InboxAddress(runID, journeyName string, attempt int, domain string) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + journeyName + "\x00" + strconv.Itoa(attempt)))
	return inboxLocalPrefix + inboxEncoding.EncodeToString(sum[:10]) + "@" + strings.ToLower(domain)
}

// InboxKey returns the SinkReader key mail to address is stored under,
// and whether address is an inbox address of domain at all (its local
// part as InboxAddress makes them, case-insensitively).
func InboxKey(address, domain string) (string, bool) {
	local, dom, ok := strings.Cut(strings.ToLower(strings.Trim(strings.TrimSpace(address), "<>")), "@")
	if !ok || dom != strings.ToLower(domain) {
		return "", false
	}
	token, ok := strings.CutPrefix(local, inboxLocalPrefix)
	if !ok || len(token) != inboxTokenLen {
		return "", false
	}
	if _, err := inboxEncoding.DecodeString(token); err != nil {
		return "", false
	}
	return InboxKeyPrefix + local, true
}

// InboxOpener is implemented by a SinkReader that accepts mail only for
// the inboxes opened on it (the local SMTP listener answers 550 for any
// other address); the cloud's accepts any inbox address of its domain.
type InboxOpener interface {
	// OpenInbox starts accepting mail for address.
	OpenInbox(address string)
}

// MailMatch returns nil when a mail is the one awaited, or an error saying
// why not; like Match, a mismatch only means "not this one" unless Final.
type MailMatch func(m Mail) error

// Inbox is the mailbox of one attempt of a journey (T.Inbox): the system
// under test sends mail to Address, and Await and Never read it as sink
// waits do, woken on arrival.
type Inbox struct {
	client  *SinkClient
	address string
}

// Inbox returns the attempt's inbox. Its waits end at once as error in a
// journey that does not declare Journey.Inbox, or in a run without an
// inbox domain (Options.InboxDomain).
func (t *T) Inbox() *Inbox {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inbox != nil {
		return t.inbox
	}
	in := &Inbox{}
	if t.opts.InboxDomain != "" {
		in.address = InboxAddress(t.RunID(), t.journey.Name, t.Attempt(), t.opts.InboxDomain)
	}
	key, _ := InboxKey(in.address, t.opts.InboxDomain)
	in.client = &SinkClient{t: t, reader: t.opts.Sink, ch: channel{
		key: key, one: "mail", many: "mails",
		scope: "this inbox", others: "other inboxes", unattributed: "refused (unknown recipient)",
		evidence: "mail",
		show:     func(d Delivery, limit int) string { return ParseMail(d.Body).summary(limit) },
		ready: func() error {
			switch {
			case !t.journey.Inbox:
				return undeclared("no inbox for journey %q: it does not declare Inbox: true", t.journey.Name)
			case in.address == "":
				return Stop(errors.New("no inbox domain for this run: locally set inbox in the environments file; in the cloud, the construct's InboxDomain"))
			case t.opts.Sink == nil:
				return errNoSink
			}
			return nil
		},
	}}
	if o, ok := t.opts.Sink.(InboxOpener); ok && in.address != "" && t.journey.Inbox {
		o.OpenInbox(in.address)
	}
	t.inbox = in
	return in
}

// Address is the address to send this attempt's mail to; "" when the run
// has no inbox domain.
func (in *Inbox) Address() string { return in.address }

// Await returns the first unclaimed mail of the inbox that match accepts,
// waiting until the step's deadline. On timeout the error says what
// arrived instead, and the evidence shows the mail seen.
func (in *Inbox) Await(ctx context.Context, what string, match MailMatch) (Mail, error) {
	d, err := in.client.Await(ctx, what, mailMatch(match))
	if err != nil {
		return Mail{}, err
	}
	return inboxMail(d), nil
}

// Never asserts that no unclaimed mail match accepts arrives within
// window (which must fit in the step's SLA).
func (in *Inbox) Never(ctx context.Context, window time.Duration, what string, match MailMatch) error {
	return in.client.Never(ctx, window, what, mailMatch(match))
}

// mailMatch adapts a MailMatch to the sink's Match. A malformed message
// is not the one awaited; the wait goes on and keeps it as evidence.
func mailMatch(match MailMatch) Match {
	return func(d Delivery) error {
		m := inboxMail(d)
		if m.Malformed != nil && m.Subject == "" && m.Text == "" && m.HTML == "" {
			return fmt.Errorf("malformed message: %w", m.Malformed)
		}
		return match(m)
	}
}

func inboxMail(d Delivery) Mail {
	m := ParseMail(d.Body)
	m.ID, m.ReceivedAt = d.ID, d.ReceivedAt
	return m
}
