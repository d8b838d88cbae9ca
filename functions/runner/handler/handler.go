package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/flow/eventbus"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/paging"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// DefaultTimeoutMargin is added to a journey's summed SLAs and step
// graces for its runner Task's timeout (flow.JourneyTimeout's margin).
const DefaultTimeoutMargin = flow.DefaultTimeoutMargin

// eventTimeout bounds publishing a Journey Failed event, so a slow bus
// cannot hold the invocation past its Task's timeout.
const eventTimeout = 5 * time.Second

// pagingTimeout bounds deciding whether a failure pages (package paging)
// and, apart, writing its page record; a decision that runs out pages.
const pagingTimeout = 3 * time.Second

// writeReserve is kept from the Lambda deadline for recording the result.
const writeReserve = 3 * time.Second

// maxAttemptTries bounds how often a result is re-numbered when another
// invocation took its attempt number.
const maxAttemptTries = 5

// Handler is the runner Lambda's handler.
type Handler struct {
	reg     *journey.Registry
	envs    *envconfig.Config
	store   store.Store
	sink    journey.SinkReader
	client  *http.Client
	log     *slog.Logger
	metrics *metrics.Emitter
	events  *eventbus.Publisher
	// pager marks a scheduled, enforced failure that repeats a streak
	// which already paged (Repeat); nil marks none.
	pager  *paging.Pager
	margin time.Duration
	now    func() time.Time
	leases *lease.Manager // leases.go
	// artifacts keeps screenshots (artifacts.go); nil keeps none.
	artifacts journey.Artifacts
	// inboxDomain is the journeys' inbox domain (inbox.go); "" none.
	inboxDomain string
}

// Option configures optional dependencies of a Handler.
type Option func(*Handler)

// WithSink sets where the journeys' notifications are read from; without
// it, steps that await notifications fail with an error.
func WithSink(s journey.SinkReader) Option { return func(h *Handler) { h.sink = s } }

// WithHTTPClient sets the client journeys call targets with.
func WithHTTPClient(c *http.Client) Option { return func(h *Handler) { h.client = c } }

// WithLogger sets the structured logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMetrics writes a journey's EMF metrics to m once its result is
// recorded (default: none). A metrics write error is logged, never returned.
func WithMetrics(m *metrics.Emitter) Option { return func(h *Handler) { h.metrics = m } }

// EventsAPI is the part of the EventBridge client the runner uses.
type EventsAPI = eventbus.API

// WithEvents publishes a Journey Failed event (flow.JourneyFailed) to bus
// ("" = "default") through api once a result that did not pass is
// recorded, in any mode. A publishing error is logged, never returned.
func WithEvents(api EventsAPI, bus string) Option {
	return func(h *Handler) { h.events = eventbus.New(api, bus) }
}

// WithPager sets what decides whether a scheduled, enforced failure
// repeats a streak that already paged. Without it, New builds one over
// the store when the store is a paging.Store and events are published.
func WithPager(p *paging.Pager) Option { return func(h *Handler) { h.pager = p } }

// WithTimeoutMargin sets what is added to a journey's summed SLAs for its
// runner Task's timeout (default DefaultTimeoutMargin).
func WithTimeoutMargin(d time.Duration) Option { return func(h *Handler) { h.margin = d } }

