package journey

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/journeygate/journeygate/shared/trigger"
)

// T is the handle a step receives: the run's identity, shared state,
// clients bound to the run, cleanup registration and evidence capture.
// Steps of one journey run in order, but a step may use T from several
// goroutines.
type T struct {
	journey  *Journey
	opts     *Options
	sink     *SinkClient
	inbox    *Inbox // made on first T.Inbox
	logger   *slog.Logger
	mu       sync.Mutex
	state    map[string]any
	evidence []Evidence
	exchange []Evidence // recent HTTP exchanges of the current step
	requests int        // HTTP exchanges of the current step, kept or not
	cleanups []cleanup
	cleaned  bool // the attempt's cleanups ran: later ones cannot
	// undeclaredUse: the current step ended in an UndeclaredError.
	undeclaredUse bool
	// resources are the attempt's leased resources by pool, set before
	// the first step and read-only afterwards.
	resources map[string]*Resource
	// stepPoll is the current step's Step.Poll (see enterStep).
	stepPoll time.Duration
	// stepIndex is the current step's, 0-based; attached counts its
	// attachments (T.Attach).
	stepIndex, attached int
	// secrets are the values registered with T.Secret.
	secrets attemptSecrets
	// captures run when a step does not pass (T.OnFailure).
	captures []capture
	// values are the attempt's values by key (T.AttemptValue).
	values map[any]any
}

type cleanup struct {
	name string
	fn   func(ctx context.Context) error
}

// maxExchanges bounds the HTTP exchanges kept per step: a polling step may
// make hundreds of calls; the last few explain a failure.
const maxExchanges = 4

// maxEvidence bounds the other evidence items kept per step.
const maxEvidence = 32

// RunID identifies the whole run this journey is part of.
func (t *T) RunID() string { return t.opts.RunID }

// Environment names the environment the run targets.
func (t *T) Environment() string { return t.opts.Environment }

// Attempt is the 1-based attempt number of this journey in the run.
func (t *T) Attempt() int { return t.opts.Attempt }

// Stage is the deployment lifecycle stage the run serves, such as
// trigger.BeforeAllowTraffic or trigger.PostTestTrafficShift; "" for a run
// outside a deployment's lifecycle (a schedule, a laptop).
func (t *T) Stage() trigger.Stage { return t.opts.Stage }

// Traffic says which of the environment's targets T.HTTP calls:
// trigger.Test at a pre-traffic stage (the environment's test_targets,
// the version about to get traffic), trigger.Live otherwise.
func (t *T) Traffic() trigger.Traffic { return t.opts.Stage.Traffic() }

// TargetVersion is the version being deployed when the run's trigger
// knows it (a Lambda function version, an ECS service revision ARN), else
// "". At a pre-traffic stage it is the version under test; a Lambda
// journey invokes it directly (package lambdatarget).
func (t *T) TargetVersion() string { return t.opts.TargetVersion }

// Exchange records, as evidence of the current step, a call to the system
// under test made by a client other than T.HTTP (a Lambda invocation, say),
// as T.HTTP records its own: redacted, bodies cut to the excerpt limit, the
// last few of a step kept. label names the call ("Invoke orders:7"),
// answer summarises the reply ("→ 200 after 12ms, function error"); request
// and response are the bodies, either may be empty.
func (t *T) Exchange(label string, request []byte, answer string, response []byte) {
	limit := t.opts.excerptLimit()
	detail := t.requestDetail(request, limit) + t.redact(answer)
	if len(response) > 0 {
		detail += "\n" + t.excerpt(response, limit)
	}
	t.addExchange(Evidence{Label: t.redact(label), Detail: detail})
}

// Journey is the name of the running journey.
func (t *T) Journey() string { return t.journey.Name }

// Unique returns a value unique to this attempt of this journey in this run,
// for labels and names that must never collide with another run's.
func (t *T) Unique() string {
	return t.opts.RunID + "." + t.journey.Name + "." + strconv.Itoa(t.opts.Attempt)
}

// Setting returns an environment setting; when the environment does not
// set it, the default the journey declares (Journey.Settings), else "".
// A name neither declared nor set, most likely a typo, reads "" and leaves
// a line of evidence saying so, since the step then fails far from it.
func (t *T) Setting(key string) string {
	if v, ok := t.opts.Settings[key]; ok {
		return v
	}
	s, ok := t.declared(key)
	if !ok {
		t.noteUnknownSetting(key)
	}
	return s.Default
}

