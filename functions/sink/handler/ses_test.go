package handler_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	sinkfn "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/test/awslocal"
	"github.com/journeygate/journeygate/test/dynalite"
)

// The SES-to-store path as deployed: SES's S3 action has put the raw
// message in the bucket (here the local S3 stand-in, over S3's protocol),
// its Lambda action invokes the sink with events/ses-inbox.json's shape
// (through lambda.NewHandler(Function.Handle).Invoke), the sink stores the
// mail in DynamoDB (here dynalite), and a journey's T.Inbox awaits it
// through the store's SinkReader, as the runner Lambda reads it.

const (
	sesDomain = "inbox.example.com"
	sesBucket = "journeygate-staging-reports"
	// sesRun is the run whose inbox events/ses-inbox.json is addressed to.
	sesRun = "20260115T100000Z-ses1"
	// sesOtherRun's inbox gets a mail of its own.
	sesOtherRun = "20260115T100000Z-ses2"
)

// sesPoll keeps the waits quick; the wait bounds are the steps' SLAs.
var sesPoll = poll.Backoff{First: 2 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}

// alertMail is an Alertmanager-shaped multipart/alternative message: a
// quoted-printable ISO-8859-1 text part and a base64 HTML part with a
// link, as the email receiver sends them.
func alertMail(to, subject, run string) []byte {
	html := `<html><body><p>Alert <b>JourneyProbe</b> firing for jg_run=` + run +
		`</p><a href="https://alertmanager.example.com/#/alerts?receiver=email">View in Alertmanager</a></body></html>`
	var b64 bytes.Buffer
	s := base64Std([]byte(html))
	for len(s) > 76 {
		b64.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b64.WriteString(s + "\r\n")
	return []byte(strings.ReplaceAll(`Return-Path: <alertmanager@alerts.example.com>
Received: from a1-2.smtp-out.eu-west-1.amazonses.com (a1-2.smtp-out.eu-west-1.amazonses.com [54.240.1.2])
 by inbound-smtp.eu-west-1.amazonaws.com with SMTP id o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g81
 for `+to+`; Thu, 15 Jan 2026 10:00:05 +0000 (UTC)
From: Alertmanager <alertmanager@alerts.example.com>
To: `+to+`
Subject: `+subject+`
Message-Id: <1736935205.42@alerts.example.com>
Date: Thu, 15 Jan 2026 10:00:05 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Alert JourneyProbe firing =E2 r=E9sum=E9 for jg_run=3D`+run+`
Source: https://alertmanager.example.com/#/alerts?receiver=3Demail
--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

`+b64.String()+`--b1--
`, "\n", "\r\n"))
}

// sesWorld is the stand-ins and the sink Lambda's handler over them.
type sesWorld struct {
	s3     *awslocal.S3
	st     *dynamo.Store
	lambda lambda.Handler
}

func newSESWorld(t *testing.T) *sesWorld {
	t.Helper()
	client := dynalite.Start(t).Client()
	const table = "journeygate-ses"
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table)
	s := awslocal.StartS3(t)
	s.CreateBucket(sesBucket)
	h, err := sinkfn.New(sinkfn.Config{Token: token}, st)
	if err != nil {
		t.Fatal(err)
	}
	in, err := sinkfn.NewInbox(h, sinkfn.InboxConfig{Domain: sesDomain, Bucket: sesBucket}, s.Client())
	if err != nil {
		t.Fatal(err)
	}
	f := &sinkfn.Function{HTTP: h, Inbox: in}
	return &sesWorld{s3: s, st: st, lambda: lambda.NewHandler(f.Handle)}
}

// put stores a raw message as SES's S3 action does: PREFIX + message ID.
func (w *sesWorld) put(t *testing.T, messageID string, raw []byte) {
	t.Helper()
	if _, err := w.s3.Client().PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(sesBucket), Key: aws.String(sinkfn.DefaultInboxPrefix + messageID), Body: bytes.NewReader(raw),
	}); err != nil {
		t.Fatal(err)
	}
}

// invoke hands the SES event to the sink as Lambda does.
func (w *sesWorld) invoke(ev events.SimpleEmailEvent) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = w.lambda.Invoke(context.Background(), payload)
	return err
}

