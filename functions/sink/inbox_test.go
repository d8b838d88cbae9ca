package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/awslocal"
)

// TestInboxFromEnv: the inbox is wired from the construct's variables,
// both or neither, and the S3 client it makes reads SES's stored mail
// (the local S3 stand-in, no path-style option: the client the deployed
// sink makes).
func TestInboxFromEnv(t *testing.T) {
	st, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := handler.New(handler.Config{Token: "t"}, st)
	if err != nil {
		t.Fatal(err)
	}
	s := awslocal.StartS3(t)
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string // "" = built; "none" = no inbox
	}{
		{"neither", nil, "none"},
		{"domain alone", map[string]string{"JOURNEYGATE_INBOX_DOMAIN": "inbox.example.com"}, "JOURNEYGATE_INBOX_DOMAIN is set without JOURNEYGATE_INBOX_BUCKET"},
		{"bucket alone", map[string]string{"JOURNEYGATE_INBOX_BUCKET": "b"}, "JOURNEYGATE_INBOX_BUCKET is set without JOURNEYGATE_INBOX_DOMAIN"},
		{"both", map[string]string{"JOURNEYGATE_INBOX_DOMAIN": "inbox.example.com", "JOURNEYGATE_INBOX_BUCKET": "b", "JOURNEYGATE_INBOX_PREFIX": "inbox/"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in, err := inboxFromEnv(func(k string) string { return tt.env[k] }, h, s.Config())
			switch tt.want {
			case "none":
				if in != nil || err != nil {
					t.Errorf("inbox %v, err %v; want none", in, err)
				}
			case "":
				if in == nil || err != nil {
					t.Errorf("inbox %v, err %v", in, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want %q", err, tt.want)
				}
			}
		})
	}

	// The wired inbox reads the mail of events/ses-inbox.json.
	sample, err := os.ReadFile(filepath.Join("..", "..", "events", "ses-inbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SimpleEmailEvent
	if err := json.Unmarshal(sample, &ev); err != nil {
		t.Fatal(err)
	}
	rec := &ev.Records[0].SES
	rec.Receipt.Timestamp = time.Now().UTC().Truncate(time.Millisecond)
	s.CreateBucket("journeygate-reports")
	raw := []byte("From: am@example.com\r\nSubject: [FIRING:1] JourneyProbe\r\n\r\nfiring\r\n")
	if _, err := s.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("journeygate-reports"),
		Key: aws.String("inbox/" + rec.Mail.MessageID), Body: bytes.NewReader(raw)}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"JOURNEYGATE_INBOX_DOMAIN": "inbox.example.com", "JOURNEYGATE_INBOX_BUCKET": "journeygate-reports", "JOURNEYGATE_INBOX_PREFIX": "inbox/"}
	in, err := inboxFromEnv(func(k string) string { return env[k] }, h, s.Config())
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewHandler((&handler.Function{HTTP: h, Inbox: in}).Handle).Invoke(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	key, _ := journey.InboxKey(rec.Receipt.Recipients[0], "inbox.example.com")
	ds, _, err := st.Deliveries(t.Context(), key, "", 0)
	if err != nil || len(ds) != 1 || !bytes.Equal(ds[0].Body, raw) {
		t.Errorf("stored %d mails (%v), want the one SES stored", len(ds), err)
	}
}