// noteUnknownSetting records, once per step, that key is neither declared
// nor set, with the known name it most likely mistypes.
func (t *T) noteUnknownSetting(key string) {
	label := fmt.Sprintf("setting %q", key)
	known := make([]string, 0, len(t.journey.Settings)+len(t.opts.Settings))
	for _, d := range t.journey.Settings {
		known = append(known, d.Name)
	}
	for k := range t.opts.Settings {
		known = append(known, k)
	}
	slices.Sort(known)
	detail := fmt.Sprintf("not declared in journey %q's Settings nor set in environment %q: read as \"\"%s", t.journey.Name, t.opts.Environment, DidYouMean(key, slices.Compact(known)))
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.ContainsFunc(t.evidence, func(e Evidence) bool { return e.Label == label }) {
		t.appendEvidence(Evidence{Label: label, Detail: detail})
	}
}

// Set stores a value for later steps.
func (t *T) Set(key string, v any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == nil {
		t.state = map[string]any{}
	}
	t.state[key] = v
}

// Get returns a value an earlier step stored.
func (t *T) Get(key string) (any, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.state[key]
	return v, ok
}

// Value returns the state value under key as V. A missing key or a value of
// another type is a fault of the journey itself, reported as an error.
func Value[V any](t *T, key string) (V, error) {
	var zero V
	v, ok := t.Get(key)
	if !ok {
		return zero, fmt.Errorf("run state has no %q: an earlier step must Set it", key)
	}
	typed, ok := v.(V)
	if !ok {
		return zero, fmt.Errorf("run state %q holds %T, not %T", key, v, zero)
	}
	return typed, nil
}

// Cleanup registers an action that runs after the journey's steps, also
// after a failure or a cancelled run, in reverse order of registration.
// All of an attempt's cleanups share one budget (Journey.CleanupBudget,
// default DefaultCleanupBudget), which fn's ctx carries as its deadline: a
// cleanup still running when it ends is abandoned and the ones after it do
// not run, so a hanging cleanup delays the verdict by the budget at most.
// A failed cleanup is recorded, shown with the run's summary and in the
// verdict's notes, and never changes the journey's outcome.
//
// Register a cleanup before the call that creates what it undoes, and let
// it find what to undo by this attempt's label (T.Unique) rather than by an
// ID the call returns: a create call that times out may still have created
// the thing, and only a cleanup registered beforehand removes it.
func (t *T) Cleanup(name string, fn func(ctx context.Context) error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cleaned {
		// A step abandoned past its deadline registered it after the
		// attempt's cleanups ran.
		t.logger.Warn("cleanup registered after the attempt's cleanups ran: not run", "cleanup", name)
		return
	}
	t.cleanups = append(t.cleanups, cleanup{name: name, fn: fn})
}

// Evidence records what the current step saw, to explain a failure.
func (t *T) Evidence(label, format string, args ...any) {
	t.addEvidence(Evidence{Label: t.redact(label), Detail: t.excerpt([]byte(fmt.Sprintf(format, args...)), t.opts.excerptLimit())})
}

func (t *T) addEvidence(e Evidence) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.appendEvidence(e)
}

// appendEvidence adds e, dropping the oldest beyond maxEvidence; t.mu is
// held.
func (t *T) appendEvidence(e Evidence) {
	if len(t.evidence) >= maxEvidence {
		t.evidence = t.evidence[1:]
	}
	t.evidence = append(t.evidence, e)
}

func (t *T) addExchange(e Evidence) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if len(t.exchange) >= maxExchanges {
		t.exchange = t.exchange[1:]
	}
	t.exchange = append(t.exchange, e)
}

// takeEvidence returns and clears the current step's evidence. When the
// step made more HTTP requests than are kept, the kept ones become one
// item labelled "last 4 of 667 requests", so nobody takes them for all.
func (t *T) takeEvidence() []Evidence {
	t.mu.Lock()
	defer t.mu.Unlock()
	exchanges := t.exchange
	if t.requests > len(exchanges) && len(exchanges) > 0 {
		var b strings.Builder
		for i, e := range exchanges {
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(e.Label + "\n" + e.Detail)
		}
		exchanges = []Evidence{{Label: fmt.Sprintf("last %d of %d requests", len(exchanges), t.requests), Detail: b.String()}}
	}
	out := append(exchanges, t.evidence...)
	t.exchange, t.evidence, t.requests = nil, nil, 0
	return out
}

// Logf writes a debug line to the run's log.
func (t *T) Logf(format string, args ...any) {
	t.logger.Debug(fmt.Sprintf(format, args...))
}

// HTTP returns a client bound to the named target's base URL in the run's
// environment. A target the journey does not declare, or the environment
// does not define, is reported when the client is used.
func (t *T) HTTP(target string) *HTTPClient {
	base, ok := t.opts.Targets[target]
	client := t.opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	declared := slices.Contains(t.journey.Targets, target)
	return &HTTPClient{t: t, target: target, base: base, known: ok, declared: declared, client: client}
}

// Sink returns the run's notification sink.
func (t *T) Sink() *SinkClient { return t.sink }
