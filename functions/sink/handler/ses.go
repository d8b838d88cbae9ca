package handler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/emersion/go-message/textproto"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// DefaultInboxPrefix is where in the bucket the receipt rule's S3 action
// stores a message: PREFIX + the SES message ID.
const DefaultInboxPrefix = "inbox/"

// TruncatedHeader marks a stored mail whose body was left out because the
// message is larger than the store keeps; its value says how large it was
// and where the raw message is.
const TruncatedHeader = "X-Journeygate-Truncated"

// maxKeptHeader bounds the header section kept of a message too large to
// store whole.
const maxKeptHeader = 64 << 10

// ObjectGetter reads an object: the S3 client's GetObject.
type ObjectGetter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// InboxConfig says which mail SES hands the sink, and where SES's S3
// action stored it.
type InboxConfig struct {
	// Domain is the inbox domain (the construct's InboxDomain); mail for
	// other recipients is logged and skipped.
	Domain string
	// Bucket holds the raw messages; Prefix (default DefaultInboxPrefix)
	// starts their keys, PREFIX + message ID.
	Bucket, Prefix string
}

// Inbox is the SES half of the sink: it stores the mail SES receives for
// the inbox domain, through the Handler's store and logger.
type Inbox struct {
	h       *Handler
	cfg     InboxConfig
	objects ObjectGetter
}

// NewInbox returns the inbox of the sink h, reading each message from
// objects.
func NewInbox(h *Handler, cfg InboxConfig, objects ObjectGetter) (*Inbox, error) {
	var errs []error
	if h == nil {
		errs = append(errs, errors.New("no sink handler"))
	}
	if cfg.Domain == "" {
		errs = append(errs, errors.New("no inbox domain"))
	}
	if cfg.Bucket == "" {
		errs = append(errs, errors.New("no bucket of raw messages"))
	}
	if objects == nil {
		errs = append(errs, errors.New("no S3 client to read them"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sink inbox: %w", err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultInboxPrefix
	}
	return &Inbox{h: h, cfg: cfg, objects: objects}, nil
}

// Function is the sink Lambda's handler: the function URL's requests go
// to HTTP, the receipt rule's SES events to Inbox (nil: the stack has no
// inbox domain, and an SES event is refused with an error).
type Function struct {
	HTTP  *Handler
	Inbox *Inbox
}

// Handle serves one invocation, telling the two apart by the event's
// shape: an SES event is {"Records": [...]} of eventSource "aws:ses", a
// function URL request has no Records.
func (f *Function) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("sink event is not a JSON object: %w", err)
	}
	if len(probe.Records) == 0 {
		var req events.LambdaFunctionURLRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, fmt.Errorf("sink event is neither SES records nor a function URL request: %w", err)
		}
		return f.HTTP.Handle(ctx, req)
	}
	for i, r := range probe.Records {
		if r.EventSource != "aws:ses" {
			return nil, fmt.Errorf("record %d of %d has event source %q: the sink takes function URL requests and SES (aws:ses) records only", i+1, len(probe.Records), r.EventSource)
		}
	}
	var ev events.SimpleEmailEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("SES event: %w", err)
	}
	if f.Inbox == nil {
		return nil, errors.New("SES event, but this sink has no inbox (the construct's InboxDomain; JOURNEYGATE_INBOX_DOMAIN and JOURNEYGATE_INBOX_BUCKET): it stores no mail")
	}
	return f.Inbox.HandleSES(ctx, ev)
}

// validMessageID reports whether id is an SES message ID, 1-128 of
// A-Z a-z 0-9 -: it names the S3 object and the delivery, so nothing else
// (no slash, no dot segments) is taken. A loop, not a regexp:
// ^[A-Za-z0-9-]{1,128}$ compiles to 128 copies of the class, and compiling
// it as a package variable cost every cold start of the sink about a
// millisecond (issue 19; as dynamo's validTableName).
func validMessageID(id string) bool {
	if len(id) < 1 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		default:
			return false
		}
	}
	return true
}

// HandleSES stores each received message once per inbox recipient, as a
// delivery under the recipient's inbox key (journey.InboxKey), where the
// journey's T.Inbox reads it. SES's Lambda action carries the message's
// metadata, not its body: the body is the object the rule's S3 action
// stored before, PREFIX + message ID (or the object an S3 action record
// names). The delivery's ID is the message ID and its ReceivedAt SES's
// receipt time, so a redelivered event (SES and Lambda both retry) stores
// nothing new. Recipients outside the inbox domain's inbox addresses are
// logged and skipped. An unreadable object or a store failure is an error,
// so Lambda retries the event.
//
// A message larger than the store keeps (store.MaxDeliveryBody, or more
// than a store item holds gzipped) is stored as its header fields with a
// text/plain note instead of its body, marked with TruncatedHeader naming
// its size and its object: its sender, recipients and subject can still be
// awaited, and the raw message read from the bucket until it expires.
func (in *Inbox) HandleSES(ctx context.Context, ev events.SimpleEmailEvent) (events.SimpleEmailDisposition, error) {
	cont := events.SimpleEmailDisposition{Disposition: events.SimpleEmailContinue}
	var errs []error
	for i, rec := range ev.Records {
		if err := in.storeMail(ctx, rec.SES); err != nil {
			errs = append(errs, fmt.Errorf("record %d of %d: %w", i+1, len(ev.Records), err))
		}
	}
	return cont, errors.Join(errs...)
}

