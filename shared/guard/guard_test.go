package guard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/journeygate/journeygate/shared/guard"
	"github.com/journeygate/journeygate/shared/journey"
)

// class is the outcome a step returning err within its SLA gets.
func class(err error) journey.Outcome {
	o, _ := journey.Classify(err, time.Millisecond, time.Minute, nil)
	return o
}

// recorder collects evidence, as a step's *journey.T would.
type recorder struct {
	mu    sync.Mutex
	items []journey.Evidence
}

func (r *recorder) Evidence(label, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, journey.Evidence{Label: label, Detail: fmt.Sprintf(format, args...)})
}

func (r *recorder) labels() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.items {
		out = append(out, e.Label)
	}
	return out
}

// fakeAlarms answers DescribeAlarms from a list of metric alarms, a page
// of pageSize at a time, with tokens "page-N"; loop makes every page
// answer the same token.
type fakeAlarms struct {
	alarms   []types.MetricAlarm
	pageSize int
	loop     bool
	err      error
	calls    []cloudwatch.DescribeAlarmsInput
}

func (f *fakeAlarms) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.calls = append(f.calls, *in)
	if f.err != nil {
		return nil, f.err
	}
	var match []types.MetricAlarm
	for _, a := range f.alarms {
		name := aws.ToString(a.AlarmName)
		if in.AlarmNamePrefix != nil && !strings.HasPrefix(name, *in.AlarmNamePrefix) {
			continue
		}
		if len(in.AlarmNames) > 0 && !contains(in.AlarmNames, name) {
			continue
		}
		match = append(match, a)
	}
	offset := 0
	if in.NextToken != nil {
		fmt.Sscanf(*in.NextToken, "page-%d", &offset)
	}
	size := f.pageSize
	if size == 0 {
		size = len(match) + 1
	}
	end := min(offset+size, len(match))
	out := &cloudwatch.DescribeAlarmsOutput{MetricAlarms: match[offset:end]}
	if end < len(match) || f.loop {
		out.NextToken = aws.String(fmt.Sprintf("page-%d", end))
		if f.loop {
			out.NextToken = aws.String("page-0")
		}
	}
	return out, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func metricAlarm(name string, state types.StateValue, reason string, since time.Time) types.MetricAlarm {
	return types.MetricAlarm{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String(reason), StateTransitionedTimestamp: aws.Time(since)}
}

