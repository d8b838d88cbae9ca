package dynamo

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// Attribute and index names of the DynamoDB table; doc.go describes the scheme.
const (
	attrPK      = "PK"
	attrSK      = "SK"
	attrKind    = "kind"
	attrGSI1PK  = "GSI1PK"
	attrGSI2PK  = "GSI2PK"
	attrGSI3PK  = "GSI3PK"
	attrGSI4PK  = "GSI4PK"
	attrGSISK   = "GSISK"
	attrExpires = "expiresAt"
	attrEnv     = "environment"
	attrVerdict = "verdict"
	attrFinish  = "finishedAt"
	// attrReported is RunRecord.ReportedAt's attribute.
	attrReported = "reportedAt"

	// IndexHistoryByEnvJourney serves History with a journey and an environment.
	IndexHistoryByEnvJourney = "GSI1"
	// IndexByEnvironment serves History and RecentRuns with only an environment.
	IndexByEnvironment = "GSI2"
	// IndexHistoryByJourney serves History with only a journey.
	IndexHistoryByJourney = "GSI3"
	// IndexAll serves History and RecentRuns without filters.
	IndexAll = "GSI4"

	kindRun      = "run"
	kindResult   = "result"
	kindDelivery = "delivery"

	skRun          = "RUN"
	skResultPrefix = "RESULT#"
	pkRunPrefix    = "RUN#"
	pkSinkPrefix   = "SINK#"
	pkHistPrefix   = "HIST#"
	pkRunsPrefix   = "RUNS#"
	pkHistAll      = "HIST"
	pkRunsAll      = "RUNS"
)

// itemKeys are the key attributes every item carries; GSI keys only where
// the item belongs to the index (sparse indexes).
type itemKeys struct {
	PK        string `json:"PK"`
	SK        string `json:"SK"`
	Kind      string `json:"kind"`
	GSI1PK    string `json:"GSI1PK,omitempty"`
	GSI2PK    string `json:"GSI2PK,omitempty"`
	GSI3PK    string `json:"GSI3PK,omitempty"`
	GSI4PK    string `json:"GSI4PK,omitempty"`
	GSISK     string `json:"GSISK,omitempty"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// runItem is a run: its RunRecord fields flattened beside the keys.
type runItem struct {
	itemKeys
	store.RunRecord
}

// resultItem is one journey result with its steps, flattened beside the keys.
type resultItem struct {
	itemKeys
	journey.Result
}

// deliveryItem is one sink delivery; a large body is stored gzipped.
type deliveryItem struct {
	itemKeys
	ID         string              `json:"id"`
	RunID      string              `json:"runId"`
	ReceivedAt time.Time           `json:"receivedAt"`
	Header     map[string][]string `json:"header,omitempty"`
	Body       []byte              `json:"body,omitempty"`
	BodyGzip   []byte              `json:"bodyGzip,omitempty"`
}

func runPK(runID string) string { return pkRunPrefix + runID }

func sinkPK(runID string) string { return pkSinkPrefix + runID }

// resultSK is unambiguous although journey names may contain '#': the
// attempt is always the last six characters.
func resultSK(journeyName string, attempt int) string {
	return skResultPrefix + journeyName + "#" + store.AttemptKey(attempt)
}

// histEnvJourneyPK prefixes the environment with its length, so no pair of
// names (which may contain '#') shares a partition with another pair.
func histEnvJourneyPK(env, journeyName string) string {
	return pkHistPrefix + strconv.Itoa(len(env)) + "#" + env + "#" + journeyName
}

func histPK(name string) string { return pkHistPrefix + name }

func runsPK(env string) string { return pkRunsPrefix + env }

func runKeys(r store.RunRecord, ttl time.Duration) itemKeys {
	return itemKeys{
		PK: runPK(r.ID), SK: skRun, Kind: kindRun,
		GSI2PK: runsPK(r.Environment), GSI4PK: pkRunsAll,
		GSISK:     store.TimeKey(r.StartedAt) + "#" + r.ID,
		ExpiresAt: store.Expiry(r.StartedAt, ttl),
	}
}

func resultKeys(r journey.Result, ttl time.Duration) itemKeys {
	return itemKeys{
		PK: runPK(r.RunID), SK: resultSK(r.Journey, r.Attempt), Kind: kindResult,
		GSI1PK: histEnvJourneyPK(r.Environment, r.Journey),
		GSI2PK: histPK(r.Environment),
		GSI3PK: histPK(r.Journey),
		GSI4PK: pkHistAll,
		GSISK:  store.TimeKey(r.StartedAt) + "#" + r.RunID + "#" + r.Journey + "#" + store.AttemptKey(r.Attempt),
		// ExpiresAt counts from the result's start, like its run's.
		ExpiresAt: store.Expiry(r.StartedAt, ttl),
	}
}

func deliveryKeys(d journey.Delivery, ttl time.Duration) itemKeys {
	return itemKeys{
		PK: sinkPK(d.RunID), SK: store.DeliveryPosition(d), Kind: kindDelivery,
		ExpiresAt: store.Expiry(d.ReceivedAt, ttl),
	}
}

func encodeOpts(o *attributevalue.EncoderOptions) {
	o.TagKey = "json"
	o.OmitEmptyTime = true
}

func decodeOpts(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

func marshalItem(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, encodeOpts)
}

func marshalValue(v any) (types.AttributeValue, error) {
	return attributevalue.MarshalWithOptions(v, encodeOpts)
}

func unmarshalItem(item map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(item, v, decodeOpts)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// kindOf returns an item's kind attribute, or "".
func kindOf(item map[string]types.AttributeValue) string {
	if s, ok := item[attrKind].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
