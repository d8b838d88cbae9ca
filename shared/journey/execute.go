package journey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/shared/trigger"
)

// Options configures one execution of a journey.
type Options struct {
	// RunID identifies the run; it correlates requests and notifications.
	RunID string
	// Environment names the target environment.
	Environment string
	// Attempt is the 1-based attempt number (1 unless retried).
	Attempt int
	// Targets maps target names to base URLs: the ones T.HTTP calls. The
	// runner puts there the targets the run's stage uses (the
	// environment's test targets at a pre-traffic stage, its live targets
	// otherwise; see Stage).
	Targets map[string]string
	// Stage is the deployment lifecycle stage the run serves (for example
	// BeforeAllowTraffic or POST_TEST_TRAFFIC_SHIFT), "" for a run outside
	// a deployment's lifecycle. Its Traffic says which targets Targets holds.
	Stage trigger.Stage
	// TargetVersion is the version being deployed, when the trigger knows
	// it (a Lambda deployment's target version, an ECS service revision):
	// what a journey at a pre-traffic stage exercises.
	TargetVersion string
	// Settings are free-form environment settings.
	Settings map[string]string
	// HTTPClient is used for target calls; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Sink is where notifications from the system under test arrive; nil
	// means steps that await notifications fail with an error.
	Sink SinkReader
	// InboxDomain is the domain of the run's inbox addresses (T.Inbox):
	// the local SMTP listener's, or the one Amazon SES receives for in the
	// cloud; "" means the run has no inbox.
	InboxDomain string
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
	// Observe receives progress events; nil ignores them.
	Observe func(Event)
	// MaxBody bounds the bytes read from an HTTP response (default 1 MiB).
	MaxBody int64
	// Excerpt bounds the bytes of a body kept as evidence (default 2 KiB).
	Excerpt int
	// AbandonAfter is how long past its SLA a step that ignores its context
	// is waited for before it is abandoned (default 2 s).
	AbandonAfter time.Duration
	// CleanupBudget bounds all of an attempt's cleanups together, in place
	// of the journey's (Journey.CleanupBudget, default
	// DefaultCleanupBudget); 0 keeps the journey's.
	CleanupBudget time.Duration
	// Poll shapes Eventually, Never and sink waits (default poll.DefaultBackoff).
	Poll poll.Backoff
	// Leaser leases the resources the journey needs (Journey.Needs) before
	// its first step and releases them after its cleanup; nil fails a
	// journey that needs any with class error.
	Leaser Leaser
	// Redactor removes secret values from the result, its evidence and the
	// progress events before anyone sees them; nil keeps text as is (the
	// values a step registers with T.Secret are removed either way).
	Redactor Redactor
	// Artifacts keeps binary evidence (a browser's screenshots, see
	// T.Attach) outside the result; nil keeps none, and the evidence says
	// so.
	Artifacts Artifacts
}

func (o *Options) excerptLimit() int {
	if o.Excerpt <= 0 {
		return DefaultExcerpt
	}
	return o.Excerpt
}

func (o *Options) abandonAfter() time.Duration {
	if o.AbandonAfter <= 0 {
		return 2 * time.Second
	}
	return o.AbandonAfter
}

func (o *Options) maxBody() int64 {
	if o.MaxBody <= 0 {
		return 1 << 20
	}
	return o.MaxBody
}

// EventKind says what happened in an Event.
type EventKind int

const (
	// JourneyStarted: the journey began.
	JourneyStarted EventKind = iota
	// StepStarted: a step began.
	StepStarted
	// StepFinished: a step ended; Event.Step holds its result.
	StepFinished
	// JourneyFinished: the journey and its cleanup ended; Event.Result is
	// set, with Elapsed (the steps) and CleanupElapsed apart.
	JourneyFinished
)

// Event reports progress of one journey.
type Event struct {
	Kind    EventKind
	Journey string
	// Attempt is the 1-based attempt the event belongs to (see Retry).
	Attempt   int
	Index     int // 0-based step index
	StepCount int
	StepName  string
	Step      *StepResult
	Result    *Result
}

