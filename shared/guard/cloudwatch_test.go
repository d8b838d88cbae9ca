package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/journeygate/journeygate/shared/guard"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/awslocal"
)

// These tests run the guards with the real CloudWatch client (dummy static
// credentials, us-east-1) against a local endpoint speaking CloudWatch's
// protocol (Smithy RPC v2 CBOR).

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noBackoff keeps the SDK's standard retryer (3 attempts, its retryable
// and throttle classification) without the waits.
func noBackoff(o *cloudwatch.Options) {
	o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

const reason = "Threshold Crossed: 1 out of the last 1 datapoints [4.0 (21/11/26 00:54:00)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition)."

func TestNoAlarms(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(cw *awslocal.CloudWatch)
		set     guard.AlarmSet
		opts    []guard.Option
		want    journey.Outcome
		message []string
	}{
		{
			name: "all OK",
			set:  guard.Named("checkout-5xx", "checkout-latency", "checkout-health"),
			want: journey.Passed,
		},
		{
			name:    "one in ALARM is named with its reason and since when",
			setup:   func(cw *awslocal.CloudWatch) { cw.SetAlarm("checkout-latency", awslocal.AlarmAlarm, reason) },
			set:     guard.Named("checkout-5xx", "checkout-latency"),
			want:    journey.Failed,
			message: []string{`alarm "checkout-latency" is in ALARM since ` + time.Now().UTC().Format("2006-01-02T"), reason},
		},
		{
			name: "a composite alarm in ALARM counts",
			setup: func(cw *awslocal.CloudWatch) {
				cw.SetAlarm("checkout-health", awslocal.AlarmAlarm, "checkout-5xx is in ALARM")
			},
			set:     guard.Prefixed("checkout-"),
			want:    journey.Failed,
			message: []string{`alarm "checkout-health" is in ALARM`},
		},
		{
			name:    "an unknown name fails",
			set:     guard.Named("checkout-5xx", "checkout-5xxx"),
			want:    journey.Failed,
			message: []string{`alarm "checkout-5xxx" does not exist`},
		},
		{
			name:    "a prefix without alarms fails",
			set:     guard.Prefixed("search-"),
			want:    journey.Failed,
			message: []string{`no alarm has the prefix "search-"`},
		},
		{
			name:  "INSUFFICIENT_DATA passes by default",
			setup: func(cw *awslocal.CloudWatch) { cw.SetAlarm("checkout-5xx", awslocal.AlarmInsufficientData, "no data") },
			set:   guard.Prefixed("checkout-"),
			want:  journey.Passed,
		},
		{
			name:    "INSUFFICIENT_DATA fails when asked",
			setup:   func(cw *awslocal.CloudWatch) { cw.SetAlarm("checkout-5xx", awslocal.AlarmInsufficientData, "no data") },
			set:     guard.Prefixed("checkout-"),
			opts:    []guard.Option{guard.WithInsufficientDataFailing()},
			want:    journey.Failed,
			message: []string{`alarm "checkout-5xx" is in INSUFFICIENT_DATA`},
		},
		{
			name:    "an endpoint error is an error",
			setup:   func(cw *awslocal.CloudWatch) { cw.FailNext(3, "InternalServiceError", "Internal service error") },
			set:     guard.Named("checkout-5xx"),
			want:    journey.Errored,
			message: []string{`alarms "checkout-5xx": cloudwatch DescribeAlarms: operation error CloudWatch: DescribeAlarms`, "InternalServiceError"},
		},
		{
			name:    "throttled past the retries is an error",
			setup:   func(cw *awslocal.CloudWatch) { cw.ThrottleNext(3) },
			set:     guard.Named("checkout-5xx"),
			want:    journey.Errored,
			message: []string{"Throttling", "Rate exceeded"},
		},
		{
			name:  "throttled once is retried by the SDK",
			setup: func(cw *awslocal.CloudWatch) { cw.ThrottleNext(1) },
			set:   guard.Named("checkout-5xx"),
			want:  journey.Passed,
		},
		{
			name: "access denied is an error, not a failure of the system",
			setup: func(cw *awslocal.CloudWatch) {
				cw.FailNext(1, "AccessDenied", "User is not authorized to perform: cloudwatch:DescribeAlarms")
			},
			set:     guard.Named("checkout-5xx"),
			want:    journey.Errored,
			message: []string{"AccessDenied"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cw := awslocal.StartCloudWatch(t)
			cw.SetAlarm("checkout-5xx", awslocal.AlarmOK, "Threshold Crossed: no datapoints were greater than the threshold (0.0).")
			cw.SetAlarm("checkout-latency", awslocal.AlarmOK, "")
			cw.PutAlarm(awslocal.Alarm{Name: "checkout-health", Type: awslocal.CompositeAlarmType})
			if tt.setup != nil {
				tt.setup(cw)
			}
			ev := &recorder{}
			err := guard.NoAlarms(ctx(t), cw.Client(noBackoff), tt.set, append(tt.opts, guard.WithEvidence(ev))...)
			if got := class(err); got != tt.want {
				t.Fatalf("class = %s (%v), want %s", got, err, tt.want)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not contain %q", err, m)
				}
			}
			if tt.want == journey.Failed && len(ev.labels()) == 0 {
				t.Error("a failure recorded no evidence")
			}
		})
	}
}

func TestNoAlarmsUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cw := awslocal.StartCloudWatch(t)
	cfg := cw.Config()
	cfg.BaseEndpoint = aws.String("http://" + addr)
	err = guard.NoAlarms(ctx(t), cloudwatch.NewFromConfig(cfg, noBackoff), guard.Named("a"))
	if class(err) != journey.Errored || !journey.IsInfrastructure(err) {
		t.Errorf("err = %v (class %s), want an infrastructure error", err, class(err))
	}
}

func TestNoAlarmsPaging(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	for _, n := range []string{"svc-a", "svc-b", "svc-c", "svc-d", "svc-e", "svc-f", "svc-g"} {
		cw.SetAlarm(n, awslocal.AlarmOK, "")
	}
	cw.SetAlarm("svc-g", awslocal.AlarmAlarm, reason) // on the last page
	cw.SetPageSize(3)
	err := guard.NoAlarms(ctx(t), cw.Client(), guard.Prefixed("svc-"))
	var v *guard.Violation
	if !errors.As(err, &v) || len(v.Alarms) != 1 || v.Alarms[0].Name != "svc-g" || v.Alarms[0].Reason != reason {
		t.Fatalf("err = %v, want svc-g in ALARM", err)
	}
	reqs := cw.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 pages", len(reqs))
	}
	for i, r := range reqs {
		var in struct {
			AlarmNamePrefix string
			AlarmTypes      []string
			NextToken       string
		}
		if err := json.Unmarshal(r.Body, &in); err != nil {
			t.Fatal(err)
		}
		if in.AlarmNamePrefix != "svc-" || len(in.AlarmTypes) != 3 || (i > 0) != (in.NextToken != "") {
			t.Errorf("request %d = %s", i, r.Body)
		}
	}
}

var errorsMetric = awslocal.Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout", "Resource": "checkout:live"}}

