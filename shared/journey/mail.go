package journey

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	// Registers the charsets message bodies and headers may use
	// (ISO-8859-x, Windows-125x, Shift_JIS, ...), so they decode to UTF-8.
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"
)

// Mail is one message delivered to a run's inbox (T.Inbox), decoded: its
// bodies are UTF-8 whatever their transfer encoding (quoted-printable,
// base64) and charset.
type Mail struct {
	// ID identifies the message in the store; ReceivedAt is when the
	// inbox received it.
	ID         string
	ReceivedAt time.Time
	// From and To are the addresses of the From and To headers
	// (address only, lowercase domain); Subject is decoded (RFC 2047).
	From    string
	To      []string
	Subject string
	// Date is the Date header, zero when absent or unreadable.
	Date time.Time
	// Header holds every header field, keys canonical ("Message-Id"),
	// values as sent (encoded words undecoded).
	Header textproto.MIMEHeader
	// Text and HTML are the first text/plain and text/html parts that are
	// not attachments, decoded, their lines ending in "\n" (not the
	// wire's CRLF).
	Text, HTML string
	// Links are the URLs in the message: HTML hrefs first, then URLs in
	// the text, each once, in order.
	Links []string
	// Raw is the message as received.
	Raw []byte
	// Malformed says why the message could not be decoded whole, or is
	// nil: a message the inbox accepted is kept even then, with what
	// could be read.
	Malformed error
}

// ParseMail decodes a raw RFC 5322 message. It returns what it could read
// even when the message is malformed, with Malformed saying why.
func ParseMail(raw []byte) Mail {
	m := Mail{Raw: raw, Header: textproto.MIMEHeader{}}
	mr, err := gomail.CreateReader(bytes.NewReader(raw))
	if mr == nil {
		// The header itself is unreadable.
		m.Malformed = fmt.Errorf("not a mail message: %v", err)
		return m
	}
	defer mr.Close()
	var problems []error
	if err != nil {
		problems = append(problems, err)
	}
	fields := mr.Header.Fields()
	for fields.Next() {
		m.Header.Add(textproto.CanonicalMIMEHeaderKey(fields.Key()), fields.Value())
	}
	if from, err := mr.Header.AddressList("From"); err == nil && len(from) > 0 {
		m.From = lowerDomain(from[0].Address)
	} else if err != nil {
		problems = append(problems, fmt.Errorf("header From: %w", err))
	}
	if to, err := mr.Header.AddressList("To"); err == nil {
		for _, a := range to {
			m.To = append(m.To, lowerDomain(a.Address))
		}
	} else {
		problems = append(problems, fmt.Errorf("header To: %w", err))
	}
	if m.Subject, err = mr.Header.Subject(); err != nil {
		m.Subject = mr.Header.Get("Subject")
		problems = append(problems, fmt.Errorf("header Subject: %w", err))
	}
	if mr.Header.Has("Date") {
		if m.Date, err = mr.Header.Date(); err != nil {
			problems = append(problems, fmt.Errorf("header Date: %w", err))
		}
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("body: %w", err))
			break
		}
		h, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			continue // an attachment
		}
		ct, _, err := h.ContentType()
		if err != nil {
			ct = "text/plain" // RFC 2045's default for a part without a readable type
		}
		if ct != "text/plain" && ct != "text/html" {
			continue
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s part: %w", ct, err))
		}
		// The wire's CRLF line ends become Go's "\n", so a match on a
		// line or a suffix reads as written.
		text := strings.ReplaceAll(string(body), "\r\n", "\n")
		switch {
		case ct == "text/plain" && m.Text == "":
			m.Text = text
		case ct == "text/html" && m.HTML == "":
			m.HTML = text
		}
	}
	m.Links = mailLinks(m.HTML, m.Text)
	m.Malformed = errors.Join(problems...)
	return m
}

// mailLinkPatterns finds hrefs in HTML and URLs in text; compiled on first
// use, so a function that never reads mail does not pay for them at start.
var mailLinkPatterns = sync.OnceValues(func() (*regexp.Regexp, *regexp.Regexp) {
	return regexp.MustCompile(`(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')`),
		regexp.MustCompile(`https?://[^\s<>"']+`)
})

// mailLinks returns the HTML hrefs, then the text's URLs, each once.
func mailLinks(htmlBody, text string) []string {
	href, bare := mailLinkPatterns()
	var out []string
	add := func(u string) {
		u = strings.TrimRight(strings.TrimSpace(u), ".,;:!?)]")
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, m := range href.FindAllStringSubmatch(htmlBody, -1) {
		add(html.UnescapeString(m[1] + m[2]))
	}
	for _, u := range bare.FindAllString(text, -1) {
		add(u)
	}
	return out
}

// Contains reports whether s appears in the subject, the text body or the
// HTML body: the usual "this mail is about that" check.
func (m Mail) Contains(s string) bool {
	return strings.Contains(m.Subject, s) || strings.Contains(m.Text, s) || strings.Contains(m.HTML, s)
}

// summary describes the mail for evidence: sender, subject, sizes and an
// excerpt of the text (or HTML) body.
func (m Mail) summary(limit int) string {
	body := m.Text
	if body == "" {
		body = m.HTML
	}
	s := fmt.Sprintf("from %s to %s, subject %q, %d bytes (text %d, HTML %d, %d links)",
		orNone(m.From), orNone(strings.Join(m.To, ", ")), m.Subject, len(m.Raw), len(m.Text), len(m.HTML), len(m.Links))
	if m.Malformed != nil {
		s += fmt.Sprintf("; malformed: %v; raw:\n%s", m.Malformed, excerpt(m.Raw, limit))
		return s
	}
	if body != "" {
		s += ":\n" + excerpt([]byte(body), limit)
	}
	return s
}

// lowerDomain lowercases an address's domain, which is case-insensitive,
// and keeps its local part as sent, which need not be (RFC 5321 2.4).
func lowerDomain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i] + strings.ToLower(addr[i:])
	}
	return addr
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
