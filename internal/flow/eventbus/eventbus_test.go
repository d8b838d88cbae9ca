package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/flow/eventbus"
)

// fakeAPI records the last input and answers with out and err.
type fakeAPI struct {
	in  *eventbridge.PutEventsInput
	out *eventbridge.PutEventsOutput
	err error
}

func (f *fakeAPI) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.in = in
	return f.out, f.err
}

func TestPut(t *testing.T) {
	tests := []struct {
		name    string
		bus     string
		api     *fakeAPI
		wantBus string
		wantErr string
	}{
		{"accepted", "jg-bus", &fakeAPI{out: &eventbridge.PutEventsOutput{}}, "jg-bus", ""},
		{"default bus", "", &fakeAPI{out: &eventbridge.PutEventsOutput{}}, "default", ""},
		{"call fails", "jg-bus", &fakeAPI{err: errors.New("AccessDeniedException")}, "jg-bus", `putting "Journey Failed" event on bus jg-bus: AccessDeniedException`},
		{"entry rejected", "jg-bus", &fakeAPI{out: &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []ebtypes.PutEventsResultEntry{{
			ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again"),
		}}}}, "jg-bus", `bus jg-bus rejected the "Journey Failed" event: InternalFailure: try again`},
		{"rejected without entries", "jg-bus", &fakeAPI{out: &eventbridge.PutEventsOutput{FailedEntryCount: 1}}, "jg-bus", `bus jg-bus rejected the "Journey Failed" event`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := eventbus.New(tt.api, tt.bus)
			if p.Bus() != tt.wantBus {
				t.Errorf("Bus() = %q, want %q", p.Bus(), tt.wantBus)
			}
			err := p.Put(context.Background(), flow.DetailJourneyFailed, flow.JourneyFailed{RunID: "r-1", Journey: "checkout"})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.api.in == nil || len(tt.api.in.Entries) != 1 {
				t.Fatalf("input %+v, want one entry", tt.api.in)
			}
			e := tt.api.in.Entries[0]
			if aws.ToString(e.Source) != flow.EventSource || aws.ToString(e.DetailType) != flow.DetailJourneyFailed || aws.ToString(e.EventBusName) != tt.wantBus {
				t.Errorf("entry source %q detail type %q bus %q", aws.ToString(e.Source), aws.ToString(e.DetailType), aws.ToString(e.EventBusName))
			}
			var d flow.JourneyFailed
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil || d.RunID != "r-1" || d.Journey != "checkout" {
				t.Errorf("detail %s (%v), want the JourneyFailed as JSON", aws.ToString(e.Detail), err)
			}
		})
	}
}

func TestNilPublisherPublishesNothing(t *testing.T) {
	p := eventbus.New(nil, "jg-bus")
	if p != nil {
		t.Fatalf("New(nil, ...) = %v, want nil", p)
	}
	if err := p.Put(context.Background(), flow.DetailRunCompleted, struct{}{}); err != nil || p.Bus() != "" {
		t.Errorf("nil Publisher: Put err %v, Bus %q", err, p.Bus())
	}
}

func TestUnencodableDetail(t *testing.T) {
	api := &fakeAPI{out: &eventbridge.PutEventsOutput{}}
	err := eventbus.New(api, "").Put(context.Background(), flow.DetailRunCompleted, func() {})
	if err == nil || !strings.Contains(err.Error(), `encoding "Run Completed" event`) || api.in != nil {
		t.Errorf("err = %v, calls %v; want an encoding error and no call", err, api.in)
	}
}
