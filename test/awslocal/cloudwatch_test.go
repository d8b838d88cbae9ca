package awslocal_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/journeygate/journeygate/test/awslocal"
)

func alarmNames(out *cloudwatch.DescribeAlarmsOutput) []string {
	var names []string
	for _, a := range out.MetricAlarms {
		names = append(names, "metric:"+aws.ToString(a.AlarmName)+"="+string(a.StateValue))
	}
	for _, a := range out.CompositeAlarms {
		names = append(names, "composite:"+aws.ToString(a.AlarmName)+"="+string(a.StateValue))
	}
	for _, a := range out.LogAlarms {
		names = append(names, "log:"+aws.ToString(a.AlarmName)+"="+string(a.StateValue))
	}
	return names
}

func TestCloudWatchDescribeAlarms(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	cw.PutAlarm(awslocal.Alarm{Name: "checkout-5xx", Metric: awslocal.Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout"}}})
	cw.SetAlarm("checkout-latency", awslocal.AlarmAlarm, "Threshold Crossed: 1 datapoint [912.0] was greater than the threshold (500.0).")
	cw.PutAlarm(awslocal.Alarm{Name: "checkout-health", Type: awslocal.CompositeAlarmType, State: awslocal.AlarmInsufficientData})
	cw.PutAlarm(awslocal.Alarm{Name: "checkout-logs", Type: awslocal.LogAlarmType})
	cw.SetAlarm("search-5xx", awslocal.AlarmOK, "fine")
	all := []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm, cwtypes.AlarmTypeLogAlarm}

	tests := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want []string
	}{
		{"no filter: metric alarms only, by name", cloudwatch.DescribeAlarmsInput{},
			[]string{"metric:checkout-5xx=OK", "metric:checkout-latency=ALARM", "metric:search-5xx=OK"}},
		{"names, unknown ones skipped", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"search-5xx", "typo", "checkout-5xx"}},
			[]string{"metric:checkout-5xx=OK", "metric:search-5xx=OK"}},
		{"prefix and all types", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("checkout-"), AlarmTypes: all},
			[]string{"metric:checkout-5xx=OK", "metric:checkout-latency=ALARM", "composite:checkout-health=INSUFFICIENT_DATA", "log:checkout-logs=OK"}},
		{"state", cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm, AlarmTypes: all},
			[]string{"metric:checkout-latency=ALARM"}},
		{"composite only", cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}},
			[]string{"composite:checkout-health=INSUFFICIENT_DATA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cw.Client().DescribeAlarms(ctx(t), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := alarmNames(out); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("alarms = %v, want %v", got, tt.want)
			}
			if out.NextToken != nil {
				t.Errorf("NextToken = %q, want none", aws.ToString(out.NextToken))
			}
		})
	}

	t.Run("the fields a guard reads", func(t *testing.T) {
		out, err := cw.Client().DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"checkout-latency", "checkout-5xx"}})
		if err != nil {
			t.Fatal(err)
		}
		a := out.MetricAlarms[1]
		if aws.ToString(a.StateReason) != "Threshold Crossed: 1 datapoint [912.0] was greater than the threshold (500.0)." {
			t.Errorf("StateReason = %q", aws.ToString(a.StateReason))
		}
		for name, ts := range map[string]*time.Time{"StateUpdatedTimestamp": a.StateUpdatedTimestamp, "StateTransitionedTimestamp": a.StateTransitionedTimestamp} {
			if ts == nil || time.Since(*ts) > time.Minute || time.Since(*ts) < 0 {
				t.Errorf("%s = %v, want about now", name, ts)
			}
		}
		if arn := aws.ToString(a.AlarmArn); !strings.HasPrefix(arn, "arn:aws:cloudwatch:us-east-1:") || !strings.HasSuffix(arn, ":alarm:checkout-latency") {
			t.Errorf("AlarmArn = %q", arn)
		}
		m := out.MetricAlarms[0]
		if aws.ToString(m.Namespace) != "AWS/Lambda" || aws.ToString(m.MetricName) != "Errors" || len(m.Dimensions) != 1 || aws.ToString(m.Dimensions[0].Value) != "checkout" {
			t.Errorf("metric of %s = %s %s %+v", aws.ToString(m.AlarmName), aws.ToString(m.Namespace), aws.ToString(m.MetricName), m.Dimensions)
		}
	})
}

