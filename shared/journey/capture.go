package journey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CaptureBudget bounds the captures registered with T.OnFailure for one
// step that did not pass, all together. A browser journey's attempt
// allows for it (Journey.DiagnosticsTime).
const CaptureBudget = 5 * time.Second

type capture struct {
	name string
	fn   func(ctx context.Context) error
}

// OnFailure registers fn to run whenever a step of this attempt does
// not pass: right after the step, before the journey's Diagnostics and
// cleanups, so what it records with T.Evidence and T.Attach joins that
// step's evidence. It is how a package built on T explains a failure
// (package browser keeps a screenshot and what was on the page). All of a
// step's captures share CaptureBudget, which ctx carries as its deadline;
// one still running when it ends is abandoned. An error is recorded as
// evidence in place of what was not captured. A cancelled run captures
// nothing.
func (t *T) OnFailure(name string, fn func(ctx context.Context) error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.captures = append(t.captures, capture{name: name, fn: fn})
}

// captureFailure runs the attempt's captures for the step that did not pass.
func (t *T) captureFailure(ctx context.Context) {
	t.mu.Lock()
	cs := slices.Clone(t.captures)
	t.mu.Unlock()
	if len(cs) == 0 || ctx.Err() != nil {
		return
	}
	bctx, cancel := context.WithTimeout(ctx, CaptureBudget)
	defer cancel()
	deadline, _ := bctx.Deadline()
	for _, c := range cs {
		left := time.Until(deadline)
		if left <= 0 {
			t.Evidence("capture: "+c.name, "not captured: the capture budget of %s was spent", CaptureBudget)
			continue
		}
		err := guarded(bctx, left, 0, c.fn)
		switch {
		case errors.Is(err, errGuardAbandoned):
			t.Evidence("capture: "+c.name, "not captured: the capture budget of %s ran out", CaptureBudget)
		case err != nil:
			t.Evidence("capture: "+c.name, "not captured: %s", err)
		}
	}
}

// AttemptValue returns the attempt's value under key, made by create on
// first use: state that lives as long as the attempt, for a package built
// on T (package browser keeps the attempt's Chromium there). Use a key of
// an unexported type, as for a context value. create runs with no lock
// held by T; when two goroutines race, the first value stored wins.
func (t *T) AttemptValue(key any, create func() any) any {
	t.mu.Lock()
	v, ok := t.values[key]
	t.mu.Unlock()
	if ok {
		return v
	}
	made := create()
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.values[key]; ok {
		return v
	}
	if t.values == nil {
		t.values = map[any]any{}
	}
	t.values[key] = made
	return made
}

// undeclaredTarget is the error of a call to a target the journey does
// not declare, naming those it does and the one it most likely meant.
func (t *T) undeclaredTarget(name string) error {
	declared := "none"
	if len(t.journey.Targets) > 0 {
		declared = strings.Join(t.journey.Targets, ", ")
	}
	return undeclared("target %q is not declared in journey %q's Targets (declared: %s)%s", name, t.journey.Name, declared, DidYouMean(name, t.journey.Targets))
}

// Target returns the base URL of the environment target name, as T.HTTP
// uses it (the stage's targets; see Options.Targets). A target the
// journey does not declare (Journey.Targets) or the environment does not
// define is an error, wrapped with Stop: asking again cannot help.
func (t *T) Target(name string) (string, error) {
	if !slices.Contains(t.journey.Targets, name) {
		return "", t.undeclaredTarget(name)
	}
	base, ok := t.opts.Targets[name]
	if !ok {
		return "", Stop(fmt.Errorf("target %q is not defined in environment %q", name, t.opts.Environment))
	}
	return base, nil
}

// UsesBrowser reports whether the journey declares that it drives a
// browser (Journey.Browser).
func (t *T) UsesBrowser() bool { return t.journey.Browser }
