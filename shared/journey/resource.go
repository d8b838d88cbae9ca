package journey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// Resource is a pre-provisioned test resource (a test account, an API key,
// a tenant) leased exclusively from a pool for one attempt of a journey
// (see Journey.Needs and T.Resource). Its values come from the
// environment's configuration with secret references resolved; they are
// secrets, kept out of every result, log and report. Printing a Resource
// shows its pool and ID only.
type Resource struct {
	pool, id string
	values   map[string]string
	leasedAt time.Time
}

// NewResource returns the resource id of pool with a copy of values. Leasers
// build it; journeys receive it through T.Resource.
func NewResource(pool, id string, values map[string]string) *Resource {
	r := &Resource{pool: pool, id: id, values: make(map[string]string, len(values))}
	for k, v := range values {
		r.values[k] = v
	}
	return r
}

// NewLeasedResource is NewResource for a resource its leaser took at
// leasedAt (Resource.LeasedAt).
func NewLeasedResource(pool, id string, values map[string]string, leasedAt time.Time) *Resource {
	r := NewResource(pool, id, values)
	r.leasedAt = leasedAt
	return r
}

// LeasedAt is when the attempt's lease on the resource was acquired, by
// the leaser's clock; zero when the leaser does not say. A text to a
// leased number received before it belongs to an earlier holder (T.SMS).
func (r *Resource) LeasedAt() time.Time { return r.leasedAt }

// Pool names the pool the resource was leased from.
func (r *Resource) Pool() string { return r.pool }

// ID identifies the resource within its pool, e.g. "tenant-a"; it is not
// a secret.
func (r *Resource) ID() string { return r.id }

// Value returns the value under key. A key the resource does not define is
// a mismatch between the journey and the environments file: Value panics
// naming the pool, the resource and the key, which classifies the step as
// error. Use Lookup for optional values.
func (r *Resource) Value(key string) string {
	v, ok := r.values[key]
	if !ok {
		panic(fmt.Sprintf("resource %q of pool %q has no value %q (defined: %v)", r.id, r.pool, key, r.Keys()))
	}
	return v
}

// Lookup returns the value under key and whether the resource defines it.
func (r *Resource) Lookup(key string) (string, bool) {
	v, ok := r.values[key]
	return v, ok
}