var errorsQuery = guard.MetricQuery{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout", "Resource": "checkout:live"}, Stat: "Sum"}

// minutesAgo returns samples n minutes before now (n from the map's keys).
func minutesAgo(now time.Time, values map[int]float64) []awslocal.Datapoint {
	var out []awslocal.Datapoint
	for n, v := range values {
		out = append(out, awslocal.Datapoint{Time: now.Add(-time.Duration(n) * time.Minute), Value: v})
	}
	return out
}

func TestMetricWithin(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		points   map[int]float64
		query    guard.MetricQuery
		setup    func(cw *awslocal.CloudWatch)
		t        guard.Threshold
		opts     []guard.Option
		want     journey.Outcome
		message  []string
		evidence []string
	}{
		{
			name:   "within the threshold",
			points: map[int]float64{1: 0, 2: 0, 3: 0, 4: 0},
			query:  errorsQuery, t: guard.AtMost(0), want: journey.Passed,
		},
		{
			name:   "a breaching datapoint fails with its time and value",
			points: map[int]float64{1: 0, 2: 4, 3: 0, 4: 0, 30: 9},
			query:  errorsQuery, t: guard.AtMost(0), want: journey.Failed,
			message:  []string{"AWS/Lambda Errors{FunctionName=checkout,Resource=checkout:live} Sum per 1m is not at most 0 at 1 of 4 datapoints in the last 5m: " + now.Add(-2*time.Minute).UTC().Truncate(time.Minute).Format(time.RFC3339) + " 4"},
			evidence: []string{"datapoints not at most 0", "datapoints in the last 5m"},
		},
		{
			name:   "the statistic is CloudWatch's: the maximum of samples in one minute",
			points: map[int]float64{1: 250},
			query:  guard.MetricQuery{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: errorsMetric.Dimensions, Stat: "Maximum"},
			setup: func(cw *awslocal.CloudWatch) {
				cw.PutDatapoints(errorsMetric, []awslocal.Datapoint{{Time: now.Add(-time.Minute).Truncate(time.Minute), Value: 900}})
			},
			t: guard.AtMost(500), want: journey.Failed, message: []string{" 900"},
		},
		{
			name:   "no datapoints fail by default",
			points: map[int]float64{1: 0},
			query:  guard.MetricQuery{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout"}, Stat: "Sum"},
			t:      guard.AtMost(0), want: journey.Failed,
			message:  []string{"no datapoints for AWS/Lambda Errors{FunctionName=checkout} Sum per 1m in the last 5m"},
			evidence: []string{"metric AWS/Lambda Errors{FunctionName=checkout} Sum per 1m"},
		},
		{
			name:  "no datapoints pass when treated as not breaching",
			query: errorsQuery, t: guard.AtMost(0), want: journey.Passed,
			opts: []guard.Option{guard.WithTreatMissingData(guard.MissingNotBreaching)},
		},
		{
			name:   "an endpoint error is an error",
			points: map[int]float64{1: 0},
			setup:  func(cw *awslocal.CloudWatch) { cw.FailNext(3, "ServiceUnavailable", "Service Unavailable") },
			query:  errorsQuery, t: guard.AtMost(0), want: journey.Errored,
			message: []string{"cloudwatch GetMetricData", "ServiceUnavailable"},
		},
		{
			name:   "a statistic CloudWatch refuses is an error",
			points: map[int]float64{1: 0},
			query:  guard.MetricQuery{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: errorsMetric.Dimensions, Stat: "Sum("},
			t:      guard.AtMost(0), want: journey.Errored,
			message: []string{"InvalidParameterValue"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cw := awslocal.StartCloudWatch(t)
			cw.PutDatapoints(errorsMetric, minutesAgo(now, tt.points))
			if tt.setup != nil {
				tt.setup(cw)
			}
			ev := &recorder{}
			opts := append([]guard.Option{guard.WithEvidence(ev), guard.WithClock(func() time.Time { return now })}, tt.opts...)
			err := guard.MetricWithin(ctx(t), cw.Client(noBackoff), tt.query, 5*time.Minute, tt.t, opts...)
			if got := class(err); got != tt.want {
				t.Fatalf("class = %s (%v), want %s", got, err, tt.want)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not contain %q", err, m)
				}
			}
			if got := ev.labels(); strings.Join(got, "|") != strings.Join(tt.evidence, "|") && tt.evidence != nil {
				t.Errorf("evidence labels = %q, want %q", got, tt.evidence)
			}
		})
	}
}

func TestMetricWithinPaging(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	now := time.Now()
	points := map[int]float64{}
	for n := 1; n <= 20; n++ {
		points[n] = 0.999
	}
	points[20] = 0.5 // the oldest: on the last page when scanning oldest first
	cw.PutDatapoints(awslocal.Metric{Namespace: "JourneyGate", Name: "JourneySuccess", Dimensions: map[string]string{"Journey": "checkout"}}, minutesAgo(now, points))
	cw.SetPageSize(3)
	q := guard.MetricQuery{Namespace: "JourneyGate", Name: "JourneySuccess", Dimensions: map[string]string{"Journey": "checkout"}, Stat: "Average"}
	err := guard.MetricWithin(ctx(t), cw.Client(), q, 30*time.Minute, guard.AtLeast(0.99), guard.WithClock(func() time.Time { return now }))
	var v *guard.Violation
	if !errors.As(err, &v) || len(v.Datapoints) != 20 || len(v.Breaches) != 1 || v.Breaches[0].Value != 0.5 {
		t.Fatalf("err = %v, want one breach among 20 datapoints", err)
	}
	if n := len(cw.Requests()); n != 7 {
		t.Errorf("%d requests, want 7 pages of 3", n)
	}
	for i := 1; i < len(v.Datapoints); i++ {
		if !v.Datapoints[i].Time.After(v.Datapoints[i-1].Time) {
			t.Fatalf("datapoints out of order at %d: %v", i, v.Datapoints)
		}
	}
}

