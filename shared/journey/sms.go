package journey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SMSKeyPrefix starts the SinkReader key of a number's texts: the sinks
// store a text to +15551234567 under "sms/+15551234567".
const SMSKeyPrefix = "sms/"

// SMSNumberValue is the value every resource of a journey's SMS pool
// defines (Journey.SMS): the receiving number leased to the attempt.
const SMSNumberValue = "number"

// Bounds of a normalised number's digits: E.164 allows at most 15; 3
// admits short codes.
const (
	minNumberDigits = 3
	maxNumberDigits = 15
)

// NormalizeNumber returns number as the sinks key texts by: "+" and its
// digits (E.164). Spaces, dashes, dots and parentheses are dropped and a
// leading "00" is read as "+"; a number without "+" or "00" is taken as
// already holding its country code, as providers such as Vonage send it
// ("447700900123" is "+447700900123"). No national formats are guessed:
// anything but digits (a letter, a "tel:" prefix, an extension) is an
// error, and so is a count of digits outside 3..15.
func NormalizeNumber(number string) (string, error) {
	s := strings.TrimSpace(number)
	if s == "" {
		return "", errors.New("empty phone number")
	}
	var digits strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("phone number %q has %q at byte %d: want digits with an optional leading +", number, r, i)
		}
	}
	d := digits.String()
	if !strings.HasPrefix(s, "+") {
		d = strings.TrimPrefix(d, "00")
	}
	if n := len(d); n < minNumberDigits || n > maxNumberDigits {
		return "", fmt.Errorf("phone number %q has %d digits: want %d to %d (E.164, country code included)", number, n, minNumberDigits, maxNumberDigits)
	}
	return "+" + d, nil
}

// SMSKey returns the SinkReader key of the texts to number, normalised
// (NormalizeNumber).
func SMSKey(number string) (string, error) {
	n, err := NormalizeNumber(number)
	if err != nil {
		return "", err
	}
	return SMSKeyPrefix + n, nil
}

// smsBody is the body a sink stores for a text: the provider's fields
// under common names, and the request body as it came.
type smsBody struct {
	Provider string `json:"provider,omitempty"`
	ID       string `json:"id,omitempty"`
	From     string `json:"from"`
	To       string `json:"to"`
	Text     string `json:"text"`
	Raw      string `json:"raw,omitempty"`
}

// SMSBody returns the delivery body a sink stores for a text: the JSON
// object {"provider", "id", "from", "to", "text", "raw"}, where to is the
// normalised receiving number and raw the provider's request body.
func SMSBody(provider, id, from, to, text string, raw []byte) []byte {
	b, _ := json.Marshal(smsBody{Provider: provider, ID: id, From: from, To: to, Text: text, Raw: string(raw)}) // strings only: cannot fail
	return b
}

// Text is a text message received for a number (SMS.Await).
type Text struct {
	// From is the sender as the provider gave it.
	From string
	// To is the receiving number, normalised (NormalizeNumber).
	To string
	// Body is the message text.
	Body string
	// ReceivedAt is when the sink received it.
	ReceivedAt time.Time
	// ID is the provider's message ID (Twilio's MessageSid, Vonage's
	// messageId), or the sink's delivery ID when it gave none.
	ID string
	// Provider names the provider: the sink route's /sms/{provider}, or
	// the one whose field names the body uses ("twilio", "vonage").
	Provider string
	// Raw is the provider's request body as received.
	Raw []byte
	// Malformed says why the delivery is not a text the sink stored, or
	// nil.
	Malformed error
}

// ParseText returns the text a sink stored as d (SMSBody). A body that is
// not one is kept whole in Raw, with Malformed saying why.
func ParseText(d Delivery) Text {
	var b smsBody
	if err := json.Unmarshal(d.Body, &b); err != nil {
		return Text{ID: d.ID, ReceivedAt: d.ReceivedAt, Raw: d.Body, Malformed: fmt.Errorf("not a text the sink stored: %v", err)}
	}
	t := Text{From: b.From, To: b.To, Body: b.Text, ReceivedAt: d.ReceivedAt, ID: b.ID, Provider: b.Provider, Raw: []byte(b.Raw)}
	if t.ID == "" {
		t.ID = d.ID
	}
	return t
}

// SMSMatch returns nil when a text is the one awaited, or an error saying
// why not; like Match, a mismatch only means "not this one" unless Final.
type SMSMatch func(m Text) error

