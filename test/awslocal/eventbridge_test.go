package awslocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/journeygate/journeygate/test/awslocal"
)

// TestEventBridgeRuleToSNS: a rule made through the real client matches
// only the events its pattern selects, its input transformer fills the
// template (escaping a value for a JSON string), and SNS posts the result
// to a confirmed HTTPS subscriber only.
func TestEventBridgeRuleToSNS(t *testing.T) {
	got := make(chan map[string]string, 4)
	var sns *awslocal.SNS
	sub := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil || r.Header.Get("x-amz-sns-message-type") != m["Type"] {
			t.Errorf("SNS posted %s with message type %q", b, r.Header.Get("x-amz-sns-message-type"))
		}
		if m["Type"] == "SubscriptionConfirmation" && r.URL.Path == "/confirming" {
			resp, err := http.Get(m["SubscribeURL"])
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("confirming: %v %v", resp, err)
			}
		}
		got <- m
	}))
	defer sub.Close()
	sns = awslocal.StartSNS(t, sub.Client())
	topic := awslocal.TopicArn("pages")
	if _, err := sns.Subscribe(topic, sub.URL+"/confirming"); err != nil {
		t.Fatal(err)
	}
	if _, err := sns.Subscribe(topic, sub.URL+"/never-confirms"); err != nil {
		t.Fatal(err)
	}
	<-got
	<-got
	eb := awslocal.StartEventBridge(t, func(d awslocal.Delivery) {
		if d.Arn == topic {
			sns.Publish(d.Arn, "", d.Input)
		}
	})
	c := eb.Client()
	ctx := context.Background()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"detail":{"n":[{"numeric":[">",1]}]}}`)}); err == nil {
		t.Error("a pattern with a filter the stand-in does not serve was accepted")
	} else if apiErr := (*ebtypes.InvalidEventPatternException)(nil); !errors.As(err, &apiErr) {
		t.Errorf("refused with %v, want InvalidEventPatternException", err)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("failed"), EventBusName: aws.String("bus"),
		EventPattern: aws.String(`{"source":["app"],"detail":{"mode":["enforce"],"trigger":{"type":[{"prefix":"sched"}]}}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("failed"), EventBusName: aws.String("bus"), Targets: []ebtypes.Target{{
		Id: aws.String("Page"), Arn: aws.String(topic),
		InputTransformer: &ebtypes.InputTransformer{InputPathsMap: map[string]string{"j": "$.detail.journey", "m": "$.detail.message"}, InputTemplate: aws.String(`"journey <j>: <m>"`)},
	}}}); err != nil {
		t.Fatal(err)
	}
	put := func(detail string) {
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			Source: aws.String("app"), DetailType: aws.String("Failed"), EventBusName: aws.String("bus"), Detail: aws.String(detail),
		}}})
		if err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("PutEvents: %v %+v", err, out)
		}
	}
	put(`{"journey":"observed","mode":"observe","trigger":{"type":"schedule"},"message":"x"}`)
	put(`{"journey":"checkout","mode":"enforce","trigger":{"type":"schedule"},"message":"got \"500\""}`)
	select {
	case m := <-got:
		if want := `"journey checkout: got \"500\""`; m["Type"] != "Notification" || m["Message"] != want || m["TopicArn"] != topic {
			t.Errorf("notification %v, want Message %s on %s", m, want, topic)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification reached the subscriber")
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(sns.Deliveries()); n != 1 {
		t.Errorf("%d deliveries, want 1: the observe-mode event matched, or the unconfirmed subscriber got one", n)
	}
	if n := len(eb.Events()); n != 2 {
		t.Errorf("%d events accepted, want 2", n)
	}
}

// TestEventBridgeMatchesBooleans checks that a pattern's boolean values
// match JSON booleans only, as EventBridge's do: "repeat": [false] matches
// false, neither true, the string "false" nor an absent field.
func TestEventBridgeMatchesBooleans(t *testing.T) {
	var mu sync.Mutex
	var delivered []string
	eb := awslocal.StartEventBridge(t, func(d awslocal.Delivery) {
		mu.Lock()
		defer mu.Unlock()
		delivered = append(delivered, d.Input)
	})
	c := eb.Client()
	ctx := context.Background()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("first"), EventPattern: aws.String(`{"detail":{"repeat":[false]}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("first"), Targets: []ebtypes.Target{{
		Id: aws.String("Page"), Arn: aws.String("arn:aws:sns:us-east-1:123456789012:pages"),
		InputTransformer: &ebtypes.InputTransformer{InputPathsMap: map[string]string{"id": "$.detail.id"}, InputTemplate: aws.String(`<id>`)},
	}}}); err != nil {
		t.Fatal(err)
	}
	for _, detail := range []string{
		`{"id":"false","repeat":false}`,
		`{"id":"true","repeat":true}`,
		`{"id":"string","repeat":"false"}`,
		`{"id":"absent"}`,
		`{"id":"null","repeat":null}`,
	} {
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			Source: aws.String("app"), DetailType: aws.String("Failed"), Detail: aws.String(detail),
		}}})
		if err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("PutEvents(%s): %v %+v", detail, err, out)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(delivered)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a wrong match would be delivered by now too
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 1 || delivered[0] != "false" {
		t.Errorf("delivered %q, want only the event whose repeat is false", delivered)
	}
}
