package main

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/functions/sink/handler"
)

// inboxFromEnv returns the sink's inbox (the mail SES's receipt rule hands
// it) from JOURNEYGATE_INBOX_DOMAIN, JOURNEYGATE_INBOX_BUCKET and
// JOURNEYGATE_INBOX_PREFIX, which the construct sets with
// Props.InboxDomain; nil when neither the domain nor the bucket is set.
// Only then is an S3 client made: a sink without an inbox builds none at
// cold start (issue 19).
func inboxFromEnv(getenv func(string) string, h *handler.Handler, awsCfg aws.Config) (*handler.Inbox, error) {
	domain, bucket := getenv("JOURNEYGATE_INBOX_DOMAIN"), getenv("JOURNEYGATE_INBOX_BUCKET")
	switch {
	case domain == "" && bucket == "":
		return nil, nil
	case domain == "":
		return nil, errors.New("JOURNEYGATE_INBOX_BUCKET is set without JOURNEYGATE_INBOX_DOMAIN: set both (the construct's InboxDomain does) or neither")
	case bucket == "":
		return nil, errors.New("JOURNEYGATE_INBOX_DOMAIN is set without JOURNEYGATE_INBOX_BUCKET, where SES stores the mail: set both (the construct's InboxDomain does) or neither")
	}
	return handler.NewInbox(h, handler.InboxConfig{Domain: domain, Bucket: bucket, Prefix: getenv("JOURNEYGATE_INBOX_PREFIX")}, s3.NewFromConfig(awsCfg))
}