// Execute runs a journey's steps in order, each under its SLA, then its
// cleanups under one budget (see T.Cleanup), and returns the result: its
// Elapsed covers the steps, CleanupElapsed the cleanups. It never panics and
// never returns an error: every fault is part of the result.
func Execute(ctx context.Context, j Journey, opts Options) Result {
	if opts.Attempt == 0 {
		opts.Attempt = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Poll == (poll.Backoff{}) {
		// A zero Backoff would otherwise poll every 5 ms without backing off.
		opts.Poll = poll.DefaultBackoff
	}
	observe := opts.Observe
	if observe == nil {
		observe = func(Event) {}
	}
	t := &T{journey: &j, opts: &opts, logger: opts.Logger.With("journey", j.Name, "run", opts.RunID)}
	t.sink = &SinkClient{t: t, reader: opts.Sink}

	res := Result{
		RunID: opts.RunID, Journey: j.Name, Environment: opts.Environment,
		Tier: j.Tier, Owner: j.Owner, Mode: j.Mode, Attempt: opts.Attempt,
		StartedAt: time.Now().UTC(), Outcome: Passed,
	}
	observe(Event{Kind: JourneyStarted, Journey: j.Name, Attempt: opts.Attempt, StepCount: len(j.Steps)})
	start := time.Now()
	release, err := t.lease(ctx)
	if err != nil {
		// Every step is skipped; the message names the pool.
		res.Outcome, res.Message = Errored, t.redact(err.Error())
	}
	for i, s := range j.Steps {
		if res.Outcome != Passed {
			res.Steps = append(res.Steps, StepResult{Name: s.Name, SLA: s.SLA, Outcome: Skipped})
			continue
		}
		observe(Event{Kind: StepStarted, Journey: j.Name, Attempt: opts.Attempt, Index: i, StepCount: len(j.Steps), StepName: s.Name})
		sr := runStep(ctx, t, i, s)
		res.Steps = append(res.Steps, sr)
		observe(Event{Kind: StepFinished, Journey: j.Name, Attempt: opts.Attempt, Index: i, StepCount: len(j.Steps), StepName: s.Name, Step: &sr})
		if sr.Outcome != Passed {
			res.Outcome = sr.Outcome
			res.Message = fmt.Sprintf("step %d/%d (%s): %s", i+1, len(j.Steps), s.Name, sr.Message)
			if t.undeclaredUse {
				res.NoRetry = "the journey's code uses what the journey does not declare: fix the journey"
			}
		}
	}
	res.Elapsed = time.Since(start)
	if i := res.FailedStep(); i >= 0 {
		// What the journey captures to explain a failure leads the failed
		// step's evidence.
		res.Steps[i].Evidence = append(diagnose(ctx, t), res.Steps[i].Evidence...)
	}
	cleanupStart := time.Now()
	res.Cleanup = runCleanups(ctx, t)
	res.Cleanup = append(res.Cleanup, t.releaseLeases(ctx, release)...)
	res.CleanupElapsed = time.Since(cleanupStart)
	res = t.redactResult(res)
	observe(Event{Kind: JourneyFinished, Journey: j.Name, Attempt: opts.Attempt, StepCount: len(j.Steps), Result: &res})
	return res
}

// errAbandoned marks a step that ignored its context past the grace period.
var errAbandoned = errors.New("step ignored its deadline and was abandoned")

func runStep(ctx context.Context, t *T, index int, s Step) StepResult {
	grace := t.opts.abandonAfter()
	sr := StepResult{Name: s.Name, SLA: s.SLA, StartedAt: time.Now().UTC()}
	t.enterStep(index, s)
	start := time.Now()
	err := guarded(ctx, s.SLA, grace, func(ctx context.Context) error { return s.Do(ctx, t) })
	if errors.Is(err, errGuardAbandoned) {
		err = errAbandoned
	}
	sr.Elapsed = time.Since(start)
	sr.Outcome, sr.Message = Classify(err, sr.Elapsed, s.SLA, context.Cause(ctx)) // the cause says why a run stopped: "interrupted (SIGINT)"
	var ue *UndeclaredError
	t.undeclaredUse = sr.Outcome == Errored && errors.As(err, &ue)
	sr.Message = t.redactCuts(err, sr.Message)
	if sr.Outcome != Passed {
		// What explains the failure (a browser's screenshot) joins the
		// step's own evidence.
		t.captureFailure(ctx)
	}
	sr.Evidence = t.takeEvidence()
	var te *poll.TimeoutError
	var ae *AwaitError
	if errors.As(err, &te) && te.Last != nil && !errors.As(err, &ae) && !strings.Contains(sr.Message, te.Last.Error()) {
		// Kept when the message does not say it already (a sink wait's
		// says what arrived).
		sr.Evidence = append(sr.Evidence, Evidence{Label: "last observation", Detail: t.excerpt([]byte(t.redactCuts(te.Last, te.Last.Error())), t.opts.excerptLimit())})
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		sr.Evidence = append(sr.Evidence, Evidence{Label: "panic stack", Detail: t.excerpt([]byte(pe.Stack), t.opts.excerptLimit())})
	}
	return t.redactStep(sr)
}

// Classify turns what a step returned into its outcome and message.
// runErr is the error of the run's own context (cancellation of the whole
// run is a runner fault, not the step's). The message is the cause alone:
// how long the step took against its SLA lives in StepResult's Elapsed and
// SLA, which every report shows beside it (BreachMessage for a breach).
func Classify(err error, elapsed, sla time.Duration, runErr error) (Outcome, string) {
	var pe *PanicError
	var te *poll.TimeoutError
	switch {
	case errors.As(err, &pe):
		return Errored, err.Error()
	case runErr != nil:
		msg := "run cancelled: " + runErr.Error()
		if err != nil {
			msg += ": " + err.Error()
		}
		return Errored, msg
	case err == nil && elapsed > sla:
		return SLABreach, "the step passed, but after its SLA"
	case err == nil:
		return Passed, ""
	case IsFailure(err):
		return Failed, err.Error()
	case errors.Is(err, errAbandoned):
		return SLABreach, err.Error()
	case errors.As(err, &te) && te.Last != nil && IsInfrastructure(te.Last):
		// The deadline passed, but only because the target never answered:
		// an error, not a breach, and worded as one.
		return Errored, err.Error()
	case errors.Is(err, context.DeadlineExceeded) || elapsed >= sla:
		return SLABreach, err.Error()
	default:
		return Errored, err.Error()
	}
}

// errGuardAbandoned is what guarded returns for a function that outlived
// its deadline by more than the grace period.
var errGuardAbandoned = errors.New("abandoned")

// guarded calls fn under a deadline of limit, turning a panic into a
// *PanicError and abandoning fn (left to finish in the background) if it
// ignores its context for grace past the deadline, so neither can hang a run.
func guarded(ctx context.Context, limit, grace time.Duration, fn func(context.Context) error) error {
	fctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- &PanicError{Value: v, Stack: string(debug.Stack())}
			}
		}()
		done <- fn(fctx)
	}()
	abandon := time.NewTimer(limit + grace)
	defer abandon.Stop()
	select {
	case err := <-done:
		return err
	case <-abandon.C:
		return errGuardAbandoned
	}
}

// BreachMessage says how far a step overran its SLA, e.g. "took 10.2s, SLA
// 10s", for reports to put beside a breach's message. The elapsed time is
// shown as FormatOverrun does, never equal to the SLA it overran: "took
// 10s, SLA 10s" would explain nothing.
func BreachMessage(elapsed, sla time.Duration) string {
	return fmt.Sprintf("took %s, SLA %s", FormatOverrun(elapsed, sla), sla)
}

// FormatOverrun renders elapsed, measured against sla, rounded to
// milliseconds (microseconds under one), as every report shows a step's
// time: "10.004s". An elapsed over sla that this rounding would show no
// longer than sla is rounded up instead, so a breach always reads as over
// its SLA: 10.000411s against 10s is "10.001s".
func FormatOverrun(elapsed, sla time.Duration) string {
	unit := time.Millisecond
	if elapsed != 0 && elapsed < time.Millisecond && elapsed > -time.Millisecond {
		unit = time.Microsecond
	}
	r := elapsed.Round(unit)
	if elapsed > sla && r <= sla {
		r = elapsed.Truncate(unit) + unit
	}
	return r.String()
}
