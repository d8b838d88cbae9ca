package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/poll"
)

// DefaultBackoff spaces the rounds of Acquire: a resource is usually
// released within a journey's duration, so checking every second at most
// is quick enough and cheap for the store.
var DefaultBackoff = poll.Backoff{First: 50 * time.Millisecond, Max: time.Second, Factor: 2}

// maxHolder bounds the holder prefix, leaving room for the random suffix
// within store.MaxNameLen.
const maxHolder = 200

// Option configures Acquire and NewManager.
type Option func(*config)

type config struct {
	backoff poll.Backoff
	now     func() time.Time
	log     *slog.Logger
	renew   time.Duration
}

func newConfig(opts []Option) config {
	c := config{backoff: DefaultBackoff, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// WithBackoff sets the waits between rounds (default DefaultBackoff).
func WithBackoff(b poll.Backoff) Option { return func(c *config) { c.backoff = b } }

// WithClock sets the clock leases are stamped with (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithLogger sets where renewal and release problems are logged (default:
// discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithRenewEvery sets how often a held lease is renewed (default a third of
// the pool's lease; 0 or less keeps the default).
func WithRenewEvery(d time.Duration) Option { return func(c *config) { c.renew = d } }

// UnavailableError is a pool that had no free resource within its wait,
// or before the context ended.
type UnavailableError struct {
	// Pool names the pool.
	Pool string
	// Wait is the pool's wait; Waited how long Acquire actually waited.
	Wait, Waited time.Duration
	// Leased is how many resources were held by others in the last round;
	// Total is the pool's size.
	Leased, Total int
	// Last is the last store error of the last round, if any.
	Last error
	// Cause is the context's error when the context ended the wait first.
	Cause error
}

// Error says which pool, how long, and how many resources were leased.
func (e *UnavailableError) Error() string {
	var msg string
	if e.Cause != nil {
		msg = fmt.Sprintf("pool %s: no resource free after %s, when the run ended (%d leased): %v", e.Pool, e.Waited.Round(time.Millisecond), e.Leased, e.Cause)
	} else {
		msg = fmt.Sprintf("pool %s: no resource free within %s (%d leased)", e.Pool, e.Wait, e.Leased)
	}
	if e.Last != nil {
		msg += fmt.Sprintf("; %d of %d could not be checked: %v", e.Total-e.Leased, e.Total, e.Last)
	}
	return msg
}

// Unwrap returns the context's error or the last store error.
func (e *UnavailableError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Cause, e.Last} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// Lease is one resource held exclusively until Release. It is renewed in
// the background while held.
type Lease struct {
	st   store.LeaseStore
	rec  store.Lease
	res  envconfig.PoolResource
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	released bool
	lost     error // set when a renewal found the lease reclaimed
}

// Resource returns the leased resource as configured: its values are
// references, not yet resolved.
func (l *Lease) Resource() envconfig.PoolResource { return l.res }

// Record returns the lease as stored when it was acquired.
func (l *Lease) Record() store.Lease { return l.rec }

// Release stops renewing and frees the resource. It returns an error
// wrapping store.ErrNotHeld when the lease was lost (it expired and
// another holder reclaimed it); releasing twice is a no-op.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	err := l.st.ReleaseLease(ctx, l.rec)
	l.mu.Lock()
	lost := l.lost
	l.mu.Unlock()
	if err != nil && lost != nil {
		return fmt.Errorf("%w (renewal had failed: %v)", err, lost)
	}
	return err
}

// renew extends the lease every interval until Release.
func (l *Lease) renew(interval, lease time.Duration, now func() time.Time) {
	defer close(l.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		err := l.st.RenewLease(ctx, l.rec, now().UTC().Add(lease))
		cancel()
		switch {
		case errors.Is(err, store.ErrNotHeld):
			l.mu.Lock()
			l.lost = err
			l.mu.Unlock()
			l.log.Error("lease lost: another holder reclaimed the resource", "pool", l.rec.Pool, "resource", l.rec.Resource, "err", err)
			return
		case err != nil:
			// Keep trying: the lease stays valid until it expires.
			l.log.Warn("lease not renewed", "pool", l.rec.Pool, "resource", l.rec.Resource, "err", err)
		}
	}
}

// Acquire leases one resource of pool in environment for holder, trying
// the resources in a random order each round and polling with backoff
// until pool.Wait has passed or ctx ends: then an *UnavailableError. A
// store error other than a lost condition does not end the wait; it is
// reported if no resource becomes free. The holder is suffixed with a
// random ID, so every acquisition is its own holder.
func Acquire(ctx context.Context, st store.LeaseStore, environment string, pool envconfig.Pool, holder string, opts ...Option) (*Lease, error) {
	c := newConfig(opts)
	if st == nil {
		return nil, fmt.Errorf("pool %s: no lease store", pool.Name)
	}
	if len(pool.Resources) == 0 {
		return nil, fmt.Errorf("pool %s: no resources", pool.Name)
	}
	if pool.Lease <= 0 {
		return nil, fmt.Errorf("pool %s: lease duration %s must be positive", pool.Name, pool.Lease)
	}
	holder = uniqueHolder(holder)
	start := time.Now()
	var got *Lease
	var leased int
	var last error
	// leased and last describe the last round that checked every
	// resource: a round cut short by the wait's end counts nothing.
	round := func(ctx context.Context) error {
		held := 0
		var failed error
		for _, i := range mrand.Perm(len(pool.Resources)) {
			r := pool.Resources[i]
			now := c.now().UTC()
			rec := store.Lease{
				Environment: environment, Pool: pool.Name, Resource: r.ID, Holder: holder,
				AcquiredAt: now, ExpiresAt: now.Add(pool.Lease),
			}
			err := st.AcquireLease(ctx, rec)
			switch {
			case err == nil:
				got = &Lease{st: st, rec: rec, res: r, log: c.log, stop: make(chan struct{}), done: make(chan struct{})}
				return nil
			case errors.Is(err, store.ErrLeased):
				held++
			case errors.Is(err, store.ErrInvalid):
				return poll.Stop(fmt.Errorf("pool %s: resource %s: %w", pool.Name, r.ID, err))
			default:
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failed = err
			}
		}
		leased, last = held, failed
		return fmt.Errorf("%d of %d leased", held, len(pool.Resources))
	}
	var err error
	if pool.Wait <= 0 {
		err = round(ctx)
	} else {
		wctx, cancel := context.WithTimeout(ctx, pool.Wait)
		err = poll.Until(wctx, c.backoff, round)
		cancel()
	}
	if err == nil {
		interval := c.renew
		if interval <= 0 {
			interval = pool.Lease / 3
		}
		go got.renew(interval, pool.Lease, c.now)
		return got, nil
	}
	if errors.Is(err, store.ErrInvalid) {
		return nil, err
	}
	ue := &UnavailableError{Pool: pool.Name, Wait: pool.Wait, Waited: time.Since(start), Leased: leased, Total: len(pool.Resources), Last: last}
	if cerr := ctx.Err(); cerr != nil {
		ue.Cause = cerr
	}
	return nil, ue
}

// uniqueHolder bounds holder and appends a random ID.
func uniqueHolder(holder string) string {
	if len(holder) > maxHolder {
		cut := maxHolder
		for cut > 0 && !utf8.RuneStart(holder[cut]) {
			cut--
		}
		holder = holder[:cut]
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return holder + "#" + hex.EncodeToString(b[:])
}
