package lease

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// Manager leases the resources journeys need from the environments file's
// pools and resolves their values. It implements journey.Leaser and is
// safe for concurrent use.
type Manager struct {
	st   store.LeaseStore
	envs *envconfig.Config
	res  *secrets.Resolver
	red  *secrets.Redactor
	opts []Option
}

var _ journey.Leaser = (*Manager)(nil)

// NewManager returns a Manager over the lease store, the parsed
// environments and the resolver of the pools' secret references; st and
// envs are required, a nil res resolves only literals. The environments
// file's sink tokens are added to the resolver's Redactor at once; each
// resource's values when it is leased.
func NewManager(st store.LeaseStore, envs *envconfig.Config, res *secrets.Resolver, opts ...Option) (*Manager, error) {
	var errs []error
	if st == nil {
		errs = append(errs, errors.New("no lease store"))
	}
	if envs == nil {
		errs = append(errs, errors.New("no environments configuration"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("lease manager: %w", err)
	}
	if res == nil {
		res = secrets.New()
	}
	m := &Manager{st: st, envs: envs, res: res, red: res.Redactor(), opts: opts}
	m.red.Add(envs.Secrets()...)
	return m, nil
}

// Redactor returns the Redactor holding every secret the Manager knows.
func (m *Manager) Redactor() *secrets.Redactor {
	if m == nil {
		return nil
	}
	return m.red
}

// Apply returns opts with the Manager as its Leaser, its Redactor, and its
// Logger redacting: what the local runner and the runner Lambda call around
// journey execution. A nil Manager returns opts unchanged.
func (m *Manager) Apply(opts journey.Options) journey.Options {
	if m == nil {
		return opts
	}
	opts.Leaser = m
	opts.Redactor = m.red
	if opts.Logger != nil {
		opts.Logger = secrets.NewLogger(opts.Logger, m.red)
	}
	return opts
}

// Lease acquires one resource of each pool for holder in environment, in
// pool-name order, resolves its values, and returns the resources with a
// function releasing them all. On any failure nothing stays leased.
func (m *Manager) Lease(ctx context.Context, environment, holder string, pools []string) ([]*journey.Resource, func(context.Context) error, error) {
	env, err := m.envs.Get(environment)
	if err != nil {
		return nil, nil, err
	}
	order := slices.Clone(pools)
	sort.Strings(order)
	var held []*Lease
	release := func(ctx context.Context) error {
		var errs []error
		for i := len(held) - 1; i >= 0; i-- {
			if err := held[i].Release(ctx); err != nil {
				errs = append(errs, fmt.Errorf("pool %s: resource %s: %w", held[i].rec.Pool, held[i].rec.Resource, err))
			}
		}
		return errors.Join(errs...)
	}
	fail := func(err error) ([]*journey.Resource, func(context.Context) error, error) {
		if rerr := release(context.WithoutCancel(ctx)); rerr != nil {
			err = fmt.Errorf("%w (and releasing what was leased: %v)", err, rerr)
		}
		return nil, nil, err
	}
	var out []*journey.Resource
	for _, name := range order {
		pool, ok := env.Pools[name]
		if !ok {
			return fail(fmt.Errorf("pool %s: not defined in environment %q of %s", name, environment, m.envs.File))
		}
		l, err := Acquire(ctx, m.st, environment, pool, holder, m.opts...)
		if err != nil {
			return fail(err)
		}
		held = append(held, l)
		values := make(map[string]string, len(l.res.Values))
		for k, ref := range l.res.Values {
			v, err := m.res.Resolve(ctx, ref)
			if err != nil {
				return fail(fmt.Errorf("pool %s: resource %s: value %s: %w", name, l.res.ID, k, err))
			}
			values[k] = v
		}
		out = append(out, journey.NewLeasedResource(name, l.res.ID, values, l.rec.AcquiredAt))
	}
	return out, release, nil
}
