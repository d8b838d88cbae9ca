package sink_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/shared/journey"
)

const domain = sink.DefaultInboxDomain

// startSMTP starts a sink with its SMTP listener and returns it with the
// listener's host:port.
func startSMTP(t *testing.T, cfg sink.SMTPConfig) (*sink.Sink, string) {
	t.Helper()
	s := sink.New(sink.Config{})
	addr, err := s.ListenSMTP("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, addr
}

// sendMail sends raw from alerts@example.com to the recipients through the
// SMTP listener at addr as a mailer would (go-smtp's client), and returns
// the first SMTP error: a refused recipient, or the answer to DATA.
func sendMail(addr string, raw string, to ...string) error {
	_, err := sendMailTimed(addr, raw, to...)
	return err
}

// sendMailTimed is sendMail, returning when the client ended the DATA:
// the moment before it sent the final ".".
func sendMailTimed(addr string, raw string, to ...string) (dataEnd time.Time, err error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return time.Time{}, err
	}
	defer c.Close()
	if err := c.Hello("mailer.example.com"); err != nil {
		return time.Time{}, err
	}
	if err := c.Mail("alerts@example.com", nil); err != nil {
		return time.Time{}, err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return time.Time{}, err
		}
	}
	w, err := c.Data()
	if err != nil {
		return time.Time{}, err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return time.Time{}, err
	}
	dataEnd = time.Now()
	if err := w.Close(); err != nil {
		return dataEnd, err
	}
	return dataEnd, c.Quit()
}

// smtpCode returns the SMTP reply code of err, 0 if it is none.
func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// mailFor is a small text mail to address naming run.
func mailFor(address, run string) string {
	return fmt.Sprintf("From: alerts@example.com\r\nTo: %s\r\nSubject: [FIRING:1] DiskFull %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDiskFull fired for run %s.\r\n", address, run, run)
}

// stored returns what the sink holds under address's inbox key, waiting
// at most wait for the first of it.
func stored(t *testing.T, s *sink.Sink, address string, wait time.Duration) []journey.Delivery {
	t.Helper()
	key, ok := journey.InboxKey(address, domain)
	if !ok {
		t.Fatalf("%s is not an inbox address of %s", address, domain)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ds, _, err := s.Next(ctx, key, "")
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	return ds
}

// runInbox executes a one-step inbox journey of run's attempt on s; do
// gets its T.
func runInbox(t *testing.T, s *sink.Sink, runID string, attempt int, sla time.Duration, do func(ctx context.Context, jt *journey.T) error) journey.Result {
	t.Helper()
	j := journey.Journey{Name: "mail-arrives", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Inbox: true,
		Steps: []journey.Step{{Name: "mail delivered", SLA: sla, Do: do}}}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Fatal(err)
	}
	return journey.Execute(context.Background(), j, journey.Options{RunID: runID, Attempt: attempt, Sink: s, InboxDomain: domain})
}

// Bad input gets an SMTP answer and stores nothing: a recipient that is
// no open inbox of the listener's domain is refused 550 at RCPT, a
// message over the size bound 552 at the end of DATA, and one with a line
// over the line limit 500.
func TestSMTPRefusesBadInput(t *testing.T) {
	s, addr := startSMTP(t, sink.SMTPConfig{MaxBytes: 2048})
	open := journey.InboxAddress("run-1", "mail-arrives", 1, domain)
	s.OpenInbox(open)
	key, _ := journey.InboxKey(open, domain)

	for name, to := range map[string]string{
		"an inbox address never opened":    journey.InboxAddress("run-2", "mail-arrives", 1, domain),
		"not an inbox address":             "postmaster@" + domain,
		"the open inbox on another domain": strings.Replace(open, domain, "example.com", 1),
	} {
		t.Run(name, func(t *testing.T) {
			err := sendMail(addr, mailFor(to, "run-2"), to)
			if smtpCode(err) != 550 || !strings.Contains(err.Error(), "unknown recipient") {
				t.Errorf("RCPT %s: %v, want 550 unknown recipient", to, err)
			}
		})
	}
	if _, refused := s.Elsewhere(key); refused != 3 {
		t.Errorf("the sink counts %d refused recipients, want 3", refused)
	}

	big := mailFor(open, "run-1") + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 60)
	if err := sendMail(addr, big, open); smtpCode(err) != 552 {
		t.Errorf("a %d-byte message over the 2048-byte bound: %v, want 552", len(big), err)
	}
	// A line over go-smtp's 2000-byte limit, in a message within the
	// bound: refused for good (5xx), never 4xx, which has senders retry.
	long := mailFor(open, "run-1") + strings.Repeat("y", 2100) + "\r\n"
	if err := sendMail(addr, long, open); smtpCode(err) != 500 || !strings.Contains(err.Error(), "over 2000 bytes") {
		t.Errorf("a message with a 2100-byte line: %v, want 500 naming the limit", err)
	}
	if ds := stored(t, s, open, 200*time.Millisecond); len(ds) != 0 {
		t.Fatalf("the sink stored %d refused messages", len(ds))
	}
	// The listener still takes a message within the bound afterwards.
	if err := sendMail(addr, mailFor(open, "run-1"), open); err != nil {
		t.Fatalf("a message within the bound: %v", err)
	}
	if ds := stored(t, s, open, 5*time.Second); len(ds) != 1 {
		t.Fatalf("the sink holds %d messages, want the 1 accepted", len(ds))
	}
}