// storeMail stores one received message for its inbox recipients.
func (in *Inbox) storeMail(ctx context.Context, m events.SimpleEmailService) error {
	h := in.h
	id := m.Mail.MessageID
	if !validMessageID(id) {
		return fmt.Errorf("SES message ID %q is not one: want 1-128 letters, digits and -", id)
	}
	log := h.log.With("mail", id)
	recipients := m.Receipt.Recipients
	if len(recipients) == 0 {
		recipients = m.Mail.Destination
	}
	var keys []string
	for _, r := range recipients {
		key, ok := journey.InboxKey(r, in.cfg.Domain)
		if !ok {
			log.Info("recipient is not an inbox address; not stored for it", "recipient", r, "domain", in.cfg.Domain)
			continue
		}
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		log.Info("mail for no inbox address; not stored", "recipients", len(recipients))
		return nil
	}
	bucket, key := in.cfg.Bucket, in.cfg.Prefix+id
	if a := m.Receipt.Action; a.Type == "S3" && a.BucketName != "" && a.ObjectKey != "" {
		bucket, key = a.BucketName, a.ObjectKey
	}
	body, size, err := in.read(ctx, bucket, key)
	if err != nil {
		return fmt.Errorf("mail %s: %w", id, err)
	}
	received := m.Receipt.Timestamp
	if received.IsZero() {
		received = m.Mail.Timestamp
	}
	if received.IsZero() {
		return fmt.Errorf("mail %s: the SES event has no receipt or mail timestamp", id)
	}
	truncated := size > store.MaxDeliveryBody
	if truncated {
		body = truncatedMail(body, size, bucket, key)
	}
	var errs []error
	for _, k := range keys {
		// One message, one ID: each recipient's copy is under its own
		// inbox key, so the ID need not tell them apart.
		d := journey.Delivery{ID: id, RunID: k, ReceivedAt: received.UTC(), Body: body}
		cut := truncated
		err := h.w.PutDelivery(ctx, d)
		if errors.Is(err, store.ErrTooLarge) && !cut {
			// Over the item even gzipped: keep the headers and the note.
			d.Body, cut = truncatedMail(body, size, bucket, key), true
			err = h.w.PutDelivery(ctx, d)
		}
		switch {
		case err == nil:
			log.Info("mail stored", "inbox", k, "bytes", size, "truncated", cut)
		case errors.Is(err, store.ErrExists):
			log.Info("mail already stored (a redelivery)", "inbox", k)
		default:
			errs = append(errs, fmt.Errorf("mail %s for %s not stored: %w", id, k, err))
		}
	}
	return errors.Join(errs...)
}

// read returns the object's first store.MaxDeliveryBody+1 bytes and its
// size.
func (in *Inbox) read(ctx context.Context, bucket, key string) ([]byte, int64, error) {
	out, err := in.objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, 0, fmt.Errorf("reading the raw message s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, store.MaxDeliveryBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading the raw message s3://%s/%s: %w", bucket, key, err)
	}
	size := int64(len(body))
	if n := aws.ToInt64(out.ContentLength); n > size {
		size = n
	}
	return body, size, nil
}

// truncatedMail is the stored form of a message too large to store: its
// header fields (those of head, the message's start, up to
// maxKeptHeader), a text/plain body saying what was left out, and
// TruncatedHeader.
func truncatedMail(head []byte, size int64, bucket, key string) []byte {
	where := "s3://" + bucket + "/" + key
	hdr := textproto.Header{}
	if end := headerEnd(head); end > 0 && end <= maxKeptHeader {
		if h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(head[:end]))); err == nil {
			hdr = h
		}
	}
	for _, f := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", TruncatedHeader} {
		hdr.Del(f)
	}
	hdr.Set("MIME-Version", "1.0")
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set(TruncatedHeader, fmt.Sprintf("%d bytes; raw message at %s", size, where))
	var b bytes.Buffer
	_ = textproto.WriteHeader(&b, hdr)
	fmt.Fprintf(&b, "journeygate: this message is %d bytes, over the %d the store keeps, so only its header fields are stored.\r\n"+
		"The raw message is %s until the bucket's lifecycle rule expires it.\r\n", size, store.MaxDeliveryBody, where)
	return b.Bytes()
}

// headerEnd returns the length of the header section of a message,
// its blank line included, or 0 when head holds no complete one.
func headerEnd(head []byte) int {
	crlf, lf := bytes.Index(head, []byte("\r\n\r\n")), bytes.Index(head, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf < lf):
		return crlf + 4
	case lf >= 0:
		return lf + 2
	}
	return 0
}
