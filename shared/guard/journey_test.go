package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/journeygate/journeygate/shared/guard"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/awslocal"
)

// checkoutGuards is an example journey (not in the catalogue) whose steps
// are guards: the alarms of the checkout service stay quiet and its Lambda
// errors stay at zero, read the way a canary check reads them.
func checkoutGuards(cw *cloudwatch.Client) journey.Journey {
	errors := guard.MetricQuery{
		Namespace: "AWS/Lambda", Name: "Errors", Stat: "Sum",
		Dimensions: map[string]string{"FunctionName": "checkout", "Resource": "checkout:live"},
	}
	return journey.Journey{
		Name: "checkout-guards", Tier: journey.TierDomain, Owner: "checkout", Mode: journey.ModeEnforce,
		Covers: []string{"checkout"},
		Steps: []journey.Step{
			{Name: "no checkout alarm firing", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return guard.NoAlarms(ctx, cw, guard.Prefixed("checkout-"), guard.WithEvidence(t))
			}},
			{Name: "no Lambda errors in 5m", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				return guard.MetricWithin(ctx, cw, errors, 5*time.Minute, guard.AtMost(0), guard.WithEvidence(t))
			}},
		},
	}
}

func TestGuardsInAJourney(t *testing.T) {
	live := awslocal.Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout", "Resource": "checkout:live"}}
	alias := awslocal.Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout"}}
	now := time.Now()
	breach := now.Add(-2 * time.Minute) // in the same minute as a healthy sample
	tests := []struct {
		name     string
		metric   *awslocal.Metric // where the function publishes (default live)
		setup    func(cw *awslocal.CloudWatch)
		want     journey.Outcome
		step     int // the step that did not pass, -1 for none
		message  []string
		evidence string
	}{
		{
			name: "healthy",
			want: journey.Passed, step: -1,
		},
		{
			name:  "an alarm in ALARM fails the first step",
			setup: func(cw *awslocal.CloudWatch) { cw.SetAlarm("checkout-5xx", awslocal.AlarmAlarm, reason) },
			want:  journey.Failed, step: 0,
			message:  []string{`step 1/2 (no checkout alarm firing): alarm "checkout-5xx" is in ALARM since`, reason},
			evidence: "alarm checkout-5xx",
		},
		{
			name: "a breaching datapoint fails the second step with it as evidence",
			setup: func(cw *awslocal.CloudWatch) {
				cw.PutDatapoints(live, []awslocal.Datapoint{{Time: breach, Value: 2}})
			},
			want: journey.Failed, step: 1,
			message:  []string{"step 2/2 (no Lambda errors in 5m): AWS/Lambda Errors{FunctionName=checkout,Resource=checkout:live} Sum per 1m is not at most 0 at 1 of 4 datapoints in the last 5m: " + breach.UTC().Truncate(time.Minute).Format(time.RFC3339) + " 2"},
			evidence: "datapoints not at most 0",
		},
		{
			name:   "the alias's metric not published at all fails the second step",
			metric: &alias,
			want:   journey.Failed, step: 1,
			message: []string{"no datapoints for AWS/Lambda Errors{FunctionName=checkout,Resource=checkout:live} Sum per 1m in the last 5m"},
		},
		{
			name:  "CloudWatch failing is an error, not a failed journey",
			setup: func(cw *awslocal.CloudWatch) { cw.FailNext(3, "InternalServiceError", "Internal service error") },
			want:  journey.Errored, step: 0,
			message: []string{"step 1/2 (no checkout alarm firing): alarms with prefix \"checkout-\": cloudwatch DescribeAlarms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cw := awslocal.StartCloudWatch(t)
			cw.SetAlarm("checkout-5xx", awslocal.AlarmOK, "")
			cw.SetAlarm("checkout-latency", awslocal.AlarmOK, "")
			published := live
			if tt.metric != nil {
				published = *tt.metric
			}
			cw.PutDatapoints(published, minutesAgo(now, map[int]float64{1: 0, 2: 0, 3: 0, 4: 0}))
			if tt.setup != nil {
				tt.setup(cw)
			}
			res := journey.Execute(ctx(t), checkoutGuards(cw.Client(noBackoff)), journey.Options{RunID: "run-1", Environment: "local"})
			if res.Outcome != tt.want || res.FailedStep() != tt.step {
				t.Fatalf("outcome %s at step %d (%s), want %s at %d", res.Outcome, res.FailedStep(), res.Message, tt.want, tt.step)
			}
			for _, m := range tt.message {
				if !strings.Contains(res.Message, m) {
					t.Errorf("message %q does not contain %q", res.Message, m)
				}
			}
			if tt.evidence == "" {
				return
			}
			for _, e := range res.Steps[tt.step].Evidence {
				if e.Label == tt.evidence {
					return
				}
			}
			t.Errorf("step evidence %+v has no %q", res.Steps[tt.step].Evidence, tt.evidence)
		})
	}
}

// A CloudWatch that does not answer within the step's SLA makes the step
// an SLA breach, as any step that overruns.
func TestGuardCutShortBySLA(t *testing.T) {
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(stop) }) // runs first: frees the handlers for Close
	cw := awslocal.StartCloudWatch(t)
	cfg := cw.Config()
	cfg.BaseEndpoint = aws.String(hang.URL)
	client := cloudwatch.NewFromConfig(cfg)
	j := journey.Journey{Name: "hung", Steps: []journey.Step{{Name: "no alarms", SLA: 200 * time.Millisecond, Do: func(ctx context.Context, t *journey.T) error {
		return guard.NoAlarms(ctx, client, guard.Named("a"))
	}}}}
	res := journey.Execute(ctx(t), j, journey.Options{RunID: "run-1", AbandonAfter: time.Second})
	if res.Outcome != journey.SLABreach || res.Steps[0].Elapsed < 200*time.Millisecond {
		t.Errorf("outcome %s: %s, want sla-breach", res.Outcome, res.Message)
	}
}
