package guard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// AlarmsAPI is the CloudWatch call NoAlarms makes (*cloudwatch.Client
// implements it).
type AlarmsAPI interface {
	// DescribeAlarms lists alarms and their states, a page at a time.
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// AlarmSet selects the alarms a guard checks: exact names, or every alarm
// whose name starts with a prefix. Metric, composite and log alarms all
// count.
type AlarmSet struct {
	// Names are exact alarm names; each must exist.
	Names []string
	// Prefix selects alarms by name prefix; at least one must exist.
	Prefix string
}

// Named selects alarms by their exact names.
func Named(names ...string) AlarmSet { return AlarmSet{Names: names} }

// Prefixed selects every alarm whose name starts with prefix.
func Prefixed(prefix string) AlarmSet { return AlarmSet{Prefix: prefix} }

// String names the set, e.g. `alarms "a", "b"` or `alarms with prefix "checkout-"`.
func (s AlarmSet) String() string {
	if s.Prefix != "" || len(s.Names) == 0 {
		return "alarms with prefix " + strconv.Quote(s.Prefix)
	}
	quoted := make([]quotedName, len(s.Names))
	for i, n := range s.Names {
		quoted[i] = quotedName(n)
	}
	return "alarms " + listed(quoted, ", ")
}

type quotedName string

func (q quotedName) String() string { return strconv.Quote(string(q)) }

func (s AlarmSet) validate() error {
	switch {
	case len(s.Names) > 0 && s.Prefix != "":
		return errors.New("an alarm set has names or a prefix, not both")
	case len(s.Names) == 0 && s.Prefix == "":
		return errors.New("an alarm set needs names or a prefix: an empty set would check nothing")
	case slices.Contains(s.Names, ""):
		return errors.New("an alarm name is empty")
	}
	return nil
}

// maxNamesPerCall is how many names one DescribeAlarms call takes.
const maxNamesPerCall = 100

// allAlarmTypes asks for every kind of alarm: without AlarmTypes,
// DescribeAlarms answers metric alarms only, and a composite alarm would
// look like a name that does not exist.
var allAlarmTypes = []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm, types.AlarmTypeLogAlarm}

// NoAlarms checks that no alarm of set is in ALARM (nor, with
// WithInsufficientDataFailing, in INSUFFICIENT_DATA). It fails with a
// *Violation naming each such alarm with its state reason and since when,
// each named alarm that does not exist, or a prefix no alarm has.
func NoAlarms(ctx context.Context, api AlarmsAPI, set AlarmSet, opts ...Option) error {
	c := newConfig(opts)
	if err := set.validate(); err != nil {
		return fmt.Errorf("guard on %s: %w", set, err)
	}
	guard := set.String()
	found, err := describeAlarms(ctx, api, set)
	if err != nil {
		return infra(guard, "DescribeAlarms", err)
	}
	v := &Violation{Guard: guard}
	var checked []Alarm
	if set.Prefix != "" {
		checked = found // already in name order
		if len(found) == 0 {
			v.Problems = append(v.Problems, fmt.Sprintf("no alarm has the prefix %q", set.Prefix))
		}
	} else {
		byName := map[string]Alarm{}
		for _, a := range found {
			byName[a.Name] = a
		}
		seen := map[string]bool{}
		for _, n := range set.Names {
			if seen[n] {
				continue
			}
			seen[n] = true
			a, ok := byName[n]
			if !ok {
				v.Unknown = append(v.Unknown, n)
				v.Problems = append(v.Problems, fmt.Sprintf("alarm %q does not exist", n))
				continue
			}
			checked = append(checked, a)
		}
	}
	for _, a := range checked {
		if a.State == string(types.StateValueAlarm) || (c.insufficient && a.State == string(types.StateValueInsufficientData)) {
			v.Alarms = append(v.Alarms, a)
			v.Problems = append(v.Problems, a.String())
		}
	}
	if len(v.Problems) == 0 {
		return nil
	}
	if c.evidence != nil {
		for _, a := range v.Alarms {
			c.evidence.Evidence("alarm "+a.Name, "%s", a)
		}
		for _, n := range v.Unknown {
			c.evidence.Evidence("alarm "+n, "does not exist (DescribeAlarms does not know this name)")
		}
		if set.Prefix != "" && len(found) == 0 {
			c.evidence.Evidence("alarms", "no alarm has the prefix %q", set.Prefix)
		}
	}
	return v
}

// describeAlarms lists the alarms of set, following every NextToken.
func describeAlarms(ctx context.Context, api AlarmsAPI, set AlarmSet) ([]Alarm, error) {
	var inputs []*cloudwatch.DescribeAlarmsInput
	if set.Prefix != "" {
		inputs = append(inputs, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(set.Prefix)})
	} else {
		names := slices.Clone(set.Names)
		slices.Sort(names)
		names = slices.Compact(names)
		for chunk := range slices.Chunk(names, maxNamesPerCall) {
			inputs = append(inputs, &cloudwatch.DescribeAlarmsInput{AlarmNames: chunk})
		}
	}
	var out []Alarm
	for _, in := range inputs {
		in.AlarmTypes = allAlarmTypes
		in.MaxRecords = aws.Int32(100)
		tokens := map[string]bool{}
		for {
			page, err := api.DescribeAlarms(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, a := range page.MetricAlarms {
				out = append(out, alarm(types.AlarmTypeMetricAlarm, a.AlarmName, a.StateValue, a.StateReason, a.StateTransitionedTimestamp, a.StateUpdatedTimestamp))
			}
			for _, a := range page.CompositeAlarms {
				out = append(out, alarm(types.AlarmTypeCompositeAlarm, a.AlarmName, a.StateValue, a.StateReason, a.StateTransitionedTimestamp, a.StateUpdatedTimestamp))
			}
			for _, a := range page.LogAlarms {
				out = append(out, alarm(types.AlarmTypeLogAlarm, a.AlarmName, a.StateValue, a.StateReason, a.StateTransitionedTimestamp, a.StateUpdatedTimestamp))
			}
			next := aws.ToString(page.NextToken)
			if next == "" {
				break
			}
			if tokens[next] {
				return nil, fmt.Errorf("NextToken %q came back twice: the listing does not end", next)
			}
			tokens[next] = true
			in = copyWithToken(in, next)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func copyWithToken(in *cloudwatch.DescribeAlarmsInput, token string) *cloudwatch.DescribeAlarmsInput {
	next := *in
	next.NextToken = aws.String(token)
	return &next
}

func alarm(typ types.AlarmType, name *string, state types.StateValue, reason *string, transitioned, updated *time.Time) Alarm {
	a := Alarm{Name: aws.ToString(name), Type: string(typ), State: string(state), Reason: strings.TrimSpace(aws.ToString(reason))}
	switch {
	case transitioned != nil:
		a.Since = transitioned.UTC()
	case updated != nil:
		a.Since = updated.UTC()
	}
	return a
}
