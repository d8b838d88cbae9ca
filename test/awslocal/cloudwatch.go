package awslocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatchService is the CloudWatch service shape's name, the
// {Service} of its rpcv2Cbor paths: /service/{Service}/operation/{Op}.
const CloudWatchService = "GraniteServiceVersion20100801"

// Alarm states and types, as CloudWatch names them.
const (
	AlarmOK               = "OK"
	AlarmAlarm            = "ALARM"
	AlarmInsufficientData = "INSUFFICIENT_DATA"

	MetricAlarmType    = "MetricAlarm"
	CompositeAlarmType = "CompositeAlarm"
	LogAlarmType       = "LogAlarm"
)

// Alarm is one alarm DescribeAlarms describes.
type Alarm struct {
	Name string
	// Type is MetricAlarmType (the default), CompositeAlarmType or
	// LogAlarmType.
	Type string
	// State is AlarmOK (the default), AlarmAlarm or AlarmInsufficientData.
	State  string
	Reason string
	// Updated is the StateUpdatedTimestamp and Transitioned the
	// StateTransitionedTimestamp; zero means when the alarm was put (for
	// Transitioned: when its state last changed).
	Updated, Transitioned time.Time
	// Metric is what a metric alarm watches (shown, never evaluated).
	Metric Metric
}

// Metric names one metric: CloudWatch tells metrics apart by namespace,
// name and the exact set of dimensions.
type Metric struct {
	Namespace  string
	Name       string
	Dimensions map[string]string
}

