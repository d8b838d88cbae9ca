package guard

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// Recorder receives evidence; a step's *journey.T is one.
type Recorder interface {
	// Evidence records one labelled piece of what the step saw.
	Evidence(label, format string, args ...any)
}

// TreatMissing says how a metric guard treats a window without datapoints.
type TreatMissing int

const (
	// MissingBreaching (the default) fails a guard that sees no
	// datapoints: a guard on a misspelt metric must not pass.
	MissingBreaching TreatMissing = iota
	// MissingNotBreaching lets a guard without datapoints pass, for
	// metrics that are only emitted when something happens.
	MissingNotBreaching
)

// DefaultInterval is how often MetricStaysWithin checks by default.
const DefaultInterval = 10 * time.Second

// Option configures a guard.
type Option func(*config)

type config struct {
	evidence     Recorder
	missing      TreatMissing
	insufficient bool
	interval     time.Duration
	now          func() time.Time
}

func newConfig(opts []Option) config {
	c := config{interval: DefaultInterval, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithEvidence records what a failing guard saw (each offending alarm,
// the offending datapoints) as evidence on r, usually the step's
// *journey.T.
func WithEvidence(r Recorder) Option { return func(c *config) { c.evidence = r } }

// WithTreatMissingData sets how a metric guard treats a window without
// datapoints (default MissingBreaching).
func WithTreatMissingData(m TreatMissing) Option { return func(c *config) { c.missing = m } }

// WithInsufficientDataFailing makes NoAlarms fail on alarms in
// INSUFFICIENT_DATA too, not only on those in ALARM.
func WithInsufficientDataFailing() Option { return func(c *config) { c.insufficient = true } }

// WithInterval sets how often MetricStaysWithin checks (default
// DefaultInterval).
func WithInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.interval = d
		}
	}
}

// WithClock sets the clock a metric window ends at (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Violation is a guard that did not hold. It unwraps to a
// *journey.Failure: a step returning it is failed.
type Violation struct {
	// Guard says what was checked, e.g. `alarms with prefix "checkout-"`.
	Guard string
	// Problems lists each thing wrong in a sentence naming its subject,
	// e.g. `alarm "checkout-5xx" is in ALARM since 2026-11-21T00:55:06Z:
	// Threshold Crossed: ...`.
	Problems []string
	// Alarms are the alarms that failed the guard (NoAlarms).
	Alarms []Alarm
	// Unknown are named alarms that do not exist (NoAlarms).
	Unknown []string
	// Breaches are the datapoints past the threshold (metric guards).
	Breaches []Datapoint
	// Datapoints are all datapoints the metric guard saw, oldest first.
	Datapoints []Datapoint
	// After is how far into a MetricStaysWithin watch it failed.
	After time.Duration
	// Watch is the length of that watch (0 for single checks).
	Watch time.Duration
}

// Error says everything that was wrong (the first few things, when there
// are many).
func (v *Violation) Error() string {
	problems := v.Problems
	if len(problems) > maxListed {
		problems = append(problems[:maxListed:maxListed], fmt.Sprintf("(+%d more)", len(v.Problems)-maxListed))
	}
	msg := strings.Join(problems, "; ")
	if v.Watch > 0 {
		msg = fmt.Sprintf("after %s of a %s watch: %s", v.After.Round(time.Millisecond), fmtDuration(v.Watch), msg)
	}
	return msg
}

// Unwrap returns the failure this violation counts as.
func (v *Violation) Unwrap() error { return &journey.Failure{Msg: v.Error()} }

// Alarm is the state of one alarm as DescribeAlarms reported it.
type Alarm struct {
	Name string
	// Type is MetricAlarm, CompositeAlarm or LogAlarm.
	Type   string
	State  string
	Reason string
	// Since is when the alarm entered its state (StateTransitionedTimestamp,
	// or StateUpdatedTimestamp when that is absent).
	Since time.Time
}

func (a Alarm) String() string {
	s := fmt.Sprintf("alarm %q is in %s", a.Name, a.State)
	if !a.Since.IsZero() {
		s += " since " + a.Since.UTC().Format(time.RFC3339)
	}
	if a.Reason != "" {
		s += ": " + a.Reason
	}
	return s
}

// Datapoint is one value of a metric at the start of its period.
type Datapoint struct {
	Time  time.Time
	Value float64
}

func (d Datapoint) String() string {
	return d.Time.UTC().Format(time.RFC3339) + " " + strconv.FormatFloat(d.Value, 'g', -1, 64)
}

// maxListed bounds the alarms or datapoints a message lists one by one.
const maxListed = 10

// listed joins items, the first maxListed of them, noting how many more.
func listed[T fmt.Stringer](items []T, sep string) string {
	var parts []string
	for i, it := range items {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("(+%d more)", len(items)-maxListed))
			break
		}
		parts = append(parts, it.String())
	}
	return strings.Join(parts, sep)
}

// fmtDuration writes a duration the way people do: 5m, 1h30m, 90s, 1.5s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// infra marks a CloudWatch call's failure as an infrastructure fault.
func infra(guard, op string, err error) error {
	return journey.Infra(fmt.Errorf("%s: cloudwatch %s: %w", guard, op, err))
}