func TestCloudWatchSetAlarmTimestamps(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	cw.SetAlarm("a", awslocal.AlarmAlarm, "first")
	describe := func() cwtypes.MetricAlarm {
		out, err := cw.Client().DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}})
		if err != nil || len(out.MetricAlarms) != 1 {
			t.Fatalf("describe: %v, %+v", err, out)
		}
		return out.MetricAlarms[0]
	}
	first := describe()
	time.Sleep(5 * time.Millisecond)
	cw.SetAlarm("a", awslocal.AlarmAlarm, "still")
	same := describe()
	if !same.StateTransitionedTimestamp.Equal(*first.StateTransitionedTimestamp) || !same.StateUpdatedTimestamp.After(*first.StateUpdatedTimestamp) {
		t.Errorf("same state again: transitioned %v -> %v, updated %v -> %v; want transitioned kept, updated later",
			first.StateTransitionedTimestamp, same.StateTransitionedTimestamp, first.StateUpdatedTimestamp, same.StateUpdatedTimestamp)
	}
	time.Sleep(5 * time.Millisecond)
	cw.SetAlarm("a", awslocal.AlarmOK, "recovered")
	changed := describe()
	if !changed.StateTransitionedTimestamp.After(*first.StateTransitionedTimestamp) || changed.StateValue != cwtypes.StateValueOk {
		t.Errorf("state changed: %s, transitioned %v, want OK and later than %v", changed.StateValue, changed.StateTransitionedTimestamp, first.StateTransitionedTimestamp)
	}
}

func TestCloudWatchDescribeAlarmsPaging(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("alarm-%02d", i)
		cw.SetAlarm(name, awslocal.AlarmOK, "")
		want = append(want, "metric:"+name+"=OK")
	}
	cw.SetPageSize(3)
	client := cw.Client()
	p := cloudwatch.NewDescribeAlarmsPaginator(client, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("alarm-")})
	var got []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, alarmNames(out)...)
	}
	if !reflect.DeepEqual(got, want) || pages != 3 {
		t.Errorf("%d pages with %v, want 3 with %v", pages, got, want)
	}

	// MaxRecords below the page size wins.
	out, err := client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	if err != nil || len(out.MetricAlarms) != 2 || out.NextToken == nil {
		t.Fatalf("MaxRecords 2: %v, %d alarms, token %v", err, len(out.MetricAlarms), out.NextToken)
	}
	// A token is good only for the request it was issued for.
	_, err = client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(2), AlarmNamePrefix: aws.String("alarm-"), NextToken: out.NextToken})
	var bad *cwtypes.InvalidNextToken
	if !errors.As(err, &bad) || bad.ErrorCode() != "InvalidNextToken" {
		t.Errorf("token on another request: err = %v, want *types.InvalidNextToken", err)
	}
	_, err = client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("forged")})
	if !errors.As(err, &bad) {
		t.Errorf("forged token: err = %v, want *types.InvalidNextToken", err)
	}
}