func (m Metric) key() string {
	names := make([]string, 0, len(m.Dimensions))
	for n := range m.Dimensions {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(m.Namespace + "\x00" + m.Name)
	for _, n := range names {
		b.WriteString("\x00" + n + "=" + m.Dimensions[n])
	}
	return b.String()
}

// Datapoint is one raw sample of a metric, as PutMetricData would store it.
type Datapoint struct {
	Time  time.Time
	Value float64
}

// CloudWatch is a local CloudWatch endpoint speaking the protocol the
// aws-sdk-go-v2 CloudWatch client (v1.75) speaks: Smithy RPC v2 CBOR,
// AWS-Query-compatible (see rpcv2cbor.go). It serves DescribeAlarms from
// in-memory alarms and GetMetricData from in-memory raw datapoints,
// aggregated per period by the query's statistic (SampleCount, Average,
// Sum, Minimum, Maximum, pNN); both page with NextToken.
//
// DescribeAlarms filters by AlarmNames or AlarmNamePrefix (not both:
// InvalidParameterCombination), AlarmTypes (default: metric alarms only,
// as CloudWatch does) and StateValue, answers in name order, skips unknown
// names silently (as CloudWatch does) and pages by MaxRecords (1-100,
// default 50). GetMetricData takes raw samples with StartTime <= time <
// EndTime into period buckets aligned to the epoch, newest first unless
// ScanBy is TimestampAscending, and pages by MaxDatapoints across all
// queries; a result whose datapoints continue on a later page has
// StatusCode PartialData. Metric math (Expression) and ChildrenOfAlarmName,
// ParentsOfAlarmName and ActionPrefix are not served (InvalidParameterValue
// saying so). A NextToken is good only for the request it was issued
// for; anything else answers InvalidNextToken.
//
// Errors come in CloudWatch's shape: the error shape's ID in __type, its
// message, and X-Amzn-Query-Error with the Query error code, so the SDK
// returns its typed errors (*types.InvalidNextToken,
// *types.InternalServiceFault, ...) and ErrorCode() is the Query code
// ("InvalidNextToken", "InternalServiceError", "Throttling").
type CloudWatch struct {
	*cborEndpoint
	cmu      sync.Mutex
	alarms   map[string]*Alarm
	series   map[string][]Datapoint // by Metric.key
	pageSize int
	tokens   map[string]pageToken
	tokenSeq int
}

// pageToken is what a NextToken stands for: the rest of one request.
type pageToken struct {
	request string // the request without its NextToken
	offset  int
}

// StartCloudWatch starts the endpoint on a free loopback port, stopped when
// t ends.
func StartCloudWatch(t testing.TB) *CloudWatch {
	t.Helper()
	c := &CloudWatch{alarms: map[string]*Alarm{}, series: map[string][]Datapoint{}, tokens: map[string]pageToken{}}
	c.cborEndpoint = startCBOREndpoint(t, CloudWatchService, "monitoring", cloudWatchError, map[string]cborOperation{
		"DescribeAlarms": c.describeAlarms,
		"GetMetricData":  c.getMetricData,
	})
	return c
}

// URL is the endpoint's base URL.
func (c *CloudWatch) URL() string { return c.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (c *CloudWatch) Config() aws.Config { return c.awsConfig() }

// Client returns a real CloudWatch client pointed at the endpoint.
func (c *CloudWatch) Client(optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(c.awsConfig(), optFns...)
}

// Requests lists every call received, including rejected ones. Body is
// the CBOR request rendered as JSON; ErrorCode is the Query error code.
func (c *CloudWatch) Requests() []Request { return c.log() }

// ThrottleNext makes the next n calls answer Throttling (HTTP 400), which
// the SDK's standard retryer retries as a throttle.
func (c *CloudWatch) ThrottleNext(n int) { c.failNext(n, "Throttling", "Rate exceeded") }

// FailNext answers the next n calls with the given Query error code, e.g.
// "InternalServiceError" (HTTP 500), "InvalidParameterValue" or
// "AccessDenied".
func (c *CloudWatch) FailNext(n int, code, message string) { c.failNext(n, code, message) }

// SetPageSize caps the alarms per DescribeAlarms page and the datapoints
// per GetMetricData page below what the request asks for (0: no cap).
func (c *CloudWatch) SetPageSize(n int) {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	c.pageSize = n
}

// SetAlarm creates the metric alarm name, or sets the state and reason of
// an existing alarm of any type, now.
func (c *CloudWatch) SetAlarm(name, state, reason string) {
	c.cmu.Lock()
	a := Alarm{Name: name}
	if prev, ok := c.alarms[name]; ok {
		a = *prev
		a.Updated, a.Transitioned = time.Time{}, time.Time{}
	}
	c.cmu.Unlock()
	a.State, a.Reason = state, reason
	c.PutAlarm(a)
}

// PutAlarm creates or replaces an alarm. It panics on a type or state
// CloudWatch does not have.
func (c *CloudWatch) PutAlarm(a Alarm) {
	if a.Type == "" {
		a.Type = MetricAlarmType
	}
	if a.State == "" {
		a.State = AlarmOK
	}
	if !slices.Contains(alarmTypes, a.Type) || !slices.Contains(stateValues, a.State) {
		panic(fmt.Sprintf("awslocal: alarm %q: type %q or state %q is not CloudWatch's", a.Name, a.Type, a.State))
	}
	if a.Updated.IsZero() {
		a.Updated = time.Now().UTC()
	}
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if a.Transitioned.IsZero() {
		a.Transitioned = a.Updated
		if prev, ok := c.alarms[a.Name]; ok && prev.State == a.State {
			a.Transitioned = prev.Transitioned // the state did not change
		}
	}
	c.alarms[a.Name] = &a
}

// PutDatapoints adds raw samples to a metric.
func (c *CloudWatch) PutDatapoints(m Metric, points []Datapoint) {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	k := m.key()
	c.series[k] = append(c.series[k], points...)
}

// cloudWatchErrors maps Query error codes to CloudWatch's error answers.
var cloudWatchErrors = map[string]cborError{
	"Throttling":                  {status: 400, shape: "com.amazon.coral.availability#ThrottlingException", fault: "Sender"},
	"ServiceUnavailable":          {status: 503, shape: "com.amazon.coral.availability#ServiceUnavailableException", fault: "Receiver"},
	"AccessDenied":                {status: 403, shape: "com.amazon.coral.service#AccessDeniedException", fault: "Sender"},
	"MissingAuthenticationToken":  {status: 403, shape: "com.amazon.coral.service#MissingAuthenticationTokenException", fault: "Sender"},
	"SignatureDoesNotMatch":       {status: 403, shape: "com.amazon.coral.service#SignatureDoesNotMatchException", fault: "Sender"},
	"SerializationException":      {status: 400, shape: "com.amazon.coral.service#SerializationException", fault: "Sender"},
	"UnknownOperationException":   {status: 404, shape: "com.amazon.coral.service#UnknownOperationException", fault: "Sender"},
	"InternalServiceError":        {status: 500, shape: "com.amazonaws.cloudwatch#InternalServiceFault", fault: "Receiver", messageKey: "Message"},
	"InvalidNextToken":            {status: 400, shape: "com.amazonaws.cloudwatch#InvalidNextToken", fault: "Sender"},
	"InvalidParameterValue":       {status: 400, shape: "com.amazonaws.cloudwatch#InvalidParameterValueException", fault: "Sender"},
	"InvalidParameterCombination": {status: 400, shape: "com.amazonaws.cloudwatch#InvalidParameterCombinationException", fault: "Sender"},
	"MissingParameter":            {status: 400, shape: "com.amazonaws.cloudwatch#MissingRequiredParameterException", fault: "Sender"},
	"LimitExceeded":               {status: 400, shape: "com.amazonaws.cloudwatch#LimitExceededFault", fault: "Sender"},
	"ValidationError":             {status: 400, shape: "com.amazonaws.cloudwatch#ValidationException", fault: "Sender"},
}

// cloudWatchError is CloudWatch's answer for a Query error code; a code it
// does not know is sent as given, HTTP 400.
func cloudWatchError(code, message string) *cborError {
	e, ok := cloudWatchErrors[code]
	if !ok {
		e = cborError{status: http.StatusBadRequest, shape: code, fault: "Sender"}
	}
	e.queryCode, e.message = code, message
	if e.messageKey == "" {
		e.messageKey = "message"
	}
	return &e
}

// strictJSON unmarshals in, rejecting members the stand-in does not know:
// a member the client sends that is not declared here is a gap to close.
func strictJSON(in json.RawMessage, v any) *cborError {
	d := json.NewDecoder(bytes.NewReader(in))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return cloudWatchError("SerializationException", err.Error())
	}
	return nil
}

// page returns the offset a request starts at (its NextToken checked
// against the request it was issued for) and a function issuing the token
// for the next page. Call with c.cmu held.
func (c *CloudWatch) page(request any, token *string) (int, func(next int) cbor.Value, *cborError) {
	fingerprint, _ := json.Marshal(request)
	offset := 0
	if token != nil {
		pt, ok := c.tokens[*token]
		if !ok || pt.request != string(fingerprint) {
			return 0, nil, cloudWatchError("InvalidNextToken", "The service couldn't process the NextToken.")
		}
		offset = pt.offset
	}
	issue := func(next int) cbor.Value {
		c.tokenSeq++
		t := fmt.Sprintf("awslocal-page-%d", c.tokenSeq)
		c.tokens[t] = pageToken{request: string(fingerprint), offset: next}
		return cbor.String(t)
	}
	return offset, issue, nil
}

func (c *CloudWatch) limit(asked int) int {
	if c.pageSize > 0 && c.pageSize < asked {
		return c.pageSize
	}
	return asked
}

var stateValues = []string{AlarmOK, AlarmAlarm, AlarmInsufficientData}
var alarmTypes = []string{MetricAlarmType, CompositeAlarmType, LogAlarmType}

func (c *CloudWatch) describeAlarms(body json.RawMessage) (cbor.Map, *cborError) {
	var in struct {
		AlarmNames          []string
		AlarmNamePrefix     *string
		AlarmTypes          []string
		StateValue          string
		ActionPrefix        *string
		ChildrenOfAlarmName *string
		ParentsOfAlarmName  *string
		MaxRecords          *int
		NextToken           *string
	}
	if aerr := strictJSON(body, &in); aerr != nil {
		return nil, aerr
	}
	switch {
	case in.ActionPrefix != nil || in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil:
		return nil, cloudWatchError("InvalidParameterValue", "awslocal: ActionPrefix, ChildrenOfAlarmName and ParentsOfAlarmName are not served")
	case len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil:
		return nil, cloudWatchError("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be specified together")
	case len(in.AlarmNames) > 100:
		return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("The collection AlarmNames must not have a size greater than 100, got %d", len(in.AlarmNames)))
	case in.AlarmNamePrefix != nil && (*in.AlarmNamePrefix == "" || len(*in.AlarmNamePrefix) > 255):
		return nil, cloudWatchError("InvalidParameterValue", "AlarmNamePrefix must be 1 to 255 characters long")
	case in.MaxRecords != nil && (*in.MaxRecords < 1 || *in.MaxRecords > 100):
		return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("MaxRecords must be between 1 and 100, got %d", *in.MaxRecords))
	case in.StateValue != "" && !slices.Contains(stateValues, in.StateValue):
		return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("StateValue %q is not one of %v", in.StateValue, stateValues))
	}
	for _, n := range in.AlarmNames {
		if n == "" || len(n) > 255 {
			return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("alarm name %q must be 1 to 255 characters long", n))
		}
	}
	types := in.AlarmTypes
	if len(types) == 0 {
		types = []string{MetricAlarmType}
	}
	for _, t := range types {
		if !slices.Contains(alarmTypes, t) {
			return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("AlarmTypes member %q is not one of %v", t, alarmTypes))
		}
	}
	asked := 50
	if in.MaxRecords != nil {
		asked = *in.MaxRecords
	}
	token := in.NextToken
	in.NextToken = nil

	c.cmu.Lock()
	defer c.cmu.Unlock()
	offset, issue, aerr := c.page(in, token)
	if aerr != nil {
		return nil, aerr
	}
	var match []*Alarm
	for _, a := range c.alarms {
		switch {
		case !slices.Contains(types, a.Type),
			len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.Name),
			in.AlarmNamePrefix != nil && !strings.HasPrefix(a.Name, *in.AlarmNamePrefix),
			in.StateValue != "" && a.State != in.StateValue:
			continue
		}
		match = append(match, a)
	}
	sort.Slice(match, func(i, j int) bool { return match[i].Name < match[j].Name })
	end := min(offset+c.limit(asked), len(match))
	offset = min(offset, end)
	out := cbor.Map{"MetricAlarms": cbor.List{}, "CompositeAlarms": cbor.List{}}
	if slices.Contains(types, LogAlarmType) {
		out["LogAlarms"] = cbor.List{}
	}
	for _, a := range match[offset:end] {
		list := a.Type + "s"
		out[list] = append(out[list].(cbor.List), alarmShape(a))
	}
	if end < len(match) {
		out["NextToken"] = issue(end)
	}
	return out, nil
}