// SMS reads the texts sent to the number an attempt leased (T.SMS): the
// system under test texts Number, the provider posts the text to the
// sink's /sms route, and Await and Never read it as sink waits do, woken
// on arrival. Only texts received since the attempt leased the number are
// seen, so an earlier holder's never are.
type SMS struct {
	client *SinkClient
	number string
}

type smsKey struct{}

// SMS returns the attempt's SMS client for the number leased from the
// journey's SMS pool (Journey.SMS). Its waits end at once as error in a
// journey that declares no SMS pool, when the leased resource defines no
// valid number (SMSNumberValue), or in a run without a sink.
func (t *T) SMS() *SMS {
	return t.AttemptValue(smsKey{}, func() any { return t.newSMS() }).(*SMS)
}

func (t *T) newSMS() *SMS {
	s := &SMS{}
	var problem error
	var since time.Time
	pool := t.journey.SMS
	r := t.resources[pool]
	switch {
	case pool == "":
		problem = undeclared("no SMS number for journey %q: it does not declare SMS (the pool of receiving numbers)", t.journey.Name)
	case r == nil:
		problem = fmt.Errorf("no number leased from pool %q for journey %q: list the pool in Needs", pool, t.journey.Name)
	default:
		raw, ok := r.Lookup(SMSNumberValue)
		if !ok {
			problem = fmt.Errorf("resource %s of pool %s defines no value %q (the receiving number; defined: %v)", r.ID(), pool, SMSNumberValue, r.Keys())
			break
		}
		n, err := NormalizeNumber(raw)
		if err != nil {
			problem = fmt.Errorf("resource %s of pool %s, value %q: %w", r.ID(), pool, SMSNumberValue, err)
			break
		}
		s.number = n
		if n != raw {
			t.Secret(n) // the value is, in every form it appears in
		}
		since = r.LeasedAt()
		if since.IsZero() {
			since = t.leasedAt()
		}
	}
	s.client = &SinkClient{t: t, reader: t.opts.Sink, ch: channel{
		key: SMSKeyPrefix + s.number, one: "text", many: "texts",
		scope: "this number", others: "other numbers", unattributed: "refused (malformed)",
		evidence: "text",
		show:     func(d Delivery, limit int) string { return ParseText(d).summary(t.redact, limit) },
		since:    since,
		ready: func() error {
			switch {
			case problem != nil:
				return Stop(problem)
			case t.opts.Sink == nil:
				return errNoSink
			}
			return nil
		},
	}}
	return s
}

// Number is the receiving number leased to this attempt, normalised
// ("+15551234567"); "" when the journey has none (see T.SMS).
func (s *SMS) Number() string { return s.number }

// Await returns the first unclaimed text to the number that match
// accepts, waiting until the step's deadline. On timeout the error says
// what arrived instead, and the evidence shows the texts seen.
func (s *SMS) Await(ctx context.Context, what string, match SMSMatch) (Text, error) {
	d, err := s.client.Await(ctx, what, textMatch(match))
	if err != nil {
		return Text{}, err
	}
	return ParseText(d), nil
}

// Never asserts that no unclaimed text match accepts arrives within
// window (which must fit in the step's SLA).
func (s *SMS) Never(ctx context.Context, window time.Duration, what string, match SMSMatch) error {
	return s.client.Never(ctx, window, what, textMatch(match))
}

// textMatch adapts an SMSMatch to the sink's Match: a delivery that is not
// a text is not the one awaited.
func textMatch(match SMSMatch) Match {
	return func(d Delivery) error {
		m := ParseText(d)
		if m.Malformed != nil {
			return m.Malformed
		}
		return match(m)
	}
}

// summary describes a text for evidence: sender, number and an excerpt of
// the body redacted before it is cut.
func (m Text) summary(redact func(string) string, limit int) string {
	if m.Malformed != nil {
		return fmt.Sprintf("%v; raw:\n%s", m.Malformed, excerpt([]byte(redact(string(m.Raw))), limit))
	}
	return fmt.Sprintf("from %s to %s (%s %s), %d chars:\n%s", orNone(m.From), orNone(m.To), orNone(m.Provider), orNone(m.ID),
		len([]rune(m.Body)), excerpt([]byte(redact(m.Body)), limit))
}

type leasedAtKey struct{}

// leasedAt is when the attempt's leases were taken (T.lease), for a
// Leaser whose resources do not say (Resource.LeasedAt).
func (t *T) leasedAt() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, _ := t.values[leasedAtKey{}].(time.Time)
	return at
}
