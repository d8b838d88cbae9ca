package journey_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// ParseMail over real-world shapes of mail (testdata/mail): the mail
// Alertmanager v0.28.1's email receiver sent to the SMTP listener (captured
// with test/alertmanager's config), and hand-made messages in the
// encodings mailers use. Each row names what must come out decoded.
func TestParseMailFixtures(t *testing.T) {
	cases := []struct {
		file    string
		from    string
		to      []string
		subject string
		date    time.Time
		// text and html must appear in the decoded bodies; noText is
		// what must not (an attachment's content, say).
		text, html []string
		noText     []string
		links      []string
		// malformed lists what Malformed must say; nil: none.
		malformed []string
	}{
		{
			file: "alertmanager-v0.28.1.eml", from: "alertmanager@alertmanager.journeygate.test",
			to:      []string{"jgrhgesy55dtunk2ie@inbox.journeygate.test"},
			subject: "[FIRING:1] JourneyAlertToEmail k1 20261203T230000Z-a1b2c3 (jgrhgesy55dtunk2ie@inbox.journeygate.test alert-to-email page)",
			date:    time.Date(2026, 12, 3, 22, 52, 7, 0, time.UTC),
			// The text part is the receiver's text template, quoted-
			// printable (=3D) on the wire; the HTML part Alertmanager's
			// default template, its soft line breaks joined.
			text:  []string{"alertname=JourneyAlertToEmail\n", "jg_run=20261203T230000Z-a1b2c3\n"},
			html:  []string{"<title>[FIRING:1] JourneyAlertToEmail k1 20261203T230000Z-a1b2c3 (jgrhgesy55dtunk2ie@inbox", "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"},
			links: []string{"http://vm:42897/#/alerts?receiver=journeygate-inbox", "http://prometheus.example.com/graph?g0.expr=up+%3D%3D+0", "http://vm:42897"},
		},
		{
			file: "quoted-printable.eml", from: "noreply@status.example.com",
			to:      []string{"jgaaaaaaaaaaaaaaaa@inbox.journeygate.test"},
			subject: "Incident opened: checkout latency",
			date:    time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC),
			// =E2=80=94 is an em dash; a soft line break (= at a line's
			// end) joins the URL it split.
			text:  []string{"INC-4411 — checkout latency", "ack?token=abc123&via=email before"},
			links: []string{"https://status.example.com/incidents/INC-4411/ack?token=abc123&via=email", "https://runbooks.example.com/checkout-latency"},
		},
		{
			file: "base64-html.eml", from: "alertmanager@example.com",
			to:      []string{"jgaaaaaaaaaaaaaaab@inbox.journeygate.test", "team@example.com"},
			subject: "[FIRING:1] DiskFull db-1",
			date:    time.Date(2026, 12, 3, 7, 59, 59, 0, time.UTC),
			html:    []string{"<p>Alert <b>DiskFull</b> on db-1 &mdash; 97% used.</p>"},
			// Hrefs in either quote, entities unescaped.
			links: []string{"https://am.example.com/#/alerts?silenced=false&filter=%7Balertname%3D%22DiskFull%22%7D", "https://grafana.example.com/d/disk?var-host=db-1"},
		},
		{
			file: "iso-8859-1.eml", from: "joerg@example.de",
			to:      []string{"jgaaaaaaaaaaaaaaac@inbox.journeygate.test"},
			subject: "Störung behoben: Zahlungsdienst läuft wieder",
			date:    time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC),
			text:    []string{"Die Störung ist behoben. Grüße aus München."},
		},
		{
			file: "windows-1252.eml", from: "billing@example.com",
			to:      []string{"jgaaaaaaaaaaaaaaad@inbox.journeygate.test"},
			subject: "“Payments” alert – € at risk",
			date:    time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC),
			// 0x93/0x94 curly quotes, 0x80 euro, 0x96 en dash: where
			// Windows-1252 and ISO-8859-1 differ.
			text:  []string{"The “checkout” alert fired: € 4,000 in failed payments – see"},
			links: []string{"https://pay.example.com/incidents/77"},
		},
		{
			file: "utf8-subject.eml", from: "alerts@example.jp",
			to: []string{"jgaaaaaaaaaaaaaaae@inbox.journeygate.test"},
			// Two base64 encoded words on a folded line: joined without
			// the fold's space (RFC 2047 6.2).
			subject: "[FIRING:1] Überlast auf 東京-1 — bitte prüfen",
			date:    time.Date(2026, 12, 3, 16, 2, 3, 0, time.UTC),
			text:    []string{"Überlast auf 東京-1."},
		},
		{
			file: "alternative-with-attachment.eml", from: "reports@example.com",
			to:      []string{"jgaaaaaaaaaaaaaaaf@inbox.journeygate.test"},
			subject: "Weekly incident report",
			date:    time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC),
			text:    []string{"Weekly incident report attached. Details: https://reports.example.com/week/49"},
			html:    []string{`<a href="https://reports.example.com/week/49?view=html">Details</a>`},
			// A text/plain attachment is not the body, nor its links.
			noText: []string{"this text file is an attachment"},
			links:  []string{"https://reports.example.com/week/49?view=html", "https://reports.example.com/week/49"},
		},
		{
			// The closing boundary never comes, the HTML part's base64 is
			// broken and the date unreadable: what could be read is
			// kept, and Malformed says what could not.
			file: "malformed-boundary.eml", from: "broken-mailer@example.com",
			to:        []string{"jgaaaaaaaaaaaaaaag@inbox.journeygate.test"},
			subject:   "truncated report",
			text:      []string{"The first part arrived whole"},
			links:     []string{"https://broken.example.com/first"},
			malformed: []string{"header Date", "text/html part: illegal base64 data", "multipart: NextPart: EOF"},
		},
		{
			// A header line without a colon: nothing can be read but the
			// raw message.
			file:      "malformed-header.eml",
			malformed: []string{"not a mail message", "malformed MIME header line"},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "mail", c.file))
			if err != nil {
				t.Fatal(err)
			}
			m := journey.ParseMail(raw)
			if m.From != c.from {
				t.Errorf("From %q, want %q", m.From, c.from)
			}
			if !slices.Equal(m.To, c.to) {
				t.Errorf("To %q, want %q", m.To, c.to)
			}
			if m.Subject != c.subject {
				t.Errorf("Subject %q, want %q", m.Subject, c.subject)
			}
			if !m.Date.Equal(c.date) {
				t.Errorf("Date %v, want %v", m.Date, c.date)
			}
			for _, w := range c.text {
				if !strings.Contains(m.Text, w) {
					t.Errorf("Text lacks %q:\n%s", w, m.Text)
				}
			}
			if strings.Contains(m.Text, "\r") || strings.Contains(m.HTML, "\r") {
				t.Errorf("a decoded body keeps the wire's CR: text %q", m.Text)
			}
			for _, w := range c.noText {
				if strings.Contains(m.Text, w) || m.Contains(w) {
					t.Errorf("the decoded mail holds %q, an attachment's:\n%s", w, m.Text)
				}
			}
			for _, w := range c.html {
				if !strings.Contains(m.HTML, w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			if len(c.html) == 0 && m.HTML != "" && c.malformed == nil {
				t.Errorf("HTML %q, want none", m.HTML)
			}
			if !slices.Equal(m.Links, c.links) && (len(m.Links) != 0 || len(c.links) != 0) {
				t.Errorf("Links %q, want %q", m.Links, c.links)
			}
			if string(m.Raw) != string(raw) {
				t.Errorf("Raw is not the message as received")
			}
			switch {
			case c.malformed == nil && m.Malformed != nil:
				t.Errorf("Malformed: %v, want none", m.Malformed)
			case c.malformed != nil && m.Malformed == nil:
				t.Errorf("Malformed nil, want it to say %q", c.malformed)
			case c.malformed != nil:
				for _, w := range c.malformed {
					if !strings.Contains(m.Malformed.Error(), w) {
						t.Errorf("Malformed %q lacks %q", m.Malformed, w)
					}
				}
			}
		})
	}
}

// The Alertmanager fixture is what alert-to-email awaits: its name and
// run are in the mail, as journeys/alert_to_email.go's match asks.
func TestAlertmanagerMailNamesAlertAndRun(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "mail", "alertmanager-v0.28.1.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m := journey.ParseMail(raw)
	if !m.Contains("JourneyAlertToEmail") || !m.Contains("20261203T230000Z-a1b2c3") || m.Contains("20261203T230000Z-ffffff") {
		t.Errorf("Contains: alert name %t, run %t, another run %t; want true, true, false",
			m.Contains("JourneyAlertToEmail"), m.Contains("20261203T230000Z-a1b2c3"), m.Contains("20261203T230000Z-ffffff"))
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type %q: Alertmanager sends multipart/alternative (text and HTML)", ct)
	}
}