func TestMetricStaysWithin(t *testing.T) {
	q := guard.MetricQuery{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: errorsMetric.Dimensions, Stat: "Sum", Period: 10 * time.Second}
	const watch = 300 * time.Millisecond
	every := guard.WithInterval(20 * time.Millisecond)

	t.Run("stays within for the watch", func(t *testing.T) {
		cw := awslocal.StartCloudWatch(t)
		cw.PutDatapoints(errorsMetric, []awslocal.Datapoint{{Time: time.Now().Add(-5 * time.Second), Value: 0}})
		start := time.Now()
		err := guard.MetricStaysWithin(ctx(t), cw.Client(), q, time.Minute, guard.AtMost(0), watch, every)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < watch {
			t.Errorf("returned after %s, before the %s watch ended", d, watch)
		}
		if n := len(cw.Requests()); n < 3 {
			t.Errorf("%d checks in the watch, want several", n)
		}
	})

	t.Run("a breach during the watch fails at once", func(t *testing.T) {
		cw := awslocal.StartCloudWatch(t)
		cw.PutDatapoints(errorsMetric, []awslocal.Datapoint{{Time: time.Now().Add(-5 * time.Second), Value: 0}})
		time.AfterFunc(100*time.Millisecond, func() {
			cw.PutDatapoints(errorsMetric, []awslocal.Datapoint{{Time: time.Now(), Value: 3}})
		})
		ev := &recorder{}
		start := time.Now()
		err := guard.MetricStaysWithin(ctx(t), cw.Client(), q, time.Minute, guard.AtMost(0), 10*time.Second, every, guard.WithEvidence(ev))
		var v *guard.Violation
		if !errors.As(err, &v) || class(err) != journey.Failed {
			t.Fatalf("err = %v, want a violation", err)
		}
		// Before the 10 s watch ends: the breach, not the watch's end, ended it.
		if time.Since(start) >= 10*time.Second || v.After < 100*time.Millisecond || v.Watch != 10*time.Second {
			t.Errorf("failed after %s (After %s, Watch %s), want soon after the breach", time.Since(start), v.After, v.Watch)
		}
		if !strings.HasPrefix(err.Error(), "after ") || !strings.Contains(err.Error(), "of a 10s watch: AWS/Lambda Errors{") || !strings.Contains(err.Error(), " 3") {
			t.Errorf("message = %q", err)
		}
		if len(ev.labels()) != 2 {
			t.Errorf("evidence = %v, want the breaching and all datapoints once", ev.labels())
		}
	})

	t.Run("an endpoint error ends the watch as an error", func(t *testing.T) {
		cw := awslocal.StartCloudWatch(t)
		cw.PutDatapoints(errorsMetric, []awslocal.Datapoint{{Time: time.Now().Add(-5 * time.Second), Value: 0}})
		cw.FailNext(1, "AccessDenied", "not authorized")
		err := guard.MetricStaysWithin(ctx(t), cw.Client(), q, time.Minute, guard.AtMost(0), 10*time.Second, every)
		if class(err) != journey.Errored || !strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("err = %v (class %s), want an error", err, class(err))
		}
	})

	t.Run("a watch longer than the step has left is a definition error", func(t *testing.T) {
		cw := awslocal.StartCloudWatch(t)
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := guard.MetricStaysWithin(c, cw.Client(), q, time.Minute, guard.AtMost(0), 2*time.Second, every)
		if err == nil || !strings.Contains(err.Error(), "a 2s watch does not fit") || class(err) != journey.Errored || len(cw.Requests()) != 0 {
			t.Errorf("err = %v (class %s), want a definition error before any call", err, class(err))
		}
	})
}
