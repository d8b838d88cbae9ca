package dynamo

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// MaxItemBytes is DynamoDB's item size limit.
const MaxItemBytes = 400 * 1024

// itemBudget is what the store lets an item grow to: itemSize over-estimates
// numbers slightly, and the margin keeps a bounded item clear of the limit.
const itemBudget = 350 * 1024

// verdictBudget bounds a verdict, which is added to a run item of a few KB.
const verdictBudget = 200 * 1024

// textCaps are the successive per-field caps tried when a record is too
// large: each pass truncates every free-text field longer than the cap.
var textCaps = []int{64 << 10, 16 << 10, 4 << 10, 1 << 10, 256, 64}

// itemSize estimates an item's size as DynamoDB counts it (names plus
// values; an upper bound for numbers).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value) + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += len(s) + 1
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// truncateText keeps at most limit bytes of s (whole runes) and says so.
func truncateText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	keep := limit
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + fmt.Sprintf(" … [truncated by the journeygate store: %d of %d bytes kept]", keep, len(s))
}

// truncateResult returns a copy of r whose evidence, messages and cleanup
// errors are cut to limit bytes each; r is not modified.
func truncateResult(r journey.Result, limit int) journey.Result {
	r.Message = truncateText(r.Message, limit)
	steps := make([]journey.StepResult, len(r.Steps))
	for i, s := range r.Steps {
		s.Message = truncateText(s.Message, limit)
		if s.Evidence != nil {
			ev := make([]journey.Evidence, len(s.Evidence))
			for j, e := range s.Evidence {
				e.Label = truncateText(e.Label, limit)
				e.Detail = truncateText(e.Detail, limit)
				ev[j] = e
			}
			s.Evidence = ev
		}
		steps[i] = s
	}
	if r.Steps != nil {
		r.Steps = steps
	}
	if r.Cleanup != nil {
		cleanup := make([]journey.CleanupResult, len(r.Cleanup))
		for i, c := range r.Cleanup {
			c.Error = truncateText(c.Error, limit)
			cleanup[i] = c
		}
		r.Cleanup = cleanup
	}
	return r
}

// boundedResultItem marshals the result item, truncating free text with a
// note until it fits itemBudget. Real results fit at once: evidence is
// already an excerpt.
func boundedResultItem(k itemKeys, r journey.Result) (map[string]types.AttributeValue, error) {
	item, err := marshalItem(resultItem{itemKeys: k, Result: r})
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	size := itemSize(item)
	for _, limit := range textCaps {
		if size <= itemBudget {
			return item, nil
		}
		if item, err = marshalItem(resultItem{itemKeys: k, Result: truncateResult(r, limit)}); err != nil {
			return nil, fmt.Errorf("encode result: %w", err)
		}
		size = itemSize(item)
	}
	if size <= itemBudget {
		return item, nil
	}
	return nil, store.Invalidf("Result", "is %d bytes with every text cut to %d bytes, over the item budget of %d (too many steps)", size, textCaps[len(textCaps)-1], itemBudget)
}

// truncateVerdict returns a copy of v whose summary and messages are cut to limit bytes.
func truncateVerdict(v gate.Verdict, limit int) gate.Verdict {
	v.Summary = truncateText(v.Summary, limit)
	if v.Reasons != nil {
		reasons := make([]gate.Reason, len(v.Reasons))
		for i, r := range v.Reasons {
			r.Message = truncateText(r.Message, limit)
			reasons[i] = r
		}
		v.Reasons = reasons
	}
	return v
}

// boundedVerdict marshals the verdict, truncating its texts until it fits verdictBudget.
func boundedVerdict(v gate.Verdict) (types.AttributeValue, error) {
	av, err := marshalValue(v)
	if err != nil {
		return nil, fmt.Errorf("encode verdict: %w", err)
	}
	for _, limit := range textCaps {
		if valueSize(av) <= verdictBudget {
			return av, nil
		}
		if av, err = marshalValue(truncateVerdict(v, limit)); err != nil {
			return nil, fmt.Errorf("encode verdict: %w", err)
		}
	}
	if n := valueSize(av); n > verdictBudget {
		return nil, store.Invalidf("Verdict", "is %d bytes with every text cut to %d bytes, over the budget of %d", n, textCaps[len(textCaps)-1], verdictBudget)
	}
	return av, nil
}

// boundedDeliveryItem marshals the delivery, gzipping a body that would
// not fit; a body too large even then is ErrInvalid (the sink answers 413).
func boundedDeliveryItem(k itemKeys, d journey.Delivery) (map[string]types.AttributeValue, error) {
	it := deliveryItem{itemKeys: k, ID: d.ID, RunID: d.RunID, ReceivedAt: d.ReceivedAt, Header: d.Header, Body: d.Body}
	item, err := marshalItem(it)
	if err != nil {
		return nil, fmt.Errorf("encode delivery: %w", err)
	}
	if itemSize(item) <= itemBudget {
		return item, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(d.Body); err != nil {
		return nil, fmt.Errorf("compress delivery body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress delivery body: %w", err)
	}
	it.Body, it.BodyGzip = nil, buf.Bytes()
	if item, err = marshalItem(it); err != nil {
		return nil, fmt.Errorf("encode delivery: %w", err)
	}
	if n := itemSize(item); n > itemBudget {
		return nil, fmt.Errorf("%w: %w", store.ErrTooLarge, store.Invalidf("Delivery.Body", "is %d bytes (%d gzipped); the delivery item would be %d bytes, over the budget of %d", len(d.Body), len(it.BodyGzip), n, itemBudget))
	}
	return item, nil
}

// deliveryBody returns the stored body, decompressing it if needed.
func deliveryBody(it deliveryItem) ([]byte, error) {
	if it.BodyGzip == nil {
		return it.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(it.BodyGzip))
	if err != nil {
		return nil, fmt.Errorf("delivery %q: decompress body: %w", it.ID, err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, store.MaxDeliveryBody+1))
	if err != nil {
		return nil, fmt.Errorf("delivery %q: decompress body: %w", it.ID, err)
	}
	return body, nil
}
