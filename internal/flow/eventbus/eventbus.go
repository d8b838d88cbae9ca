package eventbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/journeygate/journeygate/internal/flow"
)

// API is the part of the EventBridge client a Publisher uses.
type API interface {
	// PutEvents publishes events.
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ API = (*eventbridge.Client)(nil)

// DefaultBus is the bus a Publisher uses when given none.
const DefaultBus = "default"

// Publisher puts journeygate's events on one bus. A nil *Publisher
// publishes nothing.
type Publisher struct {
	api API
	bus string
}

// New returns a Publisher through api to bus ("" = DefaultBus), or nil
// when api is nil.
func New(api API, bus string) *Publisher {
	if api == nil {
		return nil
	}
	if bus == "" {
		bus = DefaultBus
	}
	return &Publisher{api: api, bus: bus}
}

// Bus names the bus p publishes to ("" for a nil Publisher).
func (p *Publisher) Bus() string {
	if p == nil {
		return ""
	}
	return p.bus
}

// Put publishes one event with source flow.EventSource, detailType and
// detail as JSON. It fails when the call fails or EventBridge rejects the
// entry.
func (p *Publisher) Put(ctx context.Context, detailType string, detail any) error {
	if p == nil {
		return nil
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encoding %q event: %w", detailType, err)
	}
	out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source:       aws.String(flow.EventSource),
		DetailType:   aws.String(detailType),
		Detail:       aws.String(string(b)),
		EventBusName: aws.String(p.bus),
	}}})
	if err != nil {
		return fmt.Errorf("putting %q event on bus %s: %w", detailType, p.bus, err)
	}
	if out != nil && out.FailedEntryCount > 0 {
		if len(out.Entries) > 0 && out.Entries[0].ErrorCode != nil {
			e := out.Entries[0]
			return fmt.Errorf("bus %s rejected the %q event: %s: %s", p.bus, detailType, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
		}
		return fmt.Errorf("bus %s rejected the %q event", p.bus, detailType)
	}
	return nil
}