// alarmShape is a MetricAlarm, CompositeAlarm or LogAlarm structure.
func alarmShape(a *Alarm) cbor.Map {
	m := cbor.Map{
		"AlarmName":                          cbor.String(a.Name),
		"AlarmArn":                           cbor.String("arn:aws:cloudwatch:" + Region + ":" + AccountID + ":alarm:" + a.Name),
		"AlarmConfigurationUpdatedTimestamp": cborTime(a.Transitioned.Add(-time.Hour)),
		"ActionsEnabled":                     cbor.Bool(true),
		"OKActions":                          cbor.List{},
		"AlarmActions":                       cbor.List{},
		"InsufficientDataActions":            cbor.List{},
		"StateValue":                         cbor.String(a.State),
		"StateReason":                        cbor.String(a.Reason),
		"StateUpdatedTimestamp":              cborTime(a.Updated),
		"StateTransitionedTimestamp":         cborTime(a.Transitioned),
	}
	switch a.Type {
	case MetricAlarmType:
		dims := cbor.List{}
		names := make([]string, 0, len(a.Metric.Dimensions))
		for n := range a.Metric.Dimensions {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			dims = append(dims, cbor.Map{"Name": cbor.String(n), "Value": cbor.String(a.Metric.Dimensions[n])})
		}
		m["Namespace"] = cbor.String(a.Metric.Namespace)
		m["MetricName"] = cbor.String(a.Metric.Name)
		m["Dimensions"] = dims
		m["Statistic"] = cbor.String("Maximum")
		m["Period"] = cborInt(60)
		m["EvaluationPeriods"] = cborInt(1)
		m["Threshold"] = cbor.Float64(0)
		m["ComparisonOperator"] = cbor.String("GreaterThanThreshold")
		m["TreatMissingData"] = cbor.String("missing")
	case CompositeAlarmType:
		m["AlarmRule"] = cbor.String("FALSE")
	case LogAlarmType:
		m["Threshold"] = cbor.Float64(0)
		m["ComparisonOperator"] = cbor.String("GreaterThanThreshold")
	}
	return m
}

