package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/decide"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/flow/eventbus"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/trigger"
)

// ReportReserve is the part of the invocation's time kept for reporting:
// the store is read and written under a deadline this much earlier (or a
// third of the time left, when that is less).
const ReportReserve = 15 * time.Second

// Handler is the gate Lambda's handler.
type Handler struct {
	store    store.Store
	reporter *reporter.Reporter
	// retry configures the reporter (WithRetry).
	retry   []reporter.Option
	events  *eventbus.Publisher
	log     *slog.Logger
	metrics *metrics.Emitter
	now     func() time.Time
	// envs configures the freeze per environment (WithEnvironments); nil: no freeze.
	envs *envconfig.Config
	// html writes each run's HTML report (WithHTMLReports); nil: none.
	html *htmlReports
}

// Option configures optional dependencies of a Handler.
type Option func(*Handler)

// WithEvents publishes a run-completed event to bus ("" = "default")
// through api after every verdict.
func WithEvents(api EventsAPI, bus string) Option {
	return func(h *Handler) { h.events = eventbus.New(api, bus) }
}

// WithLogger sets the structured logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithMetrics writes the EMF metrics of each decided run to m (default:
// none). A metrics write error is logged, never returned.
func WithMetrics(m *metrics.Emitter) Option { return func(h *Handler) { h.metrics = m } }

// WithClock sets the clock for the verdict's finish time (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithRetry sets how reports are retried on throttling: attempts in all,
// the first wait base, doubling; sleep waits (tests pass a fake).
func WithRetry(attempts int, base time.Duration, sleep func(context.Context, time.Duration) error) Option {
	return func(h *Handler) { h.retry = append(h.retry, reporter.WithRetry(attempts, base, sleep)) }
}

// New returns a gate over the store reporting through the CodeDeploy and
// CodePipeline clients; all three are required.
func New(st store.Store, cd CodeDeployAPI, cp CodePipelineAPI, opts ...Option) (*Handler, error) {
	var errs []error
	if st == nil {
		errs = append(errs, errors.New("no store"))
	}
	h := &Handler{store: st, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	rep, err := reporter.New(cd, cp, append([]reporter.Option{reporter.WithLogger(h.log)}, h.retry...)...)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("gate handler: %w", err)
	}
	h.reporter = rep
	return h, nil
}

// Handle decides the run's verdict, records it, reports it and publishes
// it. A panic is reported as Failed and returned as a *PanicError.
func (h *Handler) Handle(ctx context.Context, req flow.GateRequest) (resp flow.GateResponse, err error) {
	in := req.Input
	log := h.log.With("run", in.RunID, "environment", in.Environment, "trigger", in.Trigger.Type)
	target, terr := destination(in.Trigger)
	reported := false
	counted := false // the verdict's metrics are written, or were by an earlier invocation
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		perr := &PanicError{Value: fmt.Sprint(v), Stack: string(debug.Stack())}
		log.Error("gate panicked", "panic", perr.Value, "stack", perr.Stack)
		if terr == nil {
			verdict := gate.Decide(gate.Input{Fault: "the gate itself failed: panic: " + perr.Value})
			if !reported {
				if _, rerr := h.send(context.WithoutCancel(ctx), in, verdict, log); rerr != nil {
					log.Error("reporting Failed after a panic", "err", rerr)
				} else {
					perr.Reported = target == ReportedCodeDeploy
				}
			}
			if !counted {
				counted = true
				h.count(in, verdict, log)
			}
		}
		resp, err = flow.GateResponse{}, perr
	}()
	if terr != nil {
		return flow.GateResponse{}, terr
	}

	dctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		// Keep ReportReserve, or a third of a short invocation, for reporting.
		reserve := min(ReportReserve, time.Until(dl)/3)
		var cancel context.CancelFunc
		dctx, cancel = context.WithDeadline(ctx, dl.Add(-reserve))
		defer cancel()
	}
	verdict, decided := h.decide(dctx, req, log)
	counted = true
	if !decided {
		h.count(in, verdict, log)
	}

	resp = flow.GateResponse{
		RunID: in.RunID, Status: string(verdict.Status), Summary: verdict.Summary,
		Reported: target, AlreadyDecided: decided,
	}
	out, rerr := h.send(ctx, in, verdict, log)
	reported = rerr == nil
	h.writeHTMLReport(ctx, in, verdict, log) // after the report: nobody waits for it
	resp.AlreadyReported, resp.LateReport = out.AlreadyCompleted, out.Late
	h.publish(ctx, in, verdict, resp, rerr, log)
	if rerr != nil {
		log.Error("verdict not reported", "status", verdict.Status, "err", rerr)
		return flow.GateResponse{}, rerr
	}
	if out.Late {
		return resp, nil // logged as a late report, not as reported
	}
	log.Info("verdict reported", append([]any{"status", verdict.Status, "summary", verdict.Summary, "reported", target, "alreadyReported", out.AlreadyCompleted, "alreadyDecided", decided}, verdictLogFields(in.RunID, verdict)...)...)
	return resp, nil
}