func TestCloudWatchGetMetricData(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	base := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return base.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	errorsMetric := awslocal.Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout", "Resource": "checkout:live"}}
	cw.PutDatapoints(errorsMetric, []awslocal.Datapoint{
		{at(0, 5), 1}, {at(0, 35), 3}, // minute 0: two samples
		{at(1, 10), 0},
		{at(3, 0), 4}, {at(3, 20), 2}, {at(3, 40), 6},
		{at(9, 0), 100}, // outside the window
	})
	// Same namespace and name, another dimension set: another metric.
	cw.PutDatapoints(awslocal.Metric{Namespace: "AWS/Lambda", Name: "Errors", Dimensions: map[string]string{"FunctionName": "checkout"}}, []awslocal.Datapoint{{at(0, 0), 50}})

	dims := []cwtypes.Dimension{{Name: aws.String("Resource"), Value: aws.String("checkout:live")}, {Name: aws.String("FunctionName"), Value: aws.String("checkout")}}
	query := func(id, stat string, period int32) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"), Dimensions: dims},
			Period: aws.Int32(period), Stat: aws.String(stat),
		}}
	}
	type series struct {
		times  []time.Time
		values []float64
		status cwtypes.StatusCode
	}
	tests := []struct {
		name   string
		in     cloudwatch.GetMetricDataInput
		want   map[string]series
		absent []string
	}{
		{
			name: "statistics per minute, newest first by default",
			in: cloudwatch.GetMetricDataInput{StartTime: aws.Time(at(0, 0)), EndTime: aws.Time(at(5, 0)), MetricDataQueries: []cwtypes.MetricDataQuery{
				query("maximum", "Maximum", 60), query("average", "Average", 60), query("sum", "Sum", 60),
				query("count", "SampleCount", 60), query("minimum", "Minimum", 60), query("p50", "p50", 60),
			}},
			want: map[string]series{
				"maximum": {[]time.Time{at(3, 0), at(1, 0), at(0, 0)}, []float64{6, 0, 3}, cwtypes.StatusCodeComplete},
				"average": {[]time.Time{at(3, 0), at(1, 0), at(0, 0)}, []float64{4, 0, 2}, cwtypes.StatusCodeComplete},
				"sum":     {[]time.Time{at(3, 0), at(1, 0), at(0, 0)}, []float64{12, 0, 4}, cwtypes.StatusCodeComplete},
				"count":   {[]time.Time{at(3, 0), at(1, 0), at(0, 0)}, []float64{3, 1, 2}, cwtypes.StatusCodeComplete},
				"minimum": {[]time.Time{at(3, 0), at(1, 0), at(0, 0)}, []float64{2, 0, 1}, cwtypes.StatusCodeComplete},
				"p50":     {[]time.Time{at(3, 0), at(1, 0), at(0, 0)}, []float64{4, 0, 1}, cwtypes.StatusCodeComplete},
			},
		},
		{
			name: "five-minute period, ascending; a query without ReturnData is not returned",
			in: cloudwatch.GetMetricDataInput{StartTime: aws.Time(at(0, 0)), EndTime: aws.Time(at(10, 0)), ScanBy: cwtypes.ScanByTimestampAscending,
				MetricDataQueries: []cwtypes.MetricDataQuery{query("sum5", "Sum", 300), func() cwtypes.MetricDataQuery {
					q := query("hidden", "Sum", 300)
					q.ReturnData = aws.Bool(false)
					return q
				}()}},
			want:   map[string]series{"sum5": {[]time.Time{at(0, 0), at(5, 0)}, []float64{16, 100}, cwtypes.StatusCodeComplete}},
			absent: []string{"hidden"},
		},
		{
			name: "a metric without data answers an empty, complete result",
			in: cloudwatch.GetMetricDataInput{StartTime: aws.Time(at(0, 0)), EndTime: aws.Time(at(5, 0)), MetricDataQueries: []cwtypes.MetricDataQuery{{
				Id: aws.String("typo"), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Erors")}, Period: aws.Int32(60), Stat: aws.String("Sum")},
			}}},
			want: map[string]series{"typo": {nil, nil, cwtypes.StatusCodeComplete}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cw.Client().GetMetricData(ctx(t), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]series{}
			for _, r := range out.MetricDataResults {
				var times []time.Time
				for _, ts := range r.Timestamps {
					times = append(times, ts.UTC())
				}
				values := r.Values
				if len(values) == 0 {
					values = nil
				}
				got[aws.ToString(r.Id)] = series{times, values, r.StatusCode}
				if q := tt.in.MetricDataQueries[0]; aws.ToString(r.Label) != aws.ToString(q.MetricStat.Metric.MetricName) {
					t.Errorf("label of %s = %q, want the metric name", aws.ToString(r.Id), aws.ToString(r.Label))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("results = %+v\nwant %+v", got, tt.want)
			}
			if out.NextToken != nil {
				t.Errorf("NextToken = %q, want none", aws.ToString(out.NextToken))
			}
		})
	}
}

