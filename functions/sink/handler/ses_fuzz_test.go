package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	sinkfn "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/fuzzcheck"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// objects is a bucket in memory, the S3 client's GetObject over it.
type objects map[string][]byte

func (o objects) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b, ok := o[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, &s3types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ContentLength: aws.Int64(int64(len(b)))}, nil
}

// FuzzSES feeds SES receipt events to the sink Lambda: a message is stored
// only for inbox addresses of the domain, once per inbox, under its inbox
// key with its message ID and its body as SES stored it; anything the
// sink cannot store is an error of clear lines (so Lambda retries), never
// a panic.
func FuzzSES(f *testing.F) {
	sample := fuzzcheck.Sample(f, "events/ses-inbox.json")
	var ev events.SimpleEmailEvent
	if err := json.Unmarshal(sample, &ev); err != nil {
		f.Fatal(err)
	}
	rec := ev.Records[0].SES
	f.Add(rec.Mail.MessageID, strings.Join(rec.Receipt.Recipients, ","), []byte("Subject: hi\r\n\r\nbody\r\n"), true)
	f.Add("a/../b", "JGDDTXG2C6N3Y5GKPO@Inbox.Example.com,jgddtxg2c6n3y5gkpo@inbox.example.com", []byte("x"), true)
	f.Add("m-1", "<jgddtxg2c6n3y5gkpo@inbox.example.com>,jg@inbox.example.com,,@", []byte{}, false)
	f.Add("", "", []byte(nil), true)
	f.Fuzz(func(t *testing.T, id, recipients string, body []byte, stored bool) {
		w := &validatingRecorder{}
		h, err := sinkfn.New(sinkfn.Config{Token: "t"}, w)
		if err != nil {
			t.Fatal(err)
		}
		bucket := objects{}
		if stored {
			bucket["b/inbox/"+id] = body
		}
		in, err := sinkfn.NewInbox(h, sinkfn.InboxConfig{Domain: "inbox.example.com", Bucket: "b"}, bucket)
		if err != nil {
			t.Fatal(err)
		}
		e := ev
		e.Records = []events.SimpleEmailRecord{ev.Records[0]}
		r := &e.Records[0].SES
		r.Mail.MessageID = id
		r.Receipt.Recipients = strings.Split(recipients, ",")
		payload, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		_, err = lambda.NewHandler((&sinkfn.Function{HTTP: h, Inbox: in}).Handle).Invoke(context.Background(), payload)
		want := map[string]bool{}
		for _, a := range r.Receipt.Recipients {
			if key, ok := journey.InboxKey(a, "inbox.example.com"); ok {
				want[key] = true
			}
		}
		if err != nil {
			fuzzcheck.Lines(t, err, id, recipients)
			if len(w.got) != 0 {
				t.Fatalf("an event answered with an error stored %d mails", len(w.got))
			}
			if len(want) > 0 && stored && len(body) <= store.MaxDeliveryBody && store.ValidateDelivery(journey.Delivery{ID: id, RunID: "inbox/x", ReceivedAt: r.Receipt.Timestamp}) == nil &&
				!strings.Contains(err.Error(), "SES message ID") {
				t.Fatalf("a readable message for %d inboxes was refused: %v", len(want), err)
			}
			return
		}
		if len(w.got) != len(want) {
			t.Fatalf("stored %d mails for recipients %q, want %d (one per inbox)", len(w.got), recipients, len(want))
		}
		for _, d := range w.got {
			if !want[d.RunID] || d.ID != id || !d.ReceivedAt.Equal(r.Receipt.Timestamp) {
				t.Fatalf("stored %s/%s at %s; want one of %v, ID %q", d.RunID, d.ID, d.ReceivedAt, want, id)
			}
			if len(body) <= store.MaxDeliveryBody && !bytes.Equal(d.Body, body) {
				t.Fatalf("stored a body of %d bytes, SES stored %d", len(d.Body), len(body))
			}
		}
	})
}
