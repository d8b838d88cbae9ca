package journey_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// An inbox address is derived from run, journey and attempt: each of
// the three changes it, and InboxKey maps it back to where its mail is
// stored, case-insensitively, on its own domain only.
func TestInboxAddressIsPerAttempt(t *testing.T) {
	base := journey.InboxAddress("run-1", "alert-to-email", 1, "Inbox.Example.com")
	if !strings.HasPrefix(base, "jg") || !strings.HasSuffix(base, "@inbox.example.com") {
		t.Fatalf("address %q: want jg<token>@inbox.example.com", base)
	}
	for name, other := range map[string]string{
		"another run":     journey.InboxAddress("run-2", "alert-to-email", 1, "inbox.example.com"),
		"another journey": journey.InboxAddress("run-1", "resolve-by-email", 1, "inbox.example.com"),
		"a retry":         journey.InboxAddress("run-1", "alert-to-email", 2, "inbox.example.com"),
	} {
		if other == base {
			t.Errorf("%s has the same address %s", name, base)
		}
	}
	key, ok := journey.InboxKey("<"+strings.ToUpper(base)+">", "inbox.example.com")
	local, _, _ := strings.Cut(base, "@")
	if !ok || key != journey.InboxKeyPrefix+local {
		t.Errorf("InboxKey(%q) = %q, %v; want %q", base, key, ok, journey.InboxKeyPrefix+local)
	}
	for _, bad := range []string{
		strings.Replace(base, "inbox.example.com", "example.com", 1), // another domain
		"postmaster@inbox.example.com",                               // not an inbox
		"jg0000000000000000@inbox.example.com",                       // not base32
		"jgabc@inbox.example.com",                                    // too short
		"no-at-sign",
	} {
		if key, ok := journey.InboxKey(bad, "inbox.example.com"); ok {
			t.Errorf("InboxKey(%q) = %q, true; want not an inbox address", bad, key)
		}
	}
}

// keyedSink is a SinkReader holding deliveries per key, as the sinks do;
// it records the inboxes opened on it.
type keyedSink struct {
	mu     sync.Mutex
	byKey  map[string][]journey.Delivery
	opened []string
}

func (k *keyedSink) URL(string) string { return "" }

func (k *keyedSink) OpenInbox(address string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.opened = append(k.opened, address)
}

func (k *keyedSink) Next(ctx context.Context, key, cursor string) ([]journey.Delivery, string, error) {
	k.mu.Lock()
	ds := k.byKey[key]
	k.mu.Unlock()
	if cursor == "" && len(ds) > 0 {
		return ds, "end", nil
	}
	<-ctx.Done()
	return nil, cursor, ctx.Err()
}

const alertMail = "From: Alertmanager <am@example.com>\r\nTo: someone@inbox.example.com\r\nSubject: =?UTF-8?Q?[FIRING:1]_DiskFull_=E2=80=94_db-1?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nAlert DiskFull fired for jg_run=3Drun-1: see https://am.example.com/#/alerts?x=3D1.\r\n"