func TestCloudWatchGetMetricDataPaging(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	end := time.Now().Truncate(time.Minute)
	m := awslocal.Metric{Namespace: "JourneyGate", Name: "JourneySuccess", Dimensions: map[string]string{"Journey": "checkout"}}
	var want []float64
	var points []awslocal.Datapoint
	for i := range 10 {
		points = append(points, awslocal.Datapoint{Time: end.Add(-time.Duration(10-i) * time.Minute), Value: float64(i)})
		want = append(want, float64(i))
	}
	cw.PutDatapoints(m, points)
	cw.SetPageSize(4)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-time.Hour)), EndTime: aws.Time(end), ScanBy: cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(m.Namespace), MetricName: aws.String(m.Name), Dimensions: []cwtypes.Dimension{{Name: aws.String("Journey"), Value: aws.String("checkout")}}},
			Period: aws.Int32(60), Stat: aws.String("Minimum"),
		}}},
	}
	p := cloudwatch.NewGetMetricDataPaginator(cw.Client(), in)
	var got []float64
	var statuses []cwtypes.StatusCode
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.MetricDataResults {
			got = append(got, r.Values...)
			statuses = append(statuses, r.StatusCode)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if wantStatus := []cwtypes.StatusCode{"PartialData", "PartialData", "Complete"}; !reflect.DeepEqual(statuses, wantStatus) {
		t.Errorf("statuses = %v, want %v", statuses, wantStatus)
	}
	reqs := cw.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	var second struct{ NextToken string }
	if err := json.Unmarshal(reqs[1].Body, &second); err != nil || second.NextToken == "" {
		t.Errorf("second request %s: want a NextToken (%v)", reqs[1].Body, err)
	}
}

