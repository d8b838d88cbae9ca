package journey_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// A journey that awaits the sink without declaring Sink: true ends its
// step at once as error naming the declaration, even when the run has a
// sink (another journey declared it): a journey behaves alike whichever
// journeys run beside it, locally and in the cloud.
func TestUndeclaredSinkIsAnErrorAtOnce(t *testing.T) {
	sink := &fakeSink{ds: []journey.Delivery{{ID: "d1", Body: []byte(`{"status":"firing"}`)}}}
	var url string
	await := func(ctx context.Context, t *journey.T) error {
		url = t.Sink().URL()
		_, err := t.Sink().Await(ctx, "the notification", func(journey.Delivery) error { return nil })
		return err
	}
	never := func(ctx context.Context, t *journey.T) error {
		return t.Sink().Never(ctx, 100*time.Millisecond, "a notification", func(journey.Delivery) error { return nil })
	}
	for name, do := range map[string]journey.StepFunc{"await": await, "never": never} {
		t.Run(name, func(t *testing.T) {
			j := valid("undeclared", step(name, 5*time.Second, do))
			res := execute(t, context.Background(), j, journey.Options{Sink: sink}, 10*time.Second)
			if res.Outcome != journey.Errored || !strings.Contains(res.Message, `no notification sink for journey "undeclared": it does not declare Sink: true`) {
				t.Errorf("outcome %s (%s), want error naming the declaration", res.Outcome, res.Message)
			}
			if res.Steps[0].Elapsed > time.Second {
				t.Errorf("the step took %s: an undeclared sink should end it at once", res.Steps[0].Elapsed)
			}
		})
	}
	if url != "" {
		t.Errorf("URL() = %q without a declared sink, want empty", url)
	}
	j := valid("declared", step("await", 5*time.Second, await))
	j.Sink = true
	if res := execute(t, context.Background(), j, journey.Options{Sink: sink}, 10*time.Second); res.Outcome != journey.Passed || url != "http://sink" {
		t.Errorf("with Sink: true: outcome %s (%s), URL %q; want passed", res.Outcome, res.Message, url)
	}
}
