package metrics

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// Namespace is the CloudWatch namespace of every journeygate metric.
const Namespace = "journeygate"

// Dimension names.
const (
	// DimJourney is the journey's name.
	DimJourney = "Journey"
	// DimEnvironment is the environment the run was against.
	DimEnvironment = "Environment"
	// DimTier is the journey's tier (global or domain).
	DimTier = "Tier"
	// DimStep is the step's name.
	DimStep = "Step"
	// DimTrigger is what started the run (codedeploy, codepipeline, schedule, manual).
	DimTrigger = "Trigger"
)

// Journey metric names, with dimension sets [Journey, Environment, Tier,
// Trigger] and [Environment, Tier, Trigger] (StepDuration: [Journey,
// Environment, Tier, Step]). The trigger keeps a deployment gate's runs
// apart from the scheduled runs of the live environment, which alarms and
// pages watch: a gate that rightly fails a broken new version is not
// production being broken.
const (
	// JourneySuccess is 1 when the journey passed, else 0 (unit None).
	JourneySuccess = "JourneySuccess"
	// JourneyDuration is the journey's elapsed time in milliseconds.
	JourneyDuration = "JourneyDuration"
	// StepDuration is one executed step's elapsed time in milliseconds.
	StepDuration = "StepDuration"
	// SLABreaches counts the journey's steps classed sla-breach.
	SLABreaches = "SLABreaches"
	// FlakyPasses is 1 when the journey passed only after a retry, else 0.
	FlakyPasses = "FlakyPasses"
	// JourneyErrors is 1 when the journey's class is error, else 0.
	JourneyErrors = "JourneyErrors"
)

// Gate metric names, with dimension sets [Environment, Trigger] and
// [Environment].
const (
	// GateVerdicts is 1 per decided run.
	GateVerdicts = "GateVerdicts"
	// GateFailed is 1 when the verdict is Failed (anything but Succeeded), else 0.
	GateFailed = "GateFailed"
	// GateOverridden is 1 when an audited override changed the verdict, else 0.
	GateOverridden = "GateOverridden"
	// GateRevisions is 1 per re-decision that replaced a run's verdict
	// (journeygate decide); that record's GateVerdicts and GateFailed are
	// 0, so a run is counted once, when first decided.
	GateRevisions = "GateRevisions"
	// LateReports is 1 per verdict that reached its deployment after the
	// deployment had a status from elsewhere (a timeout, a person): the
	// run's report was too late to count.
	LateReports = "LateReports"
)

// Unknown is reported for a dimension whose value is empty.
const Unknown = "unknown"

// Plain log fields of the records (no metrics, no dimensions).
const (
	fieldRunID   = "RunId"
	fieldOutcome = "Outcome"
	fieldMode    = "Mode"
	fieldStatus  = "Status"
)

// JourneyRun is one journey result to report.
type JourneyRun struct {
	// Result is the journey's recorded result.
	Result journey.Result
	// Attempts is how many times the journey was run to reach Result,
	// retries included; below 1 counts as 1. A pass after more than one
	// attempt is a flaky pass.
	Attempts int
	// Trigger is what started the run ("schedule", "codedeploy", ...).
	Trigger string
}

// GateRun is one decided run to report.
type GateRun struct {
	// RunID identifies the run (a log field, not a dimension).
	RunID string
	// Environment names the environment the run was against.
	Environment string
	// Trigger is what started the run, e.g. "codedeploy".
	Trigger string
	// Status is the verdict; anything but Succeeded counts as Failed, as
	// the gate reports it.
	Status gate.Status
	// Overridden is true when an audited override changed the verdict.
	Overridden bool
	// Revision is true for a re-decision that replaced the run's verdict:
	// counted as a revision, not as another decided run.
	Revision bool
}

// JourneyRecord returns the EMF lines of run stamped at at: the journey
// record, then one StepDuration record per step that ran. A record that
// breaks the specification is left out and named in the error.
func JourneyRecord(at time.Time, run JourneyRun) ([]byte, error) {
	return appendRecords(nil, at, journeyRecords(run)...)
}

// GateRecord returns the EMF line of one decided run stamped at at.
func GateRecord(at time.Time, run GateRun) ([]byte, error) {
	return appendRecords(nil, at, gateRecord(run))
}

// Emitter writes EMF records to W, one Write call per line under a mutex;
// it is safe for concurrent use. A nil Emitter, or one without W, writes
// nothing.
type Emitter struct {
	// W receives the records; in Lambda, os.Stdout.
	W io.Writer
	// Now stamps the records (default time.Now).
	Now func() time.Time

	mu  sync.Mutex
	buf []byte
}

// Journey writes the records of one journey result (see JourneyRecord).
// The error is for the caller to log: metrics never fail a journey.
func (e *Emitter) Journey(run JourneyRun) error {
	if e == nil || e.W == nil {
		return nil
	}
	if err := e.emit(journeyRecords(run)...); err != nil {
		return fmt.Errorf("metrics of journey %s: %w", run.Result.Journey, err)
	}
	return nil
}