func TestNoAlarmsWithFakes(t *testing.T) {
	since := time.Date(2026, 11, 21, 0, 55, 6, 0, time.UTC)
	var many []types.MetricAlarm
	var manyNames []string
	for i := range 250 {
		name := fmt.Sprintf("svc-%03d", i)
		many = append(many, metricAlarm(name, types.StateValueOk, "", since))
		manyNames = append(manyNames, name)
	}
	many[249] = metricAlarm("svc-249", types.StateValueAlarm, "Threshold Crossed", since)

	tests := []struct {
		name      string
		api       *fakeAlarms
		set       guard.AlarmSet
		opts      []guard.Option
		want      journey.Outcome
		message   []string
		wantCalls int
	}{
		{
			name: "all OK", want: journey.Passed, wantCalls: 1,
			api: &fakeAlarms{alarms: []types.MetricAlarm{metricAlarm("a", types.StateValueOk, "", since), metricAlarm("b", types.StateValueOk, "", since)}},
			set: guard.Named("a", "b"),
		},
		{
			name: "one in ALARM, named with its reason and since when", want: journey.Failed, wantCalls: 1,
			api:     &fakeAlarms{alarms: []types.MetricAlarm{metricAlarm("a", types.StateValueOk, "", since), metricAlarm("b", types.StateValueAlarm, "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).", since)}},
			set:     guard.Named("a", "b"),
			message: []string{`alarm "b" is in ALARM since 2026-11-21T00:55:06Z: Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).`},
		},
		{
			name: "a typo is not vacuously fine", want: journey.Failed, wantCalls: 1,
			api:     &fakeAlarms{alarms: []types.MetricAlarm{metricAlarm("checkout-5xx", types.StateValueOk, "", since)}},
			set:     guard.Named("checkout-5xx", "chekout-latency"),
			message: []string{`alarm "chekout-latency" does not exist`},
		},
		{
			name: "a prefix no alarm has", want: journey.Failed, wantCalls: 1,
			api:     &fakeAlarms{alarms: []types.MetricAlarm{metricAlarm("checkout-5xx", types.StateValueOk, "", since)}},
			set:     guard.Prefixed("chekout-"),
			message: []string{`no alarm has the prefix "chekout-"`},
		},
		{
			name: "INSUFFICIENT_DATA passes by default", want: journey.Passed, wantCalls: 1,
			api: &fakeAlarms{alarms: []types.MetricAlarm{metricAlarm("a", types.StateValueInsufficientData, "no data", since)}},
			set: guard.Named("a"),
		},
		{
			name: "INSUFFICIENT_DATA fails when asked", want: journey.Failed, wantCalls: 1,
			api:     &fakeAlarms{alarms: []types.MetricAlarm{metricAlarm("a", types.StateValueInsufficientData, "no data", since)}},
			set:     guard.Named("a"),
			opts:    []guard.Option{guard.WithInsufficientDataFailing()},
			message: []string{`alarm "a" is in INSUFFICIENT_DATA`},
		},
		{
			name: "250 names in three calls of at most 100, the last one in ALARM", want: journey.Failed, wantCalls: 3,
			api:     &fakeAlarms{alarms: many},
			set:     guard.Named(manyNames...),
			message: []string{`alarm "svc-249" is in ALARM`},
		},
		{
			name: "a prefix over pages", want: journey.Failed, wantCalls: 84,
			api:     &fakeAlarms{alarms: many, pageSize: 3},
			set:     guard.Prefixed("svc-"),
			message: []string{`alarm "svc-249" is in ALARM`},
		},
		{
			name: "a NextToken that comes back is an error, not an endless loop", want: journey.Errored, wantCalls: 2,
			api:     &fakeAlarms{alarms: many, pageSize: 3, loop: true},
			set:     guard.Prefixed("svc-"),
			message: []string{"came back twice"},
		},
		{
			name: "an API error is an error", want: journey.Errored, wantCalls: 1,
			api:     &fakeAlarms{err: errors.New("connection reset")},
			set:     guard.Named("a"),
			message: []string{`alarms "a": cloudwatch DescribeAlarms: connection reset`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := guard.NoAlarms(context.Background(), tt.api, tt.set, tt.opts...)
			if got := class(err); got != tt.want {
				t.Fatalf("class = %s (%v), want %s", got, err, tt.want)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not contain %q", err, m)
				}
			}
			if len(tt.api.calls) != tt.wantCalls {
				t.Errorf("%d calls, want %d", len(tt.api.calls), tt.wantCalls)
			}
			for _, c := range tt.api.calls {
				if len(c.AlarmNames) > 100 || len(c.AlarmTypes) != 3 {
					t.Errorf("call with %d names and types %v, want at most 100 and all three types", len(c.AlarmNames), c.AlarmTypes)
				}
			}
		})
	}
}

func TestNoAlarmsDefinitionErrors(t *testing.T) {
	tests := []struct {
		set  guard.AlarmSet
		want string
	}{
		{guard.AlarmSet{}, "an empty set would check nothing"},
		{guard.Named(), "an empty set would check nothing"},
		{guard.AlarmSet{Names: []string{"a"}, Prefix: "b"}, "not both"},
		{guard.Named("a", ""), "an alarm name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			api := &fakeAlarms{}
			err := guard.NoAlarms(context.Background(), api, tt.set)
			if err == nil || !strings.Contains(err.Error(), tt.want) || class(err) != journey.Errored || journey.IsInfrastructure(err) {
				t.Errorf("err = %v (class %s), want a definition error containing %q", err, class(err), tt.want)
			}
			if len(api.calls) != 0 {
				t.Errorf("%d calls for an invalid guard", len(api.calls))
			}
		})
	}
}

func TestViolationMessageIsBounded(t *testing.T) {
	var alarms []types.MetricAlarm
	var names []string
	for i := range 15 {
		name := fmt.Sprintf("a%02d", i)
		alarms = append(alarms, metricAlarm(name, types.StateValueAlarm, "r", time.Now()))
		names = append(names, name)
	}
	err := guard.NoAlarms(context.Background(), &fakeAlarms{alarms: alarms}, guard.Named(names...))
	var v *guard.Violation
	if !errors.As(err, &v) || len(v.Alarms) != 15 {
		t.Fatalf("err = %v, want a violation with 15 alarms", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `alarm "a09"`) || strings.Contains(msg, `alarm "a10"`) || !strings.HasSuffix(msg, "(+5 more)") {
		t.Errorf("message = %q, want the first 10 and (+5 more)", msg)
	}
	if !strings.Contains(v.Guard, "(+5 more)") {
		t.Errorf("Guard = %q, want the names bounded", v.Guard)
	}
}

// fakeMetrics answers GetMetricData with scripted pages.
type fakeMetrics struct {
	pages []cloudwatch.GetMetricDataOutput
	err   error
	calls []cloudwatch.GetMetricDataInput
}

func (f *fakeMetrics) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.calls = append(f.calls, *in)
	if f.err != nil {
		return nil, f.err
	}
	i := len(f.calls) - 1
	if i >= len(f.pages) {
		return nil, fmt.Errorf("fake: no page %d", i)
	}
	return &f.pages[i], nil
}