// Keys returns the names of the resource's values, sorted.
func (r *Resource) Keys() []string {
	keys := make([]string, 0, len(r.values))
	for k := range r.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String names the resource without its values.
func (r *Resource) String() string { return fmt.Sprintf("resource %s of pool %s", r.id, r.pool) }

// GoString names the resource without its values, also for %#v.
func (r *Resource) GoString() string { return r.String() }

// LogValue logs the resource without its values.
func (r *Resource) LogValue() slog.Value {
	return slog.GroupValue(slog.String("pool", r.pool), slog.String("id", r.id))
}

// Leaser leases the resources a journey needs (Journey.Needs) for one
// attempt. Package lease implements it over the store and the
// environments file's pools.
type Leaser interface {
	// Lease acquires one resource of each of pools exclusively for holder
	// in environment, waiting as long as each pool allows, and returns them
	// with a function that releases them all, called once after the
	// journey's cleanup. An error names the pool; nothing stays leased then.
	Lease(ctx context.Context, environment, holder string, pools []string) ([]*Resource, func(context.Context) error, error)
}

// Redactor removes secret values from text (*secrets.Redactor implements
// it). Execute passes everything it records through it: messages, evidence
// (before it is cut to an excerpt) and cleanup errors.
type Redactor interface {
	// String returns s with every secret value replaced.
	String(s string) string
}

// Resource returns the resource leased for this attempt from pool. A pool
// the journey does not list in Needs is a bug in the journey: Resource
// panics naming it, which classifies the step as error.
func (t *T) Resource(pool string) *Resource {
	if r, ok := t.resources[pool]; ok {
		return r
	}
	panic(fmt.Sprintf("journey %q has no resource of pool %q: list the pool in the journey's Needs", t.journey.Name, pool))
}

// releaseName is the cleanup entry a failed release is recorded under.
const releaseName = "release leased resources"

// lease acquires the journey's resources before its first step. It returns
// the release function (nil when nothing was leased) or an error that ends
// the attempt with class error.
func (t *T) lease(ctx context.Context) (func(context.Context) error, error) {
	needs := t.journey.Needs
	if len(needs) == 0 {
		return nil, nil
	}
	if t.opts.Leaser == nil {
		return nil, fmt.Errorf("journey needs pools %v, but no pools are configured for this run", needs)
	}
	got, release, err := t.opts.Leaser.Lease(ctx, t.opts.Environment, t.Unique(), slices.Clone(needs))
	if err != nil {
		return nil, err
	}
	t.AttemptValue(leasedAtKey{}, func() any { return time.Now() })
	t.resources = make(map[string]*Resource, len(got))
	for _, r := range got {
		t.resources[r.Pool()] = r
	}
	for _, p := range needs {
		if t.resources[p] == nil {
			if release != nil {
				t.releaseLeases(ctx, release)
			}
			return nil, fmt.Errorf("pool %s: the leaser returned no resource", p)
		}
	}
	return release, nil
}

// releaseLeases returns the attempt's resources, also when the run was
// cancelled, within releaseTimeout; a failure is recorded as a cleanup's.
func (t *T) releaseLeases(ctx context.Context, release func(context.Context) error) []CleanupResult {
	if release == nil {
		return nil
	}
	start := time.Now()
	err := guarded(context.WithoutCancel(ctx), releaseTimeout, t.opts.abandonAfter(), release)
	if errors.Is(err, errGuardAbandoned) {
		err = fmt.Errorf("abandoned: releasing ignored its %s deadline", releaseTimeout)
	}
	if err == nil {
		return nil
	}
	t.logger.Warn("releasing leased resources failed", "err", t.redact(err.Error()))
	return []CleanupResult{{Name: releaseName, Elapsed: time.Since(start), Error: err.Error()}}
}

// redact removes secret values from s (no-op without a Redactor).
func (t *T) redact(s string) string {
	r := t.redactor()
	if r == nil {
		return s
	}
	return r.String(s)
}

// redactCuts replaces in msg, for each Failure in err's chain whose message
// cuts a body, that message by its rendering with the body redacted before
// the cut: redacting msg afterwards cannot find a secret the cut split.
func (t *T) redactCuts(err error, msg string) string {
	red := t.redactor()
	if red == nil {
		return msg
	}
	walkErrors(err, func(e error) {
		if f, ok := e.(*Failure); ok {
			if r, cut := f.redactedMsg(red.String); cut {
				msg = strings.ReplaceAll(msg, f.Msg, r)
			}
		}
	})
	return msg
}

// walkErrors calls fn for err and everything it wraps, a poll timeout's
// last observation included.
func walkErrors(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	if te, ok := err.(*poll.TimeoutError); ok && te.Last != nil {
		walkErrors(te.Last, fn)
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	}
}

// excerpt redacts b, then cuts it to the evidence bound, so a secret the
// cut would split is never half-kept.
func (t *T) excerpt(b []byte, limit int) string {
	r := t.redactor()
	if r == nil {
		return excerpt(b, limit)
	}
	return excerpt([]byte(r.String(string(b))), limit)
}

// redactStep removes secret values from everything a step result records.
func (t *T) redactStep(sr StepResult) StepResult {
	if t.redactor() == nil {
		return sr
	}
	sr.Name = t.redact(sr.Name)
	sr.Message = t.redact(sr.Message)
	if sr.Evidence != nil {
		ev := make([]Evidence, len(sr.Evidence))
		for i, e := range sr.Evidence {
			e.Label, e.Detail = t.redact(e.Label), t.redact(e.Detail)
			ev[i] = e
		}
		sr.Evidence = ev
	}
	return sr
}

// redactResult removes secret values from everything a result records.
func (t *T) redactResult(res Result) Result {
	if t.redactor() == nil {
		return res
	}
	res.Message = t.redact(res.Message)
	if res.Steps != nil {
		steps := make([]StepResult, len(res.Steps))
		for i, s := range res.Steps {
			steps[i] = t.redactStep(s)
		}
		res.Steps = steps
	}
	if res.Cleanup != nil {
		cl := make([]CleanupResult, len(res.Cleanup))
		for i, c := range res.Cleanup {
			c.Name, c.Error = t.redact(c.Name), t.redact(c.Error)
			cl[i] = c
		}
		res.Cleanup = cl
	}
	return res
}

// validateNeeds checks a journey's pools: names as environments and
// journeys are named, each listed once.
func validateNeeds(needs []string, add func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, p := range needs {
		field := fmt.Sprintf("needs[%d]", i)
		switch {
		case p == "":
			add(field, "is empty (name a pool of the environments file)")
		case !validName(p):
			add(field, "pool %q must be lowercase letters, digits and dashes", p)
		case seen[p]:
			add(field, "pool %q is listed twice", p)
		}
		seen[p] = true
	}
}
