package costmodel

import "math"

// Amazon SES email receiving, and the S3 requests of the inbox's cloud
// path (issue 18): public us-east-1 prices, checked in December 2026.
const (
	// SESInboundEmail is $0.10 per 1,000 emails received:
	// https://aws.amazon.com/ses/pricing/.
	SESInboundEmail = 0.10 / 1000
	// SESInboundChunk is $0.09 per 1,000 incoming mail chunks (same page).
	SESInboundChunk = 0.09 / 1000
	// SESInboundChunkBytes is an incoming mail chunk: each started 256 KB
	// of a received message (same page).
	SESInboundChunkBytes = 256 << 10
	// S3Get is $0.0004 per 1,000 S3 Standard GET requests: the sink's read
	// of the message SES stored: https://aws.amazon.com/s3/pricing/.
	S3Get = 0.0004 / 1000
)

// deliveryOverhead is what a stored mail's delivery item is assumed to
// hold beyond its body: its keys, inbox key, ID, time and expiry.
const deliveryOverhead = 300

// ReceivedMail is one message SES receives for the inbox domain.
type ReceivedMail struct {
	// Bytes is the raw message's size.
	Bytes int
	// Recipients is how many inbox addresses of the domain it is for:
	// the sink stores a delivery for each (0 counts as 1).
	Recipients int
	// DeliveryBytes is one stored delivery item's size; 0 means Bytes and
	// the item's keys (a message over the store's bound is stored as its
	// headers, and is smaller).
	DeliveryBytes int
}

// Inbox is what one received message costs on the cloud path: SES's
// charge per email and per started 256 KB chunk and the S3 action's PUT
// (Other, with the sink's GET of the message), the sink's one invocation
// (a request and SinkDuration at Memory.Sink) with its platform log, and
// one PutItem per recipient. Storing the object for its one day before it
// expires costs a fraction of a cent per GB and is left out.
func (m Model) Inbox(r ReceivedMail) Cost {
	recipients := max(r.Recipients, 1)
	item := r.DeliveryBytes
	if item == 0 {
		item = r.Bytes + deliveryOverhead
	}
	chunks := math.Max(1, math.Ceil(float64(r.Bytes)/SESInboundChunkBytes))
	return Cost{
		Lambda:   LambdaRequest + lambdaCompute(m.Memory.Sink, m.SinkDuration),
		DynamoDB: float64(recipients*WritesPerDelivery) * writeUnits(item) * DynamoWRU,
		Logs:     logCost(m.PlatformLogBytes),
		Other:    SESInboundEmail + chunks*SESInboundChunk + S3Put + S3Get,
	}
}