func result(status types.StatusCode, ts []time.Time, vs []float64) types.MetricDataResult {
	return types.MetricDataResult{Id: aws.String("guard"), StatusCode: status, Timestamps: ts, Values: vs}
}

func TestMetricWithinWithFakes(t *testing.T) {
	now := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	m := func(n int) time.Time { return now.Add(time.Duration(n-5) * time.Minute) }
	q := guard.MetricQuery{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"Resource": "checkout:live", "FunctionName": "checkout"}, Stat: "Sum"}
	tests := []struct {
		name    string
		pages   []cloudwatch.GetMetricDataOutput
		t       guard.Threshold
		opts    []guard.Option
		want    journey.Outcome
		message []string
	}{
		{
			name:  "within",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{result("Complete", []time.Time{m(1), m(2)}, []float64{0, 0})}}},
			t:     guard.AtMost(0), want: journey.Passed,
		},
		{
			name: "pages joined in time order, a breach on the second",
			pages: []cloudwatch.GetMetricDataOutput{
				{MetricDataResults: []types.MetricDataResult{result("PartialData", []time.Time{m(1), m(2)}, []float64{0, 0})}, NextToken: aws.String("t1")},
				{MetricDataResults: []types.MetricDataResult{result("Complete", []time.Time{m(4), m(3)}, []float64{7, 0})}},
			},
			t: guard.AtMost(0), want: journey.Failed,
			message: []string{"AWS/Lambda Errors{FunctionName=checkout,Resource=checkout:live} Sum per 1m is not at most 0 at 1 of 4 datapoints in the last 5m: 2026-11-21T00:59:00Z 7"},
		},
		{
			name:  "a lower bound",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{result("Complete", []time.Time{m(1), m(2)}, []float64{0.999, 0.95})}}},
			t:     guard.AtLeast(0.99), want: journey.Failed,
			message: []string{"is not at least 0.99 at 1 of 2 datapoints", "2026-11-21T00:57:00Z 0.95"},
		},
		{
			name:  "bounds are inclusive",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{result("Complete", []time.Time{m(1), m(2)}, []float64{0.5, 1})}}},
			t:     guard.Between(0.5, 1), want: journey.Passed,
		},
		{
			name:  "no datapoints fail by default",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{result("Complete", nil, nil)}}},
			t:     guard.AtMost(0), want: journey.Failed,
			message: []string{"no datapoints for AWS/Lambda Errors{FunctionName=checkout,Resource=checkout:live} Sum per 1m in the last 5m"},
		},
		{
			name:  "no datapoints pass when treated as not breaching",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{result("Complete", nil, nil)}}},
			t:     guard.AtMost(0), opts: []guard.Option{guard.WithTreatMissingData(guard.MissingNotBreaching)}, want: journey.Passed,
		},
		{
			name:  "a Forbidden result is an error",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{{Id: aws.String("guard"), StatusCode: "Forbidden", Messages: []types.MessageData{{Code: aws.String("Forbidden"), Value: aws.String("no access to account 1234")}}}}}},
			t:     guard.AtMost(0), want: journey.Errored,
			message: []string{"result status Forbidden: Forbidden: no access to account 1234"},
		},
		{
			name:  "timestamps and values that do not pair up are an error",
			pages: []cloudwatch.GetMetricDataOutput{{MetricDataResults: []types.MetricDataResult{result("Complete", []time.Time{m(1)}, []float64{1, 2})}}},
			t:     guard.AtMost(0), want: journey.Errored,
			message: []string{"1 timestamps but 2 values"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeMetrics{pages: tt.pages}
			ev := &recorder{}
			opts := append([]guard.Option{guard.WithClock(func() time.Time { return now }), guard.WithEvidence(ev)}, tt.opts...)
			err := guard.MetricWithin(context.Background(), api, q, 5*time.Minute, tt.t, opts...)
			if got := class(err); got != tt.want {
				t.Fatalf("class = %s (%v), want %s", got, err, tt.want)
			}
			for _, msg := range tt.message {
				if !strings.Contains(err.Error(), msg) {
					t.Errorf("message %q does not contain %q", err, msg)
				}
			}
			if tt.want == journey.Failed && len(ev.labels()) == 0 {
				t.Error("a failure recorded no evidence")
			}
			if tt.want != journey.Failed && len(ev.labels()) != 0 {
				t.Errorf("evidence %v without a failure", ev.labels())
			}
			in := api.calls[0]
			ms := in.MetricDataQueries[0].MetricStat
			if !in.StartTime.Equal(now.Add(-5*time.Minute)) || !in.EndTime.Equal(now) || in.ScanBy != types.ScanByTimestampAscending ||
				aws.ToInt32(ms.Period) != 60 || aws.ToString(ms.Stat) != "Sum" || aws.ToString(ms.Metric.Dimensions[0].Name) != "FunctionName" {
				t.Errorf("request = %+v, metric stat %+v", in, ms)
			}
			if len(api.calls) > 1 && aws.ToString(api.calls[1].NextToken) != "t1" {
				t.Errorf("second call's NextToken = %q, want t1", aws.ToString(api.calls[1].NextToken))
			}
		})
	}
}