// WithClock sets the clock used for run records (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// New returns a runner handler over a validated registry, the parsed
// environments and the store; all three are required.
func New(reg *journey.Registry, envs *envconfig.Config, st store.Store, opts ...Option) (*Handler, error) {
	var errs []error
	if reg == nil {
		errs = append(errs, errors.New("no journey registry"))
	}
	if envs == nil {
		errs = append(errs, errors.New("no environments configuration"))
	}
	if st == nil {
		errs = append(errs, errors.New("no store"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("runner handler: %w", err)
	}
	h := &Handler{reg: reg, envs: envs, store: st, margin: DefaultTimeoutMargin, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = secrets.NewLogger(h.log, h.leases.Redactor())
	if h.client == nil {
		h.client = runner.DefaultHTTPClient()
	}
	if ps, ok := st.(paging.Store); ok && h.pager == nil && h.events != nil {
		p, err := paging.New(ps, paging.WithLogger(h.log), paging.WithClock(h.now))
		if err != nil {
			return nil, fmt.Errorf("runner handler: %w", err)
		}
		h.pager = p
	}
	if h.margin < 0 {
		return nil, fmt.Errorf("runner handler: timeout margin %s is negative", h.margin)
	}
	return h, nil
}

// maxLoggedError bounds a fault's message in the runner's log, where the
// whole of a message cut for the state machine is looked up.
const maxLoggedError = 64 << 10

// Handle dispatches a request on its action: a flow.Plan for "plan", a
// flow.JourneySummary for "run". A fault keeps its error name but its
// message is Cut to flow.MaxErrorMessage (the whole is logged), and a panic
// becomes a *PanicError without its stack: Step Functions copies a caught
// error into the run's state, which has a hard size limit.
func (h *Handler) Handle(ctx context.Context, req flow.RunnerRequest) (out any, err error) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("runner panicked", "action", req.Action, "run", runID(req), "journey", req.Journey,
				"panic", flow.Cut(fmt.Sprint(v), maxLoggedError), "stack", string(debug.Stack()))
			err = &PanicError{Value: fmt.Sprint(v)}
		}
		if err != nil {
			out, err = nil, h.fault(req, err)
		}
	}()
	return h.handle(ctx, req)
}

// fault logs err and returns it as Step Functions is to see it: under the
// name Lambda gives it, its message Cut to flow.MaxErrorMessage, without a
// stack trace.
func (h *Handler) fault(req flow.RunnerRequest, err error) error {
	name := lambdaErrorName(err)
	msg := err.Error()
	h.log.Error("runner fault", "action", req.Action, "run", runID(req), "journey", req.Journey,
		"errorType", name, "err", flow.Cut(msg, maxLoggedError))
	cut := flow.Cut(msg, flow.MaxErrorMessage)
	if ive, ok := err.(messages.InvokeResponse_Error); cut == msg && (!ok || ive.StackTrace == nil) {
		return err // keeps its Go type for callers in Go
	}
	return messages.InvokeResponse_Error{Type: name, Message: cut}
}

// runID is the run a request is for, whatever its action.
func runID(req flow.RunnerRequest) string {
	if req.Input != nil {
		return req.Input.RunID
	}
	return req.RunID
}

