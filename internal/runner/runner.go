package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/journeygate/journeygate/internal/decide"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// Plan says what one run executes and where.
type Plan struct {
	// RunID identifies the run; NewRunID makes one.
	RunID string
	// Environment names the target environment.
	Environment string
	// Targets, TestTargets and Settings come from the environment's
	// configuration (envconfig.Environment). The run's trigger decides
	// which targets journeys call: TestTargets at a pre-traffic stage
	// (Trigger.Traffic is trigger.Test), Targets otherwise; a target a
	// journey calls that those lack fails the run before any journey runs.
	Targets     map[string]string
	TestTargets map[string]string
	Settings    map[string]string
	// Journeys are the selected journeys, already validated.
	Journeys []journey.Journey
	// Concurrency bounds how many journeys run at once (default 4).
	Concurrency int
	// BrowserConcurrency bounds, within Concurrency, how many browser
	// journeys (journey.Journey.Browser) run at once (default
	// DefaultBrowserConcurrency): each Chromium costs hundreds of MB.
	BrowserConcurrency int
	// Trigger says what started the run and, for a deployment, which one
	// and at what stage.
	Trigger trigger.Trigger
	// FreezeWindow turns on the unhealthy-environment freeze for a run
	// that gates a deployment: how far back the environment's scheduled
	// runs count (0 = off; envconfig's gate.freeze). See policy.go.
	FreezeWindow time.Duration
}

// Deps are the runner's collaborators.
type Deps struct {
	// Store records the run, its results and its verdict. Required.
	Store store.Store
	// Sink is where the run's notifications arrive; nil disables sink steps.
	Sink journey.SinkReader
	// InboxDomain is the domain of the run's inbox addresses (Sink reads
	// their mail); "" means no inbox.
	InboxDomain string
	// HTTPClient calls targets; nil uses a client with sane limits.
	HTTPClient *http.Client
	// Observe receives progress events from every journey; may be nil.
	Observe func(journey.Event)
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Leases leases the pooled test resources journeys need and keeps
	// secrets out of results, progress and logs (lease.Manager.Apply);
	// nil runs journeys without pools or redaction.
	Leases *lease.Manager
	// Artifacts keeps binary evidence, such as a browser journey's
	// screenshots (journey.Options.Artifacts); nil keeps none.
	Artifacts journey.Artifacts
}

// DefaultBrowserConcurrency is Plan.BrowserConcurrency's default.
const DefaultBrowserConcurrency = 2

// Outcome is a finished run.
type Outcome struct {
	Run store.RunRecord
	// Results holds every attempt of every journey, in plan order and
	// attempt order within a journey; gate.LatestAttempts picks the ones
	// that count, journey.Class a journey's class.
	Results []journey.Result
	Verdict gate.Verdict
}

// NewRunID returns a sortable, unique run ID such as
// 20261121T101500Z-3f9a1c (trigger.NewRunID).
func NewRunID(now time.Time) string { return trigger.NewRunID(now) }