var (
	queryID     = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)
	percentile  = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,10})?|100)$`)
	highResolve = []int{1, 5, 10, 20, 30}
)

type metricQuery struct {
	ID         string `json:"Id"`
	MetricStat *struct {
		Metric struct {
			Namespace  string
			MetricName string
			Dimensions []struct{ Name, Value string }
		}
		Period int
		Stat   string
		Unit   string
	}
	Expression *string
	Label      *string
	ReturnData *bool
	Period     *int
	AccountID  *string `json:"AccountId"`
}

func (c *CloudWatch) getMetricData(body json.RawMessage) (cbor.Map, *cborError) {
	var in struct {
		MetricDataQueries []metricQuery
		StartTime         *time.Time
		EndTime           *time.Time
		NextToken         *string
		ScanBy            string
		MaxDatapoints     *int
		LabelOptions      *struct{ Timezone string }
	}
	if aerr := strictJSON(body, &in); aerr != nil {
		return nil, aerr
	}
	switch {
	case in.StartTime == nil || in.EndTime == nil:
		return nil, cloudWatchError("MissingParameter", "StartTime and EndTime are required")
	case !in.StartTime.Before(*in.EndTime):
		return nil, cloudWatchError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	case len(in.MetricDataQueries) == 0 || len(in.MetricDataQueries) > 500:
		return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("MetricDataQueries must have 1 to 500 members, got %d", len(in.MetricDataQueries)))
	case in.ScanBy != "" && in.ScanBy != "TimestampDescending" && in.ScanBy != "TimestampAscending":
		return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("ScanBy %q is not TimestampDescending or TimestampAscending", in.ScanBy))
	case in.MaxDatapoints != nil && *in.MaxDatapoints < 1:
		return nil, cloudWatchError("InvalidParameterValue", "MaxDatapoints must be at least 1")
	}
	ids := map[string]bool{}
	for _, q := range in.MetricDataQueries {
		switch {
		case !queryID.MatchString(q.ID):
			return nil, cloudWatchError("ValidationError", fmt.Sprintf("Invalid metric data query Id %q: it must start with a lowercase letter and contain only letters, digits and underscores", q.ID))
		case ids[q.ID]:
			return nil, cloudWatchError("ValidationError", fmt.Sprintf("The value %s for field Id is duplicated.", q.ID))
		case q.Expression != nil:
			return nil, cloudWatchError("InvalidParameterValue", "awslocal: metric math expressions are not served")
		case q.MetricStat == nil:
			return nil, cloudWatchError("MissingParameter", fmt.Sprintf("query %s: exactly one of MetricStat and Expression is required", q.ID))
		}
		ids[q.ID] = true
		p := q.MetricStat.Period
		if p <= 0 || (p%60 != 0 && !slices.Contains(highResolve, p)) {
			return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("query %s: the period %d must be 1, 5, 10, 20, 30 or a multiple of 60", q.ID, p))
		}
		if _, ok := aggregate(q.MetricStat.Stat, []float64{0}); !ok {
			return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("query %s: awslocal serves the statistics SampleCount, Average, Sum, Minimum, Maximum and pNN, not %q", q.ID, q.MetricStat.Stat))
		}
	}
	asked := 100800
	if in.MaxDatapoints != nil {
		asked = *in.MaxDatapoints
	}
	token := in.NextToken
	in.NextToken = nil

	c.cmu.Lock()
	defer c.cmu.Unlock()
	offset, issue, aerr := c.page(in, token)
	if aerr != nil {
		return nil, aerr
	}
	type row struct {
		query int
		t     time.Time
		v     float64
	}
	var rows []row
	var returned []int
	for i, q := range in.MetricDataQueries {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		returned = append(returned, i)
		ms := q.MetricStat
		m := Metric{Namespace: ms.Metric.Namespace, Name: ms.Metric.MetricName, Dimensions: map[string]string{}}
		for _, d := range ms.Metric.Dimensions {
			if _, dup := m.Dimensions[d.Name]; dup {
				return nil, cloudWatchError("InvalidParameterValue", fmt.Sprintf("query %s: dimension %q given twice", q.ID, d.Name))
			}
			m.Dimensions[d.Name] = d.Value
		}
		period := int64(ms.Period)
		buckets := map[int64][]float64{}
		for _, p := range c.series[m.key()] {
			if p.Time.Before(*in.StartTime) || !p.Time.Before(*in.EndTime) {
				continue
			}
			s := p.Time.Unix()
			s -= ((s % period) + period) % period
			buckets[s] = append(buckets[s], p.Value)
		}
		starts := make([]int64, 0, len(buckets))
		for s := range buckets {
			starts = append(starts, s)
		}
		slices.Sort(starts)
		if in.ScanBy != "TimestampAscending" {
			slices.Reverse(starts)
		}
		for _, s := range starts {
			v, _ := aggregate(ms.Stat, buckets[s])
			rows = append(rows, row{query: i, t: time.Unix(s, 0).UTC(), v: v})
		}
	}
	end := min(offset+c.limit(asked), len(rows))
	offset = min(offset, end)
	results := cbor.List{}
	for _, i := range returned {
		q := in.MetricDataQueries[i]
		label := q.MetricStat.Metric.MetricName
		if q.Label != nil {
			label = *q.Label
		}
		ts, vs := cbor.List{}, cbor.List{}
		for _, r := range rows[offset:end] {
			if r.query == i {
				ts = append(ts, cborTime(r.t))
				vs = append(vs, cbor.Float64(r.v))
			}
		}
		status := "Complete"
		if slices.ContainsFunc(rows[end:], func(r row) bool { return r.query == i }) {
			status = "PartialData"
		}
		results = append(results, cbor.Map{
			"Id": cbor.String(q.ID), "Label": cbor.String(label),
			"Timestamps": ts, "Values": vs, "StatusCode": cbor.String(status), "Messages": cbor.List{},
		})
	}
	out := cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}
	if end < len(rows) {
		out["NextToken"] = issue(end)
	}
	return out, nil
}

// aggregate applies a statistic to the samples of one period; ok is false
// for a statistic the stand-in does not serve.
func aggregate(stat string, vs []float64) (v float64, ok bool) {
	switch stat {
	case "SampleCount":
		return float64(len(vs)), true
	case "Sum", "Average":
		sum := 0.0
		for _, x := range vs {
			sum += x
		}
		if stat == "Average" {
			return sum / float64(len(vs)), true
		}
		return sum, true
	case "Minimum":
		return slices.Min(vs), true
	case "Maximum":
		return slices.Max(vs), true
	}
	if !percentile.MatchString(stat) {
		return 0, false
	}
	p, err := strconv.ParseFloat(stat[1:], 64)
	if err != nil || p > 100 {
		return 0, false
	}
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	rank := max(int(math.Ceil(p/100*float64(len(sorted))))-1, 0) // nearest rank
	return sorted[rank], true
}