// An inbox journey reads the mail stored under its attempt's key, parsed:
// the address is opened on the sink, the subject decoded, links found,
// and the evidence names sender and subject.
func TestInboxAwaitReadsItsAttemptsMail(t *testing.T) {
	const domain = "inbox.example.com"
	addr := journey.InboxAddress("run-1", "mail", 1, domain)
	key, _ := journey.InboxKey(addr, domain)
	sink := &keyedSink{byKey: map[string][]journey.Delivery{
		key: {{ID: "m1", RunID: key, ReceivedAt: time.Now(), Body: []byte(alertMail)}},
		// The same mail for another run's inbox must not be read.
		journey.InboxKeyPrefix + "jgaaaaaaaaaaaaaaaa": {{ID: "other", Body: []byte(alertMail)}},
	}}
	var got journey.Mail
	var gotAddr string
	j := valid("mail", step("await mail", 2*time.Second, func(ctx context.Context, t *journey.T) error {
		gotAddr = t.Inbox().Address()
		var err error
		got, err = t.Inbox().Await(ctx, "the DiskFull mail", func(m journey.Mail) error {
			if !m.Contains("DiskFull") {
				return journey.Failf("subject %q does not name DiskFull", m.Subject)
			}
			return nil
		})
		return err
	}))
	j.Inbox = true
	res := execute(t, context.Background(), j, journey.Options{RunID: "run-1", Sink: sink, InboxDomain: domain}, 10*time.Second)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	if gotAddr != addr || len(sink.opened) != 1 || sink.opened[0] != addr {
		t.Errorf("address %q, opened %v; want %q opened once", gotAddr, sink.opened, addr)
	}
	if got.ID != "m1" || got.Subject != "[FIRING:1] DiskFull — db-1" || got.From != "am@example.com" ||
		!strings.Contains(got.Text, "jg_run=run-1") || len(got.Links) != 1 || got.Links[0] != "https://am.example.com/#/alerts?x=1" {
		t.Errorf("mail %+v: want m1 decoded (subject, sender, quoted-printable text, one link)", got)
	}
	ev, ok := evidence(res.Steps[0], "mail")
	if !ok || !strings.Contains(ev, "from am@example.com") || !strings.Contains(ev, `subject "[FIRING:1] DiskFull — db-1"`) {
		t.Errorf("evidence %q: want sender and subject", ev)
	}
}

// Undeclared or without a domain, an inbox wait is an error at once,
// naming what is missing; the address is empty without a domain.
func TestInboxNeedsDeclarationAndDomain(t *testing.T) {
	await := func(ctx context.Context, t *journey.T) error {
		_, err := t.Inbox().Await(ctx, "a mail", func(journey.Mail) error { return nil })
		return err
	}
	for _, tc := range []struct {
		name     string
		declared bool
		domain   string
		want     string
	}{
		{"undeclared", false, "inbox.example.com", `no inbox for journey "undeclared": it does not declare Inbox: true`},
		{"no-domain", true, "", "no inbox domain for this run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := valid(tc.name, step("await", 5*time.Second, await))
			j.Inbox = tc.declared
			res := execute(t, context.Background(), j, journey.Options{Sink: &keyedSink{}, InboxDomain: tc.domain}, 10*time.Second)
			if res.Outcome != journey.Errored || !strings.Contains(res.Message, tc.want) {
				t.Errorf("outcome %s (%s), want error containing %q", res.Outcome, res.Message, tc.want)
			}
		})
	}
}

// A mail whose MIME cannot be read is not the one awaited: the wait
// times out saying so, and the evidence keeps the raw excerpt.
func TestInboxMalformedMailIsEvidence(t *testing.T) {
	const domain = "inbox.example.com"
	addr := journey.InboxAddress("run-1", "mail", 1, domain)
	key, _ := journey.InboxKey(addr, domain)
	raw := "this is not a mail header\x00\r\n\r\nbody"
	sink := &keyedSink{byKey: map[string][]journey.Delivery{key: {{ID: "bad", RunID: key, ReceivedAt: time.Now(), Body: []byte(raw)}}}}
	j := valid("mail", step("await mail", 300*time.Millisecond, func(ctx context.Context, t *journey.T) error {
		_, err := t.Inbox().Await(ctx, "the alert mail", func(journey.Mail) error { return nil })
		return err
	}))
	j.Inbox = true
	res := execute(t, context.Background(), j, journey.Options{RunID: "run-1", Sink: sink, InboxDomain: domain}, 10*time.Second)
	if res.Outcome == journey.Passed || !strings.Contains(res.Message, "awaiting the alert mail") || !strings.Contains(res.Message, "1 mail for this inbox") || !strings.Contains(res.Message, "malformed") {
		t.Errorf("outcome %s (%s): want the wait to time out naming the malformed mail", res.Outcome, res.Message)
	}
	ev, ok := evidence(res.Steps[0], "mails for this inbox (1)")
	if !ok || !strings.Contains(ev, "this is not a mail header") {
		t.Errorf("evidence %q (labels %v): want the raw excerpt", ev, labels(res.Steps[0]))
	}
}