// mails returns what the store holds under an inbox key.
func (w *sesWorld) mails(t *testing.T, key string) []journey.Delivery {
	t.Helper()
	ds, _, err := w.st.Deliveries(t.Context(), key, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func sampleSESEvent(t *testing.T) events.SimpleEmailEvent {
	ev := readEvent[events.SimpleEmailEvent](t, "ses-inbox.json")
	// Received now: the store's delivery TTL would expire the sample's
	// date.
	now := time.Now().UTC().Truncate(time.Millisecond)
	ev.Records[0].SES.Mail.Timestamp, ev.Records[0].SES.Receipt.Timestamp = now, now
	return ev
}

// sesEvent is the sample with another message ID and recipients.
func sesEvent(t *testing.T, messageID string, recipients ...string) events.SimpleEmailEvent {
	ev := sampleSESEvent(t)
	ev.Records[0].SES.Mail.MessageID = messageID
	ev.Records[0].SES.Mail.Destination = recipients
	ev.Records[0].SES.Receipt.Recipients = recipients
	return ev
}

func inboxKey(t *testing.T, address string) string {
	t.Helper()
	key, ok := journey.InboxKey(address, sesDomain)
	if !ok {
		t.Fatalf("%s is not an inbox address of %s", address, sesDomain)
	}
	return key
}

// awaitMail runs a one-step journey of run reading its inbox through the
// store, as the runner Lambda does.
func (w *sesWorld) awaitMail(t *testing.T, run string, do func(ctx context.Context, in *journey.Inbox) error) journey.Result {
	t.Helper()
	j := journey.Journey{Name: "alert-to-email", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Inbox: true,
		Steps: []journey.Step{{Name: "mail", SLA: 10 * time.Second, Do: func(ctx context.Context, jt *journey.T) error { return do(ctx, jt.Inbox()) }}}}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Fatal(err)
	}
	return journey.Execute(t.Context(), j, journey.Options{
		RunID: run, Attempt: 1, InboxDomain: sesDomain, Poll: sesPoll,
		Sink: store.NewSinkReader(w.st, nil, sesPoll),
	})
}

func TestSESToStore(t *testing.T) {
	w := newSESWorld(t)
	sample := sampleSESEvent(t)
	rec := sample.Records[0].SES
	addr := journey.InboxAddress(sesRun, "alert-to-email", 1, sesDomain)
	if rec.Receipt.Recipients[0] != addr {
		t.Fatalf("events/ses-inbox.json is addressed to %s; the inbox of run %s is %s", rec.Receipt.Recipients[0], sesRun, addr)
	}
	otherAddr := journey.InboxAddress(sesOtherRun, "alert-to-email", 1, sesDomain)
	w.put(t, rec.Mail.MessageID, alertMail(addr+", postmaster@"+sesDomain, "[FIRING:1] JourneyProbe (jg_run="+sesRun+")", sesRun))
	w.put(t, "othermessage0001", alertMail(otherAddr, "[FIRING:1] JourneyProbe (jg_run="+sesOtherRun+")", sesOtherRun))

	t.Run("a journey awaits the mail SES received for its inbox", func(t *testing.T) {
		var got journey.Mail
		res := w.awaitMail(t, sesRun, func(ctx context.Context, in *journey.Inbox) error {
			if in.Address() != addr {
				return fmt.Errorf("inbox address %s, want %s", in.Address(), addr)
			}
			// SES hands the mail over while the step waits.
			go func() {
				if err := w.invoke(sample); err != nil {
					t.Errorf("invoke: %v", err)
				}
			}()
			var err error
			got, err = in.Await(ctx, "the firing alert", func(m journey.Mail) error {
				if !strings.Contains(m.Subject, sesRun) {
					return errors.New("not this run's alert")
				}
				return nil
			})
			return err
		})
		if res.Outcome != journey.Passed {
			t.Fatalf("journey %s: %s", res.Outcome, res.Message)
		}
		if got.ID != rec.Mail.MessageID || !got.ReceivedAt.Equal(rec.Receipt.Timestamp) {
			t.Errorf("mail %s received %s, want %s received %s", got.ID, got.ReceivedAt, rec.Mail.MessageID, rec.Receipt.Timestamp)
		}
		if got.From != "alertmanager@alerts.example.com" || !strings.Contains(got.Text, "â résumé for jg_run="+sesRun) ||
			!strings.Contains(got.HTML, "<b>JourneyProbe</b>") || len(got.Links) == 0 ||
			got.Links[0] != "https://alertmanager.example.com/#/alerts?receiver=email" || got.Malformed != nil {
			t.Errorf("parsed mail: from %q, text %q, html %q, links %v, malformed %v", got.From, got.Text, got.HTML, got.Links, got.Malformed)
		}
	})

	t.Run("a redelivered event stores the mail once", func(t *testing.T) {
		for range 2 {
			if err := w.invoke(sample); err != nil {
				t.Fatal(err)
			}
		}
		if ds := w.mails(t, inboxKey(t, addr)); len(ds) != 1 {
			t.Errorf("%d mails stored for %s, want 1", len(ds), addr)
		}
	})

	t.Run("another inbox's mail does not leak", func(t *testing.T) {
		if err := w.invoke(sesEvent(t, "othermessage0001", otherAddr)); err != nil {
			t.Fatal(err)
		}
		res := w.awaitMail(t, sesRun, func(ctx context.Context, in *journey.Inbox) error {
			return in.Never(ctx, 300*time.Millisecond, "the other run's alert", func(m journey.Mail) error {
				if !strings.Contains(m.Subject, sesOtherRun) {
					return errors.New("not the other run's")
				}
				return nil
			})
		})
		if res.Outcome != journey.Passed {
			t.Errorf("run %s saw run %s's mail: %s", sesRun, sesOtherRun, res.Message)
		}
		var got journey.Mail
		res = w.awaitMail(t, sesOtherRun, func(ctx context.Context, in *journey.Inbox) error {
			var err error
			got, err = in.Await(ctx, "its alert", func(journey.Mail) error { return nil })
			return err
		})
		if res.Outcome != journey.Passed || got.ID != "othermessage0001" || !strings.Contains(got.Subject, sesOtherRun) {
			t.Errorf("run %s: %s %s, mail %s %q", sesOtherRun, res.Outcome, res.Message, got.ID, got.Subject)
		}
		if ds := w.mails(t, inboxKey(t, addr)); len(ds) != 1 || ds[0].ID != rec.Mail.MessageID {
			t.Errorf("run %s's inbox holds %d mails, want its own one", sesRun, len(ds))
		}
	})

	t.Run("mail for no inbox address is not stored, nor read", func(t *testing.T) {
		before := len(w.s3.Requests())
		if err := w.invoke(sesEvent(t, "nobodysmessage01", "postmaster@"+sesDomain, addr[:len(addr)-len(sesDomain)]+"elsewhere.example.com")); err != nil {
			t.Fatalf("a mail for no inbox is skipped, not an error: %v", err)
		}
		if n := len(w.s3.Requests()) - before; n != 0 {
			t.Errorf("%d S3 requests for a mail to no inbox, want none", n)
		}
	})

	t.Run("an unreadable message is an error, so Lambda retries", func(t *testing.T) {
		err := w.invoke(sesEvent(t, "notinthebucket01", addr))
		if err == nil || !strings.Contains(err.Error(), "notinthebucket01") || !strings.Contains(err.Error(), "NoSuchKey") {
			t.Errorf("err = %v, want the message ID and NoSuchKey", err)
		}
		w.put(t, "accessdenied0001", alertMail(addr, "denied", sesRun))
		w.s3.FailNext(1, "AccessDenied", "Access Denied")
		if err := w.invoke(sesEvent(t, "accessdenied0001", addr)); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("err = %v, want AccessDenied", err)
		}
		for _, d := range w.mails(t, inboxKey(t, addr)) {
			if d.ID == "notinthebucket01" || d.ID == "accessdenied0001" {
				t.Errorf("mail %s stored without its body", d.ID)
			}
		}
	})

	t.Run("a message larger than the store keeps is stored as its headers and a note", func(t *testing.T) {
		big := alertMail(addr, "[FIRING:1] big attachment (jg_run="+sesRun+")", sesRun)
		big = append(big[:len(big)-len("--b1--\r\n")], []byte("--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
			strings.Repeat(base64Std(bytes.Repeat([]byte{0xA5, 0x3C, 0x7E}, 19))+"\r\n", 2*store.MaxDeliveryBody/78)+"--b1--\r\n")...)
		w.put(t, "bigmessage000001", big)
		if err := w.invoke(sesEvent(t, "bigmessage000001", addr)); err != nil {
			t.Fatal(err)
		}
		var got journey.Mail
		res := w.awaitMail(t, sesRun, func(ctx context.Context, in *journey.Inbox) error {
			var err error
			got, err = in.Await(ctx, "the big one", func(m journey.Mail) error {
				if !strings.Contains(m.Subject, "big attachment") {
					return errors.New("not the big one")
				}
				return nil
			})
			return err
		})
		where := fmt.Sprintf("s3://%s/inbox/bigmessage000001", sesBucket)
		if res.Outcome != journey.Passed || got.From != "alertmanager@alerts.example.com" ||
			got.Header.Get(sinkfn.TruncatedHeader) != fmt.Sprintf("%d bytes; raw message at %s", len(big), where) ||
			!strings.Contains(got.Text, where) || len(got.Raw) > 8<<10 {
			t.Errorf("%s %s: header %q, text %q, %d bytes stored", res.Outcome, res.Message, got.Header.Get(sinkfn.TruncatedHeader), got.Text, len(got.Raw))
		}
	})
}

