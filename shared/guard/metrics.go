package guard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/journeygate/journeygate/shared/poll"
)

// MetricsAPI is the CloudWatch call metric guards make (*cloudwatch.Client
// implements it).
type MetricsAPI interface {
	// GetMetricData reads metric datapoints, a page at a time.
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// MetricQuery names a metric and how to read it: the same namespace, name,
// dimensions, statistic and period as the alarm or canary that would show
// the failure.
type MetricQuery struct {
	Namespace string
	Name      string
	// Dimensions must be the metric's full set: CloudWatch tells
	// {FunctionName} and {FunctionName, Resource} apart.
	Dimensions map[string]string
	// Stat is a CloudWatch statistic: Average, Sum, Minimum, Maximum,
	// SampleCount, or a percentile such as p99.
	Stat string
	// Period is the time one datapoint covers (default one minute): 1, 5,
	// 10, 20 or 30 seconds for high-resolution metrics, or whole minutes.
	Period time.Duration
	// Unit, when set, reads only data published in that unit.
	Unit string
}

func (q MetricQuery) period() time.Duration {
	if q.Period == 0 {
		return time.Minute
	}
	return q.Period
}

// String names the query, e.g. "AWS/Lambda Errors{FunctionName=checkout}
// Maximum per 1m".
func (q MetricQuery) String() string {
	names := make([]string, 0, len(q.Dimensions))
	for n := range q.Dimensions {
		names = append(names, n)
	}
	slices.Sort(names)
	dims := make([]string, len(names))
	for i, n := range names {
		dims[i] = n + "=" + q.Dimensions[n]
	}
	s := fmt.Sprintf("%s %s{%s} %s per %s", q.Namespace, q.Name, strings.Join(dims, ","), q.Stat, fmtDuration(q.period()))
	if q.Unit != "" {
		s += " in " + q.Unit
	}
	return s
}

func (q MetricQuery) validate(window time.Duration) error {
	p := q.period()
	secs := int64(p / time.Second)
	switch {
	case q.Namespace == "" || q.Name == "":
		return errors.New("a metric query needs a namespace and a name")
	case q.Stat == "":
		return errors.New("a metric query needs a statistic (Average, Sum, Maximum, p99, ...)")
	case p%time.Second != 0 || secs <= 0 || (secs%60 != 0 && !slices.Contains([]int64{1, 5, 10, 20, 30}, secs)):
		return fmt.Errorf("period %s is not 1, 5, 10, 20 or 30 seconds or whole minutes", p)
	case window < p:
		return fmt.Errorf("window %s is shorter than the period %s: it would see at most part of one datapoint", window, fmtDuration(p))
	}
	return nil
}

// Threshold bounds a metric's values. A value equal to a bound is within.
type Threshold struct {
	// Max, when set, is the highest value within the threshold.
	Max *float64
	// Min, when set, is the lowest value within the threshold.
	Min *float64
}

// AtMost is a threshold with an upper bound.
func AtMost(max float64) Threshold { return Threshold{Max: &max} }

// AtLeast is a threshold with a lower bound.
func AtLeast(min float64) Threshold { return Threshold{Min: &min} }

// Between is a threshold with both bounds.
func Between(min, max float64) Threshold { return Threshold{Min: &min, Max: &max} }

// String says what is within, e.g. "at most 0" or "between 0.5 and 1".
func (t Threshold) String() string {
	f := func(v *float64) string { return strconv.FormatFloat(*v, 'g', -1, 64) }
	switch {
	case t.Min != nil && t.Max != nil:
		return "between " + f(t.Min) + " and " + f(t.Max)
	case t.Max != nil:
		return "at most " + f(t.Max)
	case t.Min != nil:
		return "at least " + f(t.Min)
	}
	return "unbounded"
}

func (t Threshold) validate() error {
	switch {
	case t.Min == nil && t.Max == nil:
		return errors.New("a threshold needs a Max, a Min or both: an unbounded one would never fail")
	case t.Min != nil && t.Max != nil && *t.Min > *t.Max:
		return fmt.Errorf("threshold minimum %g is above its maximum %g", *t.Min, *t.Max)
	}
	return nil
}

func (t Threshold) within(v float64) bool {
	return (t.Max == nil || v <= *t.Max) && (t.Min == nil || v >= *t.Min)
}

// queryID is the Id of the guard's one metric data query.
const queryID = "guard"

// MetricWithin checks that every datapoint of q in the window ending now
// is within t (GetMetricData over [now-window, now]). It fails with a
// *Violation listing each offending datapoint (time, value), or saying
// that there were no datapoints at all (unless WithTreatMissingData(
// MissingNotBreaching)). CloudWatch may publish the newest period late;
// a window of a few periods reads what an alarm would.
func MetricWithin(ctx context.Context, api MetricsAPI, q MetricQuery, window time.Duration, t Threshold, opts ...Option) error {
	c := newConfig(opts)
	if err := validate(q, window, t); err != nil {
		return err
	}
	v, _, err := checkMetric(ctx, api, q, window, t, c)
	if err != nil {
		return err
	}
	if v != nil {
		record(c, q, window, t, v)
		return v
	}
	return nil
}

// MetricStaysWithin checks q as MetricWithin does at once and then every
// interval (WithInterval, default DefaultInterval) for the watch, failing
// at the first check that fails; each check reads the window ending at
// that moment. The watch must fit in what is left of the step's SLA.
// Built on poll.Never, so a watch cut short by the step's deadline is an
// SLA breach reporting its last check.
func MetricStaysWithin(ctx context.Context, api MetricsAPI, q MetricQuery, window time.Duration, t Threshold, watch time.Duration, opts ...Option) error {
	c := newConfig(opts)
	if err := validate(q, window, t); err != nil {
		return err
	}
	if watch <= 0 {
		return fmt.Errorf("guard on metric %s: the watch must be longer than zero", q)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < watch {
		return fmt.Errorf("guard on metric %s: a %s watch does not fit in the %s left before the step's deadline", q, fmtDuration(watch), time.Until(deadline).Round(time.Millisecond))
	}
	start := time.Now()
	every := poll.Backoff{First: c.interval, Max: c.interval, Factor: 1}
	err := poll.Never(ctx, watch, every, func(ctx context.Context) error {
		v, seen, err := checkMetric(ctx, api, q, window, t, c)
		switch {
		case v != nil:
			return poll.Stop(v)
		case err != nil && ctx.Err() != nil:
			return err // the watch (or the step) ended during the call
		case err != nil:
			return poll.Stop(err)
		case len(seen) == 0:
			return fmt.Errorf("no datapoints for %s in the last %s (treated as not breaching)", q, fmtDuration(window))
		default:
			return fmt.Errorf("%d datapoints of %s in the last %s within %s, the latest %s", len(seen), q, fmtDuration(window), t, seen[len(seen)-1])
		}
	})
	var v *Violation
	if errors.As(err, &v) {
		v.After, v.Watch = time.Since(start), watch
		record(c, q, window, t, v)
	}
	return err
}

func validate(q MetricQuery, window time.Duration, t Threshold) error {
	if err := q.validate(window); err != nil {
		return fmt.Errorf("guard on metric %s: %w", q, err)
	}
	if err := t.validate(); err != nil {
		return fmt.Errorf("guard on metric %s: %w", q, err)
	}
	return nil
}

// checkMetric reads q over the window ending now and judges it: a
// *Violation when it fails, the datapoints seen, or an infrastructure
// error.
func checkMetric(ctx context.Context, api MetricsAPI, q MetricQuery, window time.Duration, t Threshold, c config) (*Violation, []Datapoint, error) {
	end := c.now()
	seen, err := metricData(ctx, api, q, end.Add(-window), end)
	if err != nil {
		return nil, nil, infra("guard on metric "+q.String(), "GetMetricData", err)
	}
	v := &Violation{Guard: "metric " + q.String(), Datapoints: seen}
	if len(seen) == 0 {
		if c.missing == MissingNotBreaching {
			return nil, seen, nil
		}
		v.Problems = []string{fmt.Sprintf("no datapoints for %s in the last %s: a guard that sees no data cannot vouch for the metric (are the namespace, name and every dimension right?)", q, fmtDuration(window))}
		return v, seen, nil
	}
	for _, d := range seen {
		if !t.within(d.Value) {
			v.Breaches = append(v.Breaches, d)
		}
	}
	if len(v.Breaches) == 0 {
		return nil, seen, nil
	}
	v.Problems = []string{fmt.Sprintf("%s is not %s at %d of %d datapoints in the last %s: %s",
		q, t, len(v.Breaches), len(seen), fmtDuration(window), listed(v.Breaches, ", "))}
	return v, seen, nil
}

// record adds a metric violation's datapoints to the evidence.
func record(c config, q MetricQuery, window time.Duration, t Threshold, v *Violation) {
	if c.evidence == nil {
		return
	}
	if len(v.Datapoints) == 0 {
		c.evidence.Evidence("metric "+q.String(), "no datapoints in the last %s", fmtDuration(window))
		return
	}
	lines := make([]string, 0, len(v.Breaches))
	for _, d := range v.Breaches {
		lines = append(lines, d.String())
	}
	c.evidence.Evidence("datapoints not "+t.String(), "%s\n%s", q, strings.Join(lines, "\n"))
	all := make([]string, 0, len(v.Datapoints))
	for _, d := range v.Datapoints {
		all = append(all, d.String())
	}
	c.evidence.Evidence("datapoints in the last "+fmtDuration(window), "%s", strings.Join(all, "\n"))
}

// metricData reads the datapoints of q in [start, end), oldest first,
// following every NextToken.
func metricData(ctx context.Context, api MetricsAPI, q MetricQuery, start, end time.Time) ([]Datapoint, error) {
	names := make([]string, 0, len(q.Dimensions))
	for n := range q.Dimensions {
		names = append(names, n)
	}
	slices.Sort(names)
	dims := make([]types.Dimension, len(names))
	for i, n := range names {
		dims[i] = types.Dimension{Name: aws.String(n), Value: aws.String(q.Dimensions[n])}
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start),
		EndTime:   aws.Time(end),
		ScanBy:    types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{{
			Id: aws.String(queryID),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.Name), Dimensions: dims},
				Period: aws.Int32(int32(q.period() / time.Second)),
				Stat:   aws.String(q.Stat),
				Unit:   types.StandardUnit(q.Unit),
			},
			ReturnData: aws.Bool(true),
		}},
	}
	byTime := map[time.Time]float64{}
	tokens := map[string]bool{}
	for {
		page, err := api.GetMetricData(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, r := range page.MetricDataResults {
			if aws.ToString(r.Id) != queryID {
				continue
			}
			switch r.StatusCode {
			case types.StatusCodeInternalError, types.StatusCodeForbidden:
				return nil, fmt.Errorf("result status %s: %s", r.StatusCode, messages(r.Messages))
			}
			if len(r.Timestamps) != len(r.Values) {
				return nil, fmt.Errorf("malformed answer: %d timestamps but %d values", len(r.Timestamps), len(r.Values))
			}
			for i, ts := range r.Timestamps {
				byTime[ts.UTC()] = r.Values[i]
			}
		}
		next := aws.ToString(page.NextToken)
		if next == "" {
			break
		}
		if tokens[next] {
			return nil, fmt.Errorf("NextToken %q came back twice: the listing does not end", next)
		}
		tokens[next] = true
		copied := *in
		copied.NextToken = aws.String(next)
		in = &copied
	}
	out := make([]Datapoint, 0, len(byTime))
	for ts, v := range byTime {
		out = append(out, Datapoint{Time: ts, Value: v})
	}
	slices.SortFunc(out, func(a, b Datapoint) int { return a.Time.Compare(b.Time) })
	return out, nil
}

func messages(ms []types.MessageData) string {
	if len(ms) == 0 {
		return "no message"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = aws.ToString(m.Code) + ": " + aws.ToString(m.Value)
	}
	return strings.Join(parts, "; ")
}