// Gate writes the record of one decided run (see GateRecord). The error is
// for the caller to log: metrics never change a verdict.
func (e *Emitter) Gate(run GateRun) error {
	if e == nil || e.W == nil {
		return nil
	}
	if err := e.emit(gateRecord(run)); err != nil {
		return fmt.Errorf("metrics of run %s: %w", run.RunID, err)
	}
	return nil
}

// LateReport writes the record of a verdict that arrived too late (see
// LateReports). The error is for the caller to log.
func (e *Emitter) LateReport(run GateRun) error {
	if e == nil || e.W == nil {
		return nil
	}
	rec := record{
		dims:    []field{{DimEnvironment, dimensionValue(run.Environment)}, {DimTrigger, dimensionValue(run.Trigger)}},
		sets:    gateSets,
		metrics: []metric{{LateReports, unitCount, 1}},
		fields:  []field{{fieldRunID, run.RunID}, {fieldStatus, string(run.Status)}},
	}
	if err := e.emit(rec); err != nil {
		return fmt.Errorf("late-report metric of run %s: %w", run.RunID, err)
	}
	return nil
}

// emit writes each valid record as one line; it stops at a write error.
func (e *Emitter) emit(recs ...record) error {
	now := e.Now
	if now == nil {
		now = time.Now
	}
	at := now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for i := range recs {
		line, err := appendRecords(e.buf[:0], at, recs[i])
		e.buf = line[:0]
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := e.W.Write(line); err != nil {
			errs = append(errs, fmt.Errorf("writing: %w", err))
			break
		}
	}
	return errors.Join(errs...)
}

// appendRecords appends each valid record as a line stamped at at.
func appendRecords(b []byte, at time.Time, recs ...record) ([]byte, error) {
	ms := at.UnixMilli()
	var errs []error
	for i := range recs {
		if err := recs[i].validate(); err != nil {
			errs = append(errs, fmt.Errorf("invalid EMF record: %w", err))
			continue
		}
		start := len(b)
		b = recs[i].appendTo(b, ms)
		if n := len(b) - start; n > maxRecordBytes {
			b = b[:start]
			errs = append(errs, fmt.Errorf("EMF record of %d bytes is over CloudWatch's %d-byte event limit", n, maxRecordBytes))
		}
	}
	return b, errors.Join(errs...)
}

var (
	journeySets = [][]string{{DimJourney, DimEnvironment, DimTier, DimTrigger}, {DimEnvironment, DimTier, DimTrigger}}
	stepSets    = [][]string{{DimJourney, DimEnvironment, DimTier, DimStep}}
	gateSets    = [][]string{{DimEnvironment, DimTrigger}, {DimEnvironment}}
)

// journeyRecords builds the journey record and one record per step that ran.
func journeyRecords(run JourneyRun) []record {
	res := run.Result
	var breaches, executed int
	for _, s := range res.Steps {
		if s.Outcome == journey.SLABreach {
			breaches++
		}
		if s.Outcome != journey.Skipped {
			executed++
		}
	}
	name, env, tier := dimensionValue(res.Journey), dimensionValue(res.Environment), dimensionValue(string(res.Tier))
	recs := make([]record, 0, 1+executed)
	recs = append(recs, record{
		dims: []field{{DimJourney, name}, {DimEnvironment, env}, {DimTier, tier}, {DimTrigger, dimensionValue(run.Trigger)}},
		sets: journeySets,
		metrics: []metric{
			{JourneySuccess, unitNone, flag(res.Outcome == journey.Passed)},
			{JourneyDuration, unitMilliseconds, millis(res.Elapsed)},
			{SLABreaches, unitCount, float64(breaches)},
			{FlakyPasses, unitCount, flag(res.Outcome == journey.Passed && run.Attempts > 1)},
			{JourneyErrors, unitCount, flag(res.Outcome == journey.Errored)},
		},
		fields: []field{{fieldRunID, res.RunID}, {fieldOutcome, string(res.Outcome)}, {fieldMode, string(res.Mode)}},
	})
	for _, s := range res.Steps {
		if s.Outcome == journey.Skipped {
			continue
		}
		recs = append(recs, record{
			dims:    []field{{DimJourney, name}, {DimEnvironment, env}, {DimTier, tier}, {DimStep, dimensionValue(s.Name)}},
			sets:    stepSets,
			metrics: []metric{{StepDuration, unitMilliseconds, millis(s.Elapsed)}},
			fields:  []field{{fieldRunID, res.RunID}, {fieldOutcome, string(s.Outcome)}},
		})
	}
	return recs
}

// gateRecord builds the record of one decided run.
func gateRecord(run GateRun) record {
	return record{
		dims: []field{{DimEnvironment, dimensionValue(run.Environment)}, {DimTrigger, dimensionValue(run.Trigger)}},
		sets: gateSets,
		metrics: []metric{
			{GateVerdicts, unitCount, flag(!run.Revision)},
			{GateFailed, unitCount, flag(!run.Revision && run.Status != gate.Succeeded)},
			{GateOverridden, unitCount, flag(run.Overridden)},
			{GateRevisions, unitCount, flag(run.Revision)},
		},
		fields: []field{{fieldRunID, run.RunID}, {fieldStatus, string(run.Status)}},
	}
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// millis is d in (fractional) milliseconds.
func millis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
