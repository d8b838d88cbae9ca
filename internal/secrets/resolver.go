package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultTTL is how long a Resolver keeps a fetched value by default.
const DefaultTTL = 5 * time.Minute

// ErrNotFound is wrapped by errors for a secret, parameter, environment
// variable or JSON key that does not exist.
var ErrNotFound = errors.New("not found")

// Fetcher reads one named value from a secret store: Secrets Manager or
// Parameter Store (package awssecrets adapts their SDK clients, kept apart
// so that programs that only redact do not link them). A name that does
// not exist is an error wrapping ErrNotFound.
type Fetcher interface {
	// Fetch returns the current value of name.
	Fetch(ctx context.Context, name string) (string, error)
}

// Error is a failure to resolve one reference. It names the reference,
// never a value.
type Error struct {
	// Ref is the reference as Ref.String writes it.
	Ref string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("secret %q: %v", e.Ref, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Option configures optional dependencies of a Resolver.
type Option func(*Resolver)

// WithSecretsManager sets the client for secretsmanager: references
// (without it they fail).
// (awssecrets.SecretsManager adapts the SDK client).
func WithSecretsManager(f Fetcher) Option { return func(r *Resolver) { r.sm = f } }

// WithParameterStore sets the client for ssm: references (without it they
// fail).
// (awssecrets.ParameterStore adapts the SDK client).
func WithParameterStore(f Fetcher) Option { return func(r *Resolver) { r.ps = f } }

// WithGetenv sets how env: references are read, e.g. os.Getenv in main
// (without it they fail).
func WithGetenv(getenv func(string) string) Option { return func(r *Resolver) { r.getenv = getenv } }

// WithTTL sets how long fetched values are kept (default DefaultTTL); zero
// or less disables caching, though concurrent resolutions still share a
// call.
func WithTTL(d time.Duration) Option { return func(r *Resolver) { r.ttl = d } }

// WithClock sets the clock the TTL is measured with (default time.Now).
func WithClock(now func() time.Time) Option { return func(r *Resolver) { r.now = now } }

// WithRedactor sets the Redactor resolved values are added to (default: a
// new one, see Resolver.Redactor), so several resolvers can share one.
func WithRedactor(red *Redactor) Option { return func(r *Resolver) { r.red = red } }

// Resolver resolves references to values, caching fetched ones. It is safe
// for concurrent use.
type Resolver struct {
	sm     Fetcher
	ps     Fetcher
	getenv func(string) string
	ttl    time.Duration
	now    func() time.Time
	red    *Redactor

	mu    sync.Mutex
	cache map[source]cached
	calls map[source]*call
}

// source is one fetchable thing: a secret or a parameter.
type source struct {
	scheme Scheme
	name   string
}

type cached struct {
	value   string
	expires time.Time
}

// call is one fetch in flight, shared by concurrent resolutions.
type call struct {
	done  chan struct{}
	value string
	err   error
}

// New returns a Resolver. Which schemes work depends on the options.
func New(opts ...Option) *Resolver {
	r := &Resolver{ttl: DefaultTTL, now: time.Now, cache: map[source]cached{}, calls: map[source]*call{}}
	for _, o := range opts {
		o(r)
	}
	if r.red == nil {
		r.red = NewRedactor()
	}
	return r
}

// Redactor returns the Redactor holding every value this Resolver has
// returned.
func (r *Resolver) Redactor() *Redactor { return r.red }

// Resolve returns the value ref points at and adds it to the Redactor. A
// plain string without a scheme is returned as is. Errors are *Error, but
// for a malformed reference (Parse's error).
func (r *Resolver) Resolve(ctx context.Context, ref string) (string, error) {
	p, err := Parse(ref)
	if err != nil {
		return "", err
	}
	v, err := r.resolve(ctx, p)
	if err != nil {
		return "", &Error{Ref: p.String(), Err: err}
	}
	if v == "" {
		return "", &Error{Ref: p.String(), Err: errors.New("the value is empty")}
	}
	r.red.Add(v)
	return v, nil
}

func (r *Resolver) resolve(ctx context.Context, p Ref) (string, error) {
	switch p.Scheme {
	case Literal:
		return p.Name, nil
	case Env:
		if r.getenv == nil {
			return "", errors.New("environment variables are not available (no WithGetenv)")
		}
		if v := r.getenv(p.Name); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("environment variable %s is unset or empty: %w", p.Name, ErrNotFound)
	}
	v, err := r.fetch(ctx, source{scheme: p.Scheme, name: p.Name})
	if err != nil || p.Key == "" {
		return v, err
	}
	return member(v, p.Key)
}

// fetch returns a secret's or parameter's value from the cache or, once
// for all concurrent callers, from the service.
func (r *Resolver) fetch(ctx context.Context, src source) (string, error) {
	for {
		r.mu.Lock()
		if c, ok := r.cache[src]; ok && r.now().Before(c.expires) {
			r.mu.Unlock()
			return c.value, nil
		}
		if c, ok := r.calls[src]; ok {
			r.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if c.err != nil && ctx.Err() == nil && (errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) {
				continue // the caller that fetched gave up, this one has not: fetch again
			}
			return c.value, c.err
		}
		c := &call{done: make(chan struct{})}
		r.calls[src] = c
		r.mu.Unlock()
		r.lead(ctx, src, c)
		return c.value, c.err
	}
}

// lead fetches for c's waiters and publishes the outcome, also if the
// client panics.
func (r *Resolver) lead(ctx context.Context, src source, c *call) {
	defer func() {
		r.mu.Lock()
		delete(r.calls, src)
		if c.err == nil && r.ttl > 0 {
			r.cache[src] = cached{value: c.value, expires: r.now().Add(r.ttl)}
		}
		r.mu.Unlock()
		close(c.done)
	}()
	c.err = errors.New("the fetch panicked") // what waiters see if load panics
	c.value, c.err = r.load(ctx, src)
}

// load asks the service.
func (r *Resolver) load(ctx context.Context, src source) (string, error) {
	switch src.scheme {
	case SecretsManager:
		if r.sm == nil {
			return "", errors.New("no Secrets Manager client (WithSecretsManager)")
		}
		return r.sm.Fetch(ctx, src.name)
	case SSM:
		if r.ps == nil {
			return "", errors.New("no Parameter Store client (WithParameterStore)")
		}
		return r.ps.Fetch(ctx, src.name)
	}
	return "", fmt.Errorf("scheme %q cannot be fetched", src.scheme)
}

// member extracts key from a JSON object. Its errors never quote the
// document (encoding/json's syntax errors would quote a character of it).
func member(doc, key string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
		return "", fmt.Errorf("the value is not a JSON object, so it has no key %q", key)
	}
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("no key %q in the JSON object: %w", key, ErrNotFound)
	}
	var s string
	if string(raw) != "null" && json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		switch v.(type) {
		case float64, bool:
			return string(raw), nil
		}
	}
	return "", fmt.Errorf("key %q is not a string, number or boolean", key)
}