// TestSESMailOverTheItem: a message under the store's byte bound whose
// item would not fit even gzipped (incompressible attachments) is stored
// as its headers and the note too, not refused.
func TestSESMailOverTheItem(t *testing.T) {
	w := newSESWorld(t)
	addr := journey.InboxAddress(sesRun, "alert-to-email", 1, sesDomain)
	noise := make([]byte, 600<<10)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	mail := alertMail(addr, "[FIRING:1] random attachment", sesRun)
	mail = append(mail[:len(mail)-len("--b1--\r\n")], []byte("--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
		base64Std(noise)+"\r\n--b1--\r\n")...)
	if len(mail) > store.MaxDeliveryBody {
		t.Fatalf("the message is %d bytes, over the store's bound: this test is of the item limit", len(mail))
	}
	w.put(t, "randommessage001", mail)
	if err := w.invoke(sesEvent(t, "randommessage001", addr)); err != nil {
		t.Fatal(err)
	}
	ds := w.mails(t, inboxKey(t, addr))
	if len(ds) != 1 {
		t.Fatalf("%d mails stored, want 1", len(ds))
	}
	m := journey.ParseMail(ds[0].Body)
	if m.Subject != "[FIRING:1] random attachment" || !strings.HasPrefix(m.Header.Get(sinkfn.TruncatedHeader), fmt.Sprintf("%d bytes;", len(mail))) {
		t.Errorf("stored subject %q, %s %q", m.Subject, sinkfn.TruncatedHeader, m.Header.Get(sinkfn.TruncatedHeader))
	}
}