// lambdaErrorName is the error name aws-lambda-go reports for err, which
// Step Functions' Retry and Catch match: an InvokeResponse_Error's Type,
// else err's Go type name, a pointer's by its element.
func lambdaErrorName(err error) string {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return ive.Type
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func (h *Handler) handle(ctx context.Context, req flow.RunnerRequest) (any, error) {
	switch req.Action {
	case flow.ActionPlan:
		if req.Input == nil {
			return nil, &InvalidRequestError{Reason: `action "plan" needs "input"`}
		}
		return h.plan(ctx, *req.Input, req.Functions)
	case flow.ActionRun:
		return h.Run(ctx, req.RunRequest)
	case "":
		return nil, &InvalidRequestError{Reason: `no "action": want "plan" or "run"`}
	default:
		return nil, &InvalidRequestError{Reason: fmt.Sprintf("unknown action %q: want \"plan\" or \"run\"", req.Action)}
	}
}

// Plan selects the run's journeys, records the run and returns the plan,
// without the functions that run them (see flow.RunnerRequest.Functions).
func (h *Handler) Plan(ctx context.Context, in flow.Input) (flow.Plan, error) {
	return h.plan(ctx, in, nil)
}

// plan is Plan, each planned journey given the function that runs it when
// functions (by runner) is not nil. A journey whose runner has no function
// there is a ConfigError before the run is recorded: the state machine
// was built without the runner the catalogue needs (flow.ErrNoRunner).
func (h *Handler) plan(ctx context.Context, in flow.Input, functions map[string]string) (flow.Plan, error) {
	if err := in.Validate(); err != nil {
		return flow.Plan{}, &InvalidRequestError{Reason: err.Error()}
	}
	env, err := h.envs.Get(in.Environment)
	if err != nil {
		return flow.Plan{}, &ConfigError{Err: err}
	}
	selected, err := h.selectJourneys(in)
	if err != nil {
		return flow.Plan{}, err
	}
	if len(selected) > flow.MaxJourneysPerRun {
		// Refused, never trimmed: a run that left journeys out could pass.
		return flow.Plan{}, &ConfigError{Err: fmt.Errorf("%d journeys selected, more than the %d one run may plan (flow.MaxJourneysPerRun): narrow the selection by tier, names or services", len(selected), flow.MaxJourneysPerRun)}
	}
	only, err := h.envs.Only(env.Name)
	if err != nil {
		return flow.Plan{}, &ConfigError{Err: err}
	}
	// The run's stage decides its targets: a missing test target is a
	// configuration failure here, before any journey runs.
	if err := only.CheckFor(in.Trigger, selected); err != nil {
		return flow.Plan{}, &ConfigError{Err: err}
	}

	plan := flow.Plan{RunID: in.RunID, Environment: in.Environment, Journeys: []flow.PlannedJourney{}}
	planned := make([]gate.Planned, 0, len(selected))
	for _, j := range selected {
		p := h.planned(j)
		if functions != nil {
			if p.Function = functions[p.Runner]; p.Function == "" {
				return flow.Plan{}, &ConfigError{Err: fmt.Errorf("journey %s runs on the %s runner, and this state machine has none (%s): deploy the stack from this catalogue", j.Name, p.Runner, flow.ErrNoRunner)}
			}
		}
		plan.Journeys = append(plan.Journeys, p)
		planned = append(planned, gate.Planned{Name: j.Name, Mode: j.Mode})
	}
	rec := store.RunRecord{
		ID: in.RunID, Environment: in.Environment, Trigger: in.Trigger,
		StartedAt: h.now().UTC(), Planned: planned,
	}
	if err := h.store.CreateRun(ctx, rec); err != nil {
		if !errors.Is(err, store.ErrExists) {
			return flow.Plan{}, &StoreError{Op: "recording run " + in.RunID, Err: err}
		}
		// A replayed Plan (a retried invocation) is fine if it planned the same.
		prev, gerr := h.store.GetRun(ctx, in.RunID)
		if gerr != nil {
			return flow.Plan{}, &StoreError{Op: "reading existing run " + in.RunID, Err: gerr}
		}
		if !samePlan(prev, rec) {
			return flow.Plan{}, &StoreError{Op: "recording run " + in.RunID, Err: fmt.Errorf("a different run with this ID exists (environment %q, %d journeys planned)", prev.Environment, len(prev.Planned))}
		}
	}
	h.log.Info("run planned", "run", in.RunID, "environment", in.Environment, "trigger", in.Trigger.Type, "journeys", len(plan.Journeys))
	return plan, nil
}

// selectJourneys applies the planning rules described in the package doc.
func (h *Handler) selectJourneys(in flow.Input) ([]journey.Journey, error) {
	for _, n := range in.Journeys {
		if _, ok := h.reg.Get(n); !ok {
			return nil, &UnknownJourneyError{Name: n, Known: h.reg.Names()}
		}
	}
	all, err := h.reg.Select(journey.Selector{Names: in.Journeys, Tier: in.Tier, Environment: in.Environment})
	if err != nil {
		return nil, &InvalidRequestError{Reason: err.Error()}
	}
	byCoverage := in.Trigger.Reports() || len(in.Services) > 0
	var out []journey.Journey
	for _, j := range all {
		if byCoverage && j.Tier == journey.TierDomain && !j.CoversAny(in.Services) {
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

// planned describes j as a Map item, with its runner Task timeout
// (flow.JourneyTimeout, the budget infra/ sizes the function by) and the
// runner the state machine routes it to (flow.RunnerFor).
func (h *Handler) planned(j journey.Journey) flow.PlannedJourney {
	budget := flow.JourneyTimeout(j, h.margin)
	return flow.PlannedJourney{
		Name: j.Name, Mode: j.Mode, Tier: j.Tier,
		SLASeconds:     j.TotalSLA().Seconds(),
		TimeoutSeconds: max(1, int(math.Ceil(budget.Seconds()))),
		Runner:         flow.RunnerFor(j),
	}
}

func samePlan(a, b store.RunRecord) bool {
	return a.Environment == b.Environment && slices.Equal(a.Planned, b.Planned)
}

// Run runs one planned journey, records its result and summarizes it.
func (h *Handler) Run(ctx context.Context, req flow.RunRequest) (flow.JourneySummary, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"runId", req.RunID}, {"environment", req.Environment}, {"journey", req.Journey}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return flow.JourneySummary{}, &InvalidRequestError{Reason: fmt.Sprintf(`action "run" needs %v`, missing)}
	}
	j, ok := h.reg.Get(req.Journey)
	if !ok {
		return flow.JourneySummary{}, &UnknownJourneyError{Name: req.Journey, Known: h.reg.Names()}
	}
	env, err := h.envs.Get(req.Environment)
	if err != nil {
		return flow.JourneySummary{}, &ConfigError{Err: err}
	}
	rec, results, err := store.LoadRun(ctx, h.store, req.RunID)
	if err != nil {
		return flow.JourneySummary{}, &StoreError{Op: "reading run " + req.RunID, Err: err}
	}
	if rec.Environment != req.Environment {
		return flow.JourneySummary{}, &InvalidRequestError{Reason: fmt.Sprintf("run %s is against environment %q, not %q", req.RunID, rec.Environment, req.Environment)}
	}
	if !slices.ContainsFunc(rec.Planned, func(p gate.Planned) bool { return p.Name == j.Name }) {
		return flow.JourneySummary{}, &InvalidRequestError{Reason: fmt.Sprintf("journey %q is not planned for run %s", j.Name, req.RunID)}
	}
	attempt := 1
	for _, r := range results {
		if r.Journey == j.Name && r.Attempt >= attempt {
			attempt = r.Attempt + 1
		}
	}

	// The recorded trigger stands in for a request without one.
	trig := req.Trigger
	if trig.Type == "" {
		trig = rec.Trigger
	}
	log := h.log.With("run", req.RunID, "journey", j.Name)
	started := time.Now()
	runCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithDeadline(ctx, dl.Add(-min(writeReserve, time.Until(dl)/4)))
		defer cancel()
	}
	// Retries happen here, within this one Task, whose timeout
	// (flow.JourneyTimeout) covers every attempt; none starts that could
	// not finish before the Task times out.
	var taskDeadline time.Time
	if req.TimeoutSeconds > 0 {
		taskDeadline = started.Add(time.Duration(req.TimeoutSeconds)*time.Second - writeReserve)
	}
	wctx := context.WithoutCancel(ctx)
	attempts, err := runner.ExecuteAttempts(runCtx, j, h.leases.Apply(journey.Options{
		RunID: req.RunID, Environment: req.Environment, Attempt: attempt,
		Targets: env.TargetsFor(trig.Traffic()), Settings: env.Settings,
		Stage: trig.Stage, TargetVersion: trig.TargetVersion,
		HTTPClient: h.client, Sink: h.sink, Logger: log, Artifacts: h.artifacts, InboxDomain: h.inboxDomain,
	}), runner.Attempts{
		Deadline: taskDeadline,
		Record: func(res journey.Result) (journey.Result, error) {
			log.Info("journey finished", "attempt", res.Attempt, "outcome", res.Outcome, "elapsed", res.Elapsed, "message", res.Message)
			return h.record(wctx, res)
		},
		OnRetry: func(next int, prev journey.Result) {
			log.Info("retrying journey", "attempt", next, "after", prev.Outcome, "message", prev.Message)
		},
	})
	if err != nil {
		return flow.JourneySummary{}, err
	}
	res := attempts[len(attempts)-1]
	var all []journey.Result
	for _, r := range results {
		if r.Journey == j.Name {
			all = append(all, r)
		}
	}
	all = append(all, attempts...)
	class := journey.Class(all)
	// Metrics and the Journey Failed event describe the journey once, by
	// the attempt that counts: a flaky pass is a pass (FlakyPasses 1),
	// never a failure that pages.
	tries := len(journey.Streak(all))
	if err := h.metrics.Journey(metrics.JourneyRun{Result: res, Attempts: tries, Trigger: string(trig.Type)}); err != nil {
		log.Warn("journey metrics not written", "err", err)
	}
	if !res.Outcome.OK() {
		h.failed(ctx, res, trig, log)
	}
	return flow.JourneySummary{
		Journey: j.Name, Outcome: class, Attempt: res.Attempt, Attempts: len(attempts),
		Message: flow.Cut(res.Message, flow.MaxSummaryMessage),
	}, nil
}

// record stores one attempt's result under the next free attempt number:
// when another invocation took its number, it is renumbered after it.
func (h *Handler) record(ctx context.Context, res journey.Result) (journey.Result, error) {
	for try := 1; ; try++ {
		err := h.store.PutResult(ctx, res)
		if err == nil {
			return res, nil
		}
		if !errors.Is(err, store.ErrExists) || try == maxAttemptTries {
			return res, &StoreError{Op: fmt.Sprintf("recording result of %s attempt %d", res.Journey, res.Attempt), Err: err}
		}
		res.Attempt++ // another invocation recorded this attempt; this one is newer
	}
}

// failed publishes the Journey Failed event of res. A scheduled, enforced
// failure is first given to the pager, which marks a repeat of a streak
// that already paged; its page record is written only once the event of
// a page was published, so an unpublished page is never taken for sent.
func (h *Handler) failed(ctx context.Context, res journey.Result, trig trigger.Trigger, log *slog.Logger) {
	if h.events == nil {
		return
	}
	detail := flow.NewJourneyFailed(res, trig)
	var decision *paging.Decision
	if h.pager != nil && trig.Type == trigger.Schedule && res.Mode == journey.ModeEnforce {
		// At most half of what is left: the event must still go out.
		budget := pagingTimeout
		if dl, ok := ctx.Deadline(); ok {
			budget = min(budget, time.Until(dl)/2)
		}
		dctx, cancel := bounded(ctx, budget)
		d := h.pager.Decide(dctx, res)
		cancel()
		detail.Repeat, detail.FailingSince = d.Repeat, d.FailingSince
		decision = &d
		log.Info("journey failure paging", "repeat", d.Repeat, "why", d.Why, "failingSince", d.FailingSince)
	}
	published := h.publishFailed(ctx, detail, log)
	if decision != nil && (published || decision.Repeat) {
		rctx, cancel := bounded(ctx, pagingTimeout)
		defer cancel()
		h.pager.Record(rctx, *decision)
	}
}

// bounded is ctx without its cancellation, for at most d and never past
// ctx's deadline: what follows a recorded result still happens when the
// invocation's context was cancelled.
func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(dl))
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// publishFailed sends the Journey Failed event and reports whether the bus
// took it; failures are logged only. Like the result it follows, it is
// sent even when ctx is cancelled, but for at most eventTimeout and never
// past ctx's deadline.
func (h *Handler) publishFailed(ctx context.Context, detail flow.JourneyFailed, log *slog.Logger) bool {
	pctx, cancel := bounded(ctx, eventTimeout)
	defer cancel()
	if err := h.events.Put(pctx, flow.DetailJourneyFailed, detail); err != nil {
		log.Error("journey-failed event not published", "bus", h.events.Bus(), "err", err)
		return false
	}
	return true
}