// Run executes plan and returns its outcome. It does not return an error:
// any fault is part of a Failed verdict, which is also recorded when the
// store allows it.
func Run(ctx context.Context, plan Plan, deps Deps) Outcome {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	deps.Logger = secrets.NewLogger(deps.Logger, deps.Leases.Redactor())
	if deps.HTTPClient == nil {
		deps.HTTPClient = DefaultHTTPClient()
	}
	if plan.Concurrency <= 0 {
		plan.Concurrency = 4
	}
	if plan.BrowserConcurrency <= 0 {
		plan.BrowserConcurrency = DefaultBrowserConcurrency
	}
	log := deps.Logger.With("run", plan.RunID, "environment", plan.Environment)
	planned := make([]gate.Planned, len(plan.Journeys))
	for i, j := range plan.Journeys {
		planned[i] = gate.Planned{Name: j.Name, Mode: j.Mode}
	}
	rec := store.RunRecord{
		ID: plan.RunID, Environment: plan.Environment, Trigger: plan.Trigger,
		StartedAt: time.Now().UTC(), Planned: planned,
	}
	var faults []error
	if deps.Store == nil {
		faults = append(faults, errors.New("no store configured"))
	} else if err := deps.Store.CreateRun(ctx, rec); err != nil {
		faults = append(faults, fmt.Errorf("recording the run: %w", err))
	}
	// The stage decides the targets; one missing is a configuration
	// fault, and no journey runs against the wrong version.
	targets, configErr := stageTargets(plan.Trigger, plan.Environment, plan.Targets, plan.TestTargets, plan.Journeys)
	journeys := plan.Journeys
	if configErr != nil {
		log.Error("run not started", "stage", plan.Trigger.Stage, "err", configErr)
		journeys = nil
	}

	attempts := make([][]journey.Result, len(plan.Journeys))
	var mu sync.Mutex
	sem := make(chan struct{}, plan.Concurrency)
	// A browser journey takes a browser slot before a run slot, so one
	// waiting for a browser never holds a slot an API journey could use.
	browserSem := make(chan struct{}, plan.BrowserConcurrency)
	// Results are written in the background, at most Concurrency at once,
	// so a journey's slot is free for the next journey while its result is
	// stored: the store's latency is not added to every wave of journeys.
	writeSem := make(chan struct{}, plan.Concurrency)
	var wg, writes sync.WaitGroup
	for i, j := range journeys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if j.Browser {
				browserSem <- struct{}{}
				defer func() { <-browserSem }()
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			record := func(res journey.Result) (journey.Result, error) {
				log.Info("journey finished", "journey", j.Name, "attempt", res.Attempt, "outcome", res.Outcome, "elapsed", res.Elapsed, "message", res.Message)
				if deps.Store == nil {
					return res, nil
				}
				writes.Go(func() {
					writeSem <- struct{}{}
					defer func() { <-writeSem }()
					if err := deps.Store.PutResult(context.WithoutCancel(ctx), res); err != nil {
						mu.Lock()
						faults = append(faults, fmt.Errorf("recording result of %s attempt %d: %w", j.Name, res.Attempt, err))
						mu.Unlock()
					}
				})
				// A result the store lost still counts, so the verdict
				// (failed closed by the fault) explains the journey too.
				return res, nil
			}
			attempts[i], _ = ExecuteAttempts(ctx, j, deps.Leases.Apply(journey.Options{
				RunID: plan.RunID, Environment: plan.Environment, Attempt: 1,
				Targets: targets, Settings: plan.Settings,
				Stage: plan.Trigger.Stage, TargetVersion: plan.Trigger.TargetVersion,
				HTTPClient: deps.HTTPClient, Sink: deps.Sink, InboxDomain: deps.InboxDomain,
				Logger: deps.Logger, Observe: deps.Observe,
				Artifacts: deps.Artifacts,
			}), Attempts{
				// Retries stay within the journey's budget, as in the
				// cloud, where it is the runner Task's timeout.
				Deadline: time.Now().Add(flow.JourneyTimeout(j, flow.DefaultTimeoutMargin)),
				Record:   record,
				OnRetry: func(next int, prev journey.Result) {
					log.Info("retrying journey", "journey", j.Name, "attempt", next, "after", prev.Outcome)
				},
			})
		}()
	}
	wg.Wait()
	writes.Wait()
	var results []journey.Result
	for _, a := range attempts {
		results = append(results, a...)
	}

	in := gate.Input{Planned: planned, Results: results, Policy: decide.Policy(ctx, deps.Store, rec, plan.FreezeWindow, time.Now().UTC(), log)}
	if configErr != nil || len(faults) > 0 {
		in.Fault = errors.Join(append([]error{configErr}, faults...)...).Error()
	}
	rec.FinishedAt = time.Now().UTC()
	st := deps.Store
	if len(faults) > 0 {
		st = nil // a store that lost the run or a result keeps no verdict of it
	}
	verdict, _ := decide.Record(ctx, st, plan.RunID, in, rec.FinishedAt, log)
	rec.Verdict = &verdict
	log.Info("run finished", "verdict", verdict.Status, "summary", verdict.Summary)
	return Outcome{Run: rec, Results: results, Verdict: verdict}
}

// DefaultHTTPClient returns a client for target calls: no overall timeout
// (each step's deadline bounds its calls) and bounded connection pools.
func DefaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	tr.ResponseHeaderTimeout = 0
	return &http.Client{Transport: tr}
}