// TestHandleEventDispatch: the one function serves both event shapes, and
// refuses what is neither.
func TestHandleEventDispatch(t *testing.T) {
	rec := &recorder{}
	h, err := sinkfn.New(sinkfn.Config{Token: token}, rec)
	if err != nil {
		t.Fatal(err)
	}
	lh := lambda.NewHandler((&sinkfn.Function{HTTP: h}).Handle)
	payload, err := json.Marshal(sampleEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := lh.Invoke(context.Background(), payload)
	var resp events.LambdaFunctionURLResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != 204 || len(rec.got) != 1 {
		t.Errorf("function URL request: %v, %s, %d stored", err, out, len(rec.got))
	}
	ses, err := json.Marshal(sampleSESEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, payload, want string
	}{
		{"SES without an inbox", string(ses), "this sink has no inbox"},
		{"another event source", `{"Records":[{"eventSource":"aws:sqs"}]}`, `event source "aws:sqs"`},
		{"not an object", `[1]`, "not a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := lh.Invoke(context.Background(), []byte(tt.payload)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if len(rec.got) != 1 {
		t.Errorf("%d stored, want the function URL delivery only", len(rec.got))
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestNewInboxSaysWhatIsMissing(t *testing.T) {
	_, err := sinkfn.NewInbox(nil, sinkfn.InboxConfig{}, nil)
	for _, want := range []string{"no sink handler", "no inbox domain", "no bucket", "no S3 client"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