// A malformed message is accepted and stored as received: an await that
// finds no other mail times out, and its error and evidence show the raw
// message and why it could not be read, never a crash.
func TestSMTPMalformedMailIsEvidenceOfTimedOutAwait(t *testing.T) {
	s, addr := startSMTP(t, sink.SMTPConfig{})
	raw, err := os.ReadFile(filepath.Join("..", "..", "shared", "journey", "testdata", "mail", "malformed-header.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var awaitErr *journey.AwaitError
	res := runInbox(t, s, "run-1", 1, 2*time.Second, func(ctx context.Context, jt *journey.T) error {
		if err := sendMail(addr, string(raw), jt.Inbox().Address()); err != nil {
			return fmt.Errorf("sending: %w", err)
		}
		_, err := jt.Inbox().Await(ctx, "the firing alert's mail", func(journey.Mail) error { return nil })
		errors.As(err, &awaitErr)
		return err
	})
	if res.Outcome == journey.Passed || awaitErr == nil {
		t.Fatalf("outcome %s (%s), want a timed-out await", res.Outcome, res.Message)
	}
	if awaitErr.Seen != 1 || awaitErr.Mismatch == nil || !strings.Contains(awaitErr.Mismatch.Error(), "malformed message") {
		t.Errorf("await error saw %d mails, mismatch %v; want the 1 malformed message", awaitErr.Seen, awaitErr.Mismatch)
	}
	if want := "step 1/1 (mail delivered): awaiting the firing alert's mail: waited 2s, 1 mail for this inbox"; !strings.HasPrefix(res.Message, want) {
		t.Errorf("message %q does not lead with %q", res.Message, want)
	}
	var evidence []string
	for _, e := range res.Steps[0].Evidence {
		evidence = append(evidence, e.Label+": "+e.Detail)
	}
	all := strings.Join(evidence, "\n")
	for _, want := range []string{"malformed MIME header line", "this line has no colon"} {
		if !strings.Contains(all, want) {
			t.Errorf("evidence lacks %q:\n%s", want, all)
		}
	}
}

// Attribution under concurrent runs: runs on one listener each send
// their mail at once, with every other run's mail arriving alongside;
// each Await returns its own run's mail and nothing else.
func TestSMTPAttributesConcurrentRuns(t *testing.T) {
	s, addr := startSMTP(t, sink.SMTPConfig{})
	const runs = 8
	var wg sync.WaitGroup
	results := make([]journey.Result, runs)
	got := make([]string, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := fmt.Sprintf("run-%d", i)
			results[i] = runInbox(t, s, run, 1, 10*time.Second, func(ctx context.Context, jt *journey.T) error {
				if err := sendMail(addr, mailFor(jt.Inbox().Address(), run), jt.Inbox().Address()); err != nil {
					return err
				}
				m, err := jt.Inbox().Await(ctx, "any mail", func(journey.Mail) error { return nil })
				got[i] = m.Subject
				return err
			})
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Outcome != journey.Passed {
			t.Errorf("run-%d: %s: %s", i, r.Outcome, r.Message)
		}
		if want := fmt.Sprintf("[FIRING:1] DiskFull run-%d", i); got[i] != want {
			t.Errorf("run-%d's Await returned %q, want its own mail %q", i, got[i], want)
		}
	}
}

// A retry reads its own inbox: the earlier attempt's mail, sent before
// the retry started and while it waits, is never the retry's.
func TestSMTPRetryNeverSeesEarlierAttempt(t *testing.T) {
	s, addr := startSMTP(t, sink.SMTPConfig{})
	var first string
	res := runInbox(t, s, "run-1", 1, 5*time.Second, func(ctx context.Context, jt *journey.T) error {
		first = jt.Inbox().Address()
		if err := sendMail(addr, mailFor(first, "run-1"), first); err != nil {
			return err
		}
		_, err := jt.Inbox().Await(ctx, "the first attempt's mail", func(journey.Mail) error { return nil })
		return err
	})
	if res.Outcome != journey.Passed {
		t.Fatalf("attempt 1: %s: %s", res.Outcome, res.Message)
	}
	var awaitErr *journey.AwaitError
	res = runInbox(t, s, "run-1", 2, time.Second, func(ctx context.Context, jt *journey.T) error {
		if jt.Inbox().Address() == first {
			return journey.Stop(fmt.Errorf("attempt 2 has attempt 1's address %s", first))
		}
		// More mail for the earlier attempt while this one waits.
		if err := sendMail(addr, mailFor(first, "run-1"), first); err != nil {
			return err
		}
		_, err := jt.Inbox().Await(ctx, "any mail", func(journey.Mail) error { return nil })
		errors.As(err, &awaitErr)
		return err
	})
	if res.Outcome == journey.Passed || awaitErr == nil {
		t.Fatalf("attempt 2: %s (%s), want a timed-out await", res.Outcome, res.Message)
	}
	if awaitErr.Seen != 0 || awaitErr.OtherRuns != 2 {
		t.Errorf("attempt 2 saw %d mails, %d for other inboxes; want 0 and attempt 1's 2", awaitErr.Seen, awaitErr.OtherRuns)
	}
}

// Two runs on one host, each with its own listener: each inbox is open
// on its own run's listener only (550 on the other's), and each run
// reads its own mail.
func TestSMTPTwoListenersOnOneHost(t *testing.T) {
	type side struct {
		s    *sink.Sink
		addr string
	}
	var sides [2]side
	for i := range sides {
		sides[i].s, sides[i].addr = startSMTP(t, sink.SMTPConfig{})
	}
	var wg sync.WaitGroup
	var results [2]journey.Result
	var crossed [2]error
	for i := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me, other := sides[i], sides[1-i]
			run := fmt.Sprintf("run-%c", 'a'+i)
			results[i] = runInbox(t, me.s, run, 1, 10*time.Second, func(ctx context.Context, jt *journey.T) error {
				address := jt.Inbox().Address()
				// The other run's listener never opened this inbox.
				crossed[i] = sendMail(other.addr, mailFor(address, run), address)
				if err := sendMail(me.addr, mailFor(address, run), address); err != nil {
					return err
				}
				m, err := jt.Inbox().Await(ctx, "its own mail", func(journey.Mail) error { return nil })
				if err == nil && !m.Contains(run) {
					return fmt.Errorf("read %q, another run's mail", m.Subject)
				}
				return err
			})
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Outcome != journey.Passed {
			t.Errorf("run %d: %s: %s", i, r.Outcome, r.Message)
		}
		if smtpCode(crossed[i]) != 550 {
			t.Errorf("run %d's mail on the other run's listener: %v, want 550", i, crossed[i])
		}
	}
}

// A service that mails a wrong address is refused (550), and the await
// that times out for want of its mail shows the address refused, not only
// a count.
func TestSMTPRefusedRecipientIsEvidenceOfTimedOutAwait(t *testing.T) {
	s, addr := startSMTP(t, sink.SMTPConfig{})
	const wrong = "jgwrongaddress0000@" + domain
	res := runInbox(t, s, "run-1", 1, 500*time.Millisecond, func(ctx context.Context, jt *journey.T) error {
		if err := sendMail(addr, "Subject: confirmation\r\n\r\nthanks\r\n", wrong); err == nil {
			return errors.New("the wrong address was accepted")
		}
		_, err := jt.Inbox().Await(ctx, "the confirmation", func(journey.Mail) error { return nil })
		return err
	})
	if !strings.Contains(res.Message, "0 mails for this inbox (0 for other inboxes, 1 refused (unknown recipient))") {
		t.Errorf("message %q does not count the refused recipient", res.Message)
	}
	var refused string
	for _, e := range res.Steps[0].Evidence {
		if e.Label == "recipients refused (unknown)" {
			refused = e.Detail
		}
	}
	if refused != wrong {
		t.Errorf("refused recipients evidence %q, want %q (evidence %+v)", refused, wrong, res.Steps[0].Evidence)
	}
}
