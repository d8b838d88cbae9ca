package costmodel

import (
	"math"
	"testing"
)

// TestInbox prices a received mail by hand from the published prices.
func TestInbox(t *testing.T) {
	m := Defaults(Memory{Hook: 256, Runner: 512, Gate: 256, Sink: 256}, testPoll)
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-12 }
	tests := []struct {
		name string
		mail ReceivedMail
		// chunks SES bills; writeUnits per delivery; deliveries.
		chunks, wru, deliveries float64
	}{
		// An Alertmanager alert mail: 6 KB, one inbox.
		{"alert mail", ReceivedMail{Bytes: 6 << 10, Recipients: 1}, 1, 7, 1},
		// Just over one chunk, to two inboxes, stored as headers only.
		{"two chunks, two inboxes", ReceivedMail{Bytes: 256<<10 + 1, Recipients: 2, DeliveryBytes: 2000}, 2, 2, 2},
		{"no recipients counted", ReceivedMail{Bytes: 100}, 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := m.Inbox(tt.mail)
			other := 0.10/1000 + tt.chunks*0.09/1000 + 0.005/1000 + 0.0004/1000
			lambda := 0.20/1e6 + 0.25*0.020*0.0000133334
			dynamo := tt.deliveries * tt.wru * 0.625 / 1e6
			logs := 350 / 1e9 * 0.50
			if !near(c.Other, other) || !near(c.Lambda, lambda) || !near(c.DynamoDB, dynamo) || !near(c.Logs, logs) || c.StepFunctions != 0 {
				t.Errorf("cost %+v, want other %g, lambda %g, dynamodb %g, logs %g", c, other, lambda, dynamo, logs)
			}
		})
	}
	// SES's own charge is most of it: about $0.20 per 1,000 alert mails.
	if per1000 := 1000 * m.Inbox(tests[0].mail).Total(); per1000 < 0.19 || per1000 > 0.21 {
		t.Errorf("$%.4f per 1,000 alert mails, want about $0.20", per1000)
	}
}