func TestMetricDefinitionErrors(t *testing.T) {
	q := guard.MetricQuery{Namespace: "N", Name: "M", Stat: "Sum"}
	tests := []struct {
		name   string
		q      guard.MetricQuery
		window time.Duration
		t      guard.Threshold
		want   string
	}{
		{"no stat", guard.MetricQuery{Namespace: "N", Name: "M"}, time.Minute, guard.AtMost(0), "needs a statistic"},
		{"no name", guard.MetricQuery{Namespace: "N", Stat: "Sum"}, time.Minute, guard.AtMost(0), "needs a namespace and a name"},
		{"period CloudWatch does not have", guard.MetricQuery{Namespace: "N", Name: "M", Stat: "Sum", Period: 90 * time.Second}, 5 * time.Minute, guard.AtMost(0), "period 1m30s is not"},
		{"sub-second period", guard.MetricQuery{Namespace: "N", Name: "M", Stat: "Sum", Period: 1500 * time.Millisecond}, 5 * time.Minute, guard.AtMost(0), "period 1.5s is not"},
		{"window shorter than the period", q, 30 * time.Second, guard.AtMost(0), "shorter than the period 1m"},
		{"no threshold", q, time.Minute, guard.Threshold{}, "an unbounded one would never fail"},
		{"min above max", q, time.Minute, guard.Between(2, 1), "minimum 2 is above its maximum 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeMetrics{}
			err := guard.MetricWithin(context.Background(), api, tt.q, tt.window, tt.t)
			if err == nil || !strings.Contains(err.Error(), tt.want) || class(err) != journey.Errored {
				t.Errorf("err = %v (class %s), want a definition error containing %q", err, class(err), tt.want)
			}
			if len(api.calls) != 0 {
				t.Errorf("%d calls for an invalid guard", len(api.calls))
			}
		})
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		got  fmt.Stringer
		want string
	}{
		{guard.MetricQuery{Namespace: "AWS/ApplicationELB", Name: "TargetResponseTime", Dimensions: map[string]string{"LoadBalancer": "app/shop/1"}, Stat: "p99", Period: 5 * time.Minute},
			"AWS/ApplicationELB TargetResponseTime{LoadBalancer=app/shop/1} p99 per 5m"},
		{guard.MetricQuery{Namespace: "JourneyGate", Name: "JourneySuccess", Stat: "Minimum", Period: 10 * time.Second, Unit: "Count"},
			"JourneyGate JourneySuccess{} Minimum per 10s in Count"},
		{guard.MetricQuery{Namespace: "N", Name: "M", Stat: "Sum", Period: 2 * time.Hour}, "N M{} Sum per 2h"},
		{guard.AtMost(0), "at most 0"},
		{guard.AtLeast(0.99), "at least 0.99"},
		{guard.Between(0.5, 1), "between 0.5 and 1"},
		{guard.Prefixed("checkout-"), `alarms with prefix "checkout-"`},
		{guard.Named("a", "b"), `alarms "a", "b"`},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