func TestCloudWatchErrors(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	cw.SetAlarm("a", awslocal.AlarmOK, "")
	noRetry := func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} }
	describe := func(c *cloudwatch.Client, in *cloudwatch.DescribeAlarmsInput) error {
		_, err := c.DescribeAlarms(ctx(t), in)
		return err
	}
	tests := []struct {
		name     string
		inject   func()
		call     func() error
		wantType any // pointer to a typed error, or nil
		wantCode string
		fault    smithy.ErrorFault
	}{
		{
			name:   "injected InternalServiceError is *types.InternalServiceFault",
			inject: func() { cw.FailNext(1, "InternalServiceError", "Internal service error") },
			call:   func() error { return describe(cw.Client(noRetry), &cloudwatch.DescribeAlarmsInput{}) },
			// The typed error keeps the Query code as its ErrorCode.
			wantType: new(*cwtypes.InternalServiceFault), wantCode: "InternalServiceError", fault: smithy.FaultServer,
		},
		{
			name:     "throttling has the Query code Throttling",
			inject:   func() { cw.ThrottleNext(1) },
			call:     func() error { return describe(cw.Client(noRetry), &cloudwatch.DescribeAlarmsInput{}) },
			wantCode: "Throttling", fault: smithy.FaultClient,
		},
		{
			name: "AlarmNames with AlarmNamePrefix",
			call: func() error {
				return describe(cw.Client(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
			},
			wantType: new(*cwtypes.InvalidParameterCombinationException), wantCode: "InvalidParameterCombination", fault: smithy.FaultClient,
		},
		{
			name: "a statistic the stand-in does not serve",
			call: func() error {
				_, err := cw.Client().GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{
					StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now()),
					MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
						Metric: &cwtypes.Metric{Namespace: aws.String("N"), MetricName: aws.String("M")}, Period: aws.Int32(60), Stat: aws.String("TM(10%:90%)"),
					}}},
				})
				return err
			},
			wantType: new(*cwtypes.InvalidParameterValueException), wantCode: "InvalidParameterValue", fault: smithy.FaultClient,
		},
		{
			name: "a period CloudWatch does not have",
			call: func() error {
				_, err := cw.Client().GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{
					StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now()),
					MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
						Metric: &cwtypes.Metric{Namespace: aws.String("N"), MetricName: aws.String("M")}, Period: aws.Int32(90), Stat: aws.String("Sum"),
					}}},
				})
				return err
			},
			wantType: new(*cwtypes.InvalidParameterValueException), wantCode: "InvalidParameterValue", fault: smithy.FaultClient,
		},
		{
			name: "unsigned",
			call: func() error {
				cfg := cw.Config()
				cfg.Credentials = aws.AnonymousCredentials{}
				return describe(cloudwatch.NewFromConfig(cfg), &cloudwatch.DescribeAlarmsInput{})
			},
			wantCode: "MissingAuthenticationToken", fault: smithy.FaultClient,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.inject != nil {
				tt.inject()
			}
			err := tt.call()
			if tt.wantType != nil && (err == nil || !errors.As(err, tt.wantType)) {
				t.Fatalf("err = %v, want %T", err, tt.wantType)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode || apiErr.ErrorFault() != tt.fault {
				t.Fatalf("err = %v, want an API error with code %s and fault %v", err, tt.wantCode, tt.fault)
			}
		})
	}
}

func TestCloudWatchThrottlingIsRetried(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	cw.SetAlarm("a", awslocal.AlarmOK, "")
	cw.ThrottleNext(2)
	out, err := cw.Client(func(o *cloudwatch.Options) { o.Retryer = retry.NewStandard(noBackoff) }).DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	var codes []string
	for _, r := range cw.Requests() {
		codes = append(codes, r.ErrorCode)
	}
	if want := []string{"Throttling", "Throttling", ""}; !slices.Equal(codes, want) {
		t.Errorf("error codes = %q, want %q", codes, want)
	}
}

// The wire as the CloudWatch client sends it, checked by a plain HTTP
// client: the path, the protocol headers, and CBOR error answers.
func TestCloudWatchWire(t *testing.T) {
	cw := awslocal.StartCloudWatch(t)
	if _, err := cw.Client().DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	if r := cw.Requests()[0]; r.Operation != "DescribeAlarms" || string(r.Body) != `{"AlarmNames":["x"]}` {
		t.Errorf("request = %s %s", r.Operation, r.Body)
	}
	tests := []struct {
		name, path, protocol string
		status               int
	}{
		{"JSON protocol headers are refused", "/service/" + awslocal.CloudWatchService + "/operation/DescribeAlarms", "", http.StatusBadRequest},
		{"unknown operation", "/service/" + awslocal.CloudWatchService + "/operation/PutMetricData", "rpc-v2-cbor", http.StatusNotFound},
		{"wrong service", "/service/Other/operation/DescribeAlarms", "rpc-v2-cbor", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, cw.URL()+tt.path, strings.NewReader(""))
			if tt.protocol != "" {
				req.Header.Set("Smithy-Protocol", tt.protocol)
			}
			req.Header.Set("X-Amzn-Query-Mode", "true")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/cbor" || resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || resp.Header.Get("X-Amzn-Query-Error") == "" {
				t.Errorf("status %d, headers %v; want %d with CBOR protocol headers and X-Amzn-Query-Error", resp.StatusCode, resp.Header, tt.status)
			}
		})
	}
}
