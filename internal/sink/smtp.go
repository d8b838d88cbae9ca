package sink

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/journeygate/journeygate/shared/journey"
)

// DefaultMaxMail bounds a message the SMTP listener accepts when
// SMTPConfig.MaxBytes is zero; larger is answered 552.
const DefaultMaxMail = 4 << 20

// DefaultInboxDomain is the local inbox domain: under .test, reserved by
// RFC 2606, so no mail for it ever leaves the machine by mistake.
const DefaultInboxDomain = "inbox.journeygate.test"

// SMTPConfig configures the sink's SMTP listener.
type SMTPConfig struct {
	// Domain is the inbox domain; "" means DefaultInboxDomain.
	Domain string
	// MaxBytes bounds a message (default DefaultMaxMail).
	MaxBytes int64
}

var _ journey.InboxOpener = (*Sink)(nil)

// OpenInbox starts accepting mail for address (journey.InboxOpener): the
// SMTP listener answers 550 for every other recipient.
func (s *Sink) OpenInbox(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inboxes == nil {
		s.inboxes = map[string]bool{}
	}
	s.inboxes[strings.ToLower(address)] = true
}

// ListenSMTP starts an SMTP listener on addr (e.g. "127.0.0.1:0") that
// stores each message for an opened inbox as a delivery under its inbox
// key (journey.InboxKey), where the inbox's waits read it. It returns the
// listener's host:port: the system under test's smarthost.
func (s *Sink) ListenSMTP(addr string, cfg SMTPConfig) (string, error) {
	if cfg.Domain == "" {
		cfg.Domain = DefaultInboxDomain
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxMail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.closing {
		return "", ErrClosed
	}
	if s.smtp != nil {
		return "", fmt.Errorf("sink already listening for mail on %s", s.smtpAddr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("SMTP listen on %s: %w", addr, err)
	}
	srv := smtp.NewServer(&mailBackend{s: s, cfg: cfg})
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxBytes
	srv.MaxRecipients = 50
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	s.smtp, s.smtpDomain, s.smtpAddr = srv, cfg.Domain, ln.Addr().String()
	go srv.Serve(ln) //nolint:errcheck // Serve returns once Close stops it.
	return s.smtpAddr, nil
}

// smtpMaxLine is the line length the SMTP listener accepts.
func (s *Sink) smtpMaxLine() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.smtp == nil || s.smtp.MaxLineLength <= 0 {
		return 2000 // go-smtp's default
	}
	return s.smtp.MaxLineLength
}

// InboxDomain returns the SMTP listener's inbox domain, "" before
// ListenSMTP.
func (s *Sink) InboxDomain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.smtpDomain
}

// mailBackend makes one session per SMTP connection.
type mailBackend struct {
	s   *Sink
	cfg SMTPConfig
}

func (b *mailBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailSession{b: b}, nil
}

// mailSession is one SMTP transaction at a time: MAIL, RCPT..., DATA.
type mailSession struct {
	b    *mailBackend
	keys []string // the accepted recipients' inbox keys
}

func (m *mailSession) Reset()        { m.keys = nil }
func (m *mailSession) Logout() error { return nil }

func (m *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

// maxRefusedTo bounds the refused recipients the listener keeps to show.
const maxRefusedTo = 4

// RefusedRecipients returns the last recipients the SMTP listener refused
// (journey.SinkRefusedRecipients), oldest first.
func (s *Sink) RefusedRecipients() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refusedTo...)
}

// Rcpt accepts an opened inbox of the listener's domain and answers 550
// for anything else, so a sender learns at once that the address is wrong.
func (m *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	key, ok := journey.InboxKey(to, m.b.cfg.Domain)
	s := m.b.s
	s.mu.Lock()
	open := ok && s.inboxes[strings.ToLower(strings.Trim(to, "<> "))]
	if !open {
		s.refusedMail++
		if len(s.refusedTo) == maxRefusedTo {
			s.refusedTo = s.refusedTo[1:]
		}
		s.refusedTo = append(s.refusedTo, to)
	}
	s.mu.Unlock()
	if !open {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: fmt.Sprintf("unknown recipient %s: not an open journeygate inbox of %s", to, m.b.cfg.Domain)}
	}
	m.keys = append(m.keys, key)
	return nil
}

// Data stores the message once per accepted recipient. A message over
// the size bound is answered 552 by the reader and stored nowhere; a
// malformed one is stored as received, and its waits show why it could
// not be read.
func (m *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			// Permanent: the same message would meet the same limit, and
			// a 4xx would have the sender retry it until it gives up.
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
				Message: fmt.Sprintf("a line of the message is over %d bytes (RFC 5321 allows 1000)", m.b.s.smtpMaxLine())}
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "reading message: " + err.Error()}
	}
	if len(m.keys) == 0 {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "no valid recipients"}
	}
	for _, key := range m.keys {
		if _, err := m.b.s.store(key, nil, raw); err != nil {
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: err.Error()}
		}
	}
	return nil
}