// count writes the metrics of a decided run; a write error is only logged.
func (h *Handler) count(in flow.Input, v gate.Verdict, log *slog.Logger) {
	h.countAs(in, v, false, log)
}

// countAs writes the metrics of a decided run, or of a re-decision that
// replaced its verdict (revision: the run was counted when first decided).
func (h *Handler) countAs(in flow.Input, v gate.Verdict, revision bool, log *slog.Logger) {
	err := h.metrics.Gate(metrics.GateRun{
		RunID: in.RunID, Environment: in.Environment, Trigger: string(in.Trigger.Type), Status: v.Status,
		Overridden: v.Overridden != nil, Revision: revision,
	})
	if err != nil {
		log.Warn("gate metrics not written", "err", err)
	}
}

// decide returns the run's verdict and whether it had been recorded
// before. Every fault fails the verdict; none is returned.
func (h *Handler) decide(ctx context.Context, req flow.GateRequest, log *slog.Logger) (gate.Verdict, bool) {
	in := req.Input
	var faults []string
	if req.Fault != nil {
		faults = append(faults, "orchestration failed before the gate: "+req.Fault.String())
	}
	for _, it := range req.Items {
		if it.Error != nil {
			faults = append(faults, fmt.Sprintf("runner for journey %s failed: %s", it.Journey, it.Error.String()))
		}
	}
	var planned []gate.Planned
	if req.Plan != nil {
		for _, j := range req.Plan.Journeys {
			planned = append(planned, gate.Planned{Name: j.Name, Mode: j.Mode})
		}
	}

	if err := trigger.ValidateRunID(in.RunID); err != nil {
		faults = append(faults, "cannot read the run: "+err.Error())
		return gate.Decide(gate.Input{Planned: planned, Fault: strings.Join(faults, "; ")}), false
	}
	rec, results, err := store.LoadRun(ctx, h.store, in.RunID)
	switch {
	case err == nil:
		planned = rec.Planned // the store's record of the plan is authoritative
	case errors.Is(err, store.ErrNotFound):
		faults = append(faults, fmt.Sprintf("run %s was never recorded", in.RunID))
		rec = runFromInput(in, planned, h.now().UTC())
		if cerr := h.store.CreateRun(ctx, rec); cerr != nil && !errors.Is(cerr, store.ErrExists) {
			log.Warn("cannot record the run for its verdict", "err", cerr)
		}
	default:
		faults = append(faults, "reading the run's results: "+err.Error())
		rec = runFromInput(in, planned, h.now().UTC())
	}

	policy := h.policy(ctx, rec, in, log)
	return decide.Record(ctx, h.store, in.RunID, gate.Input{Planned: planned, Results: results, Fault: strings.Join(faults, "; "), Policy: policy}, h.now().UTC(), log)
}
