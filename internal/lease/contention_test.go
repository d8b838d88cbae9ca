package lease_test

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/test/dynalite"
	"github.com/journeygate/journeygate/test/repo"
)

// contention sizes one lease contention run on DynamoDB.
type contention struct {
	goroutines, cycles, resources int
	// crashes is how many goroutines "crash" once: they acquire a lease
	// of crashLease that is never renewed nor released.
	crashes    int
	crashLease time.Duration
	// breakAcquire strips the condition from AcquireLease's PutItem, so
	// the store hands out held resources: the record must notice.
	breakAcquire bool
}

// reclaimWithin bounds how long after its expiry an abandoned lease must
// be taken by another holder: 32 goroutines probe the pool all the time,
// so it is taken within a second or two even on a busy machine.
const reclaimWithin = 30 * time.Second

// tally is what one run observed.
type tally struct {
	cycles, acquisitions int
	conflicts            int64 // AcquireLease writes the store refused (ErrLeased)
	doubleHolds          []string
	crashes, reclaimed   int
	maxReclaimDelay      time.Duration
	calls                int64
	wall                 time.Duration
}

// TestLeaseContentionDynamo: 32 goroutines each run 500 lease and release
// cycles on a pool of 4 resources in DynamoDB (dynalite). An independent
// record of holders, kept by the test beside the store, must never see a
// resource held by two holders at once; the leases some holders abandon
// (they "crash": short lease, never renewed nor released) must be taken
// by others once expired, and never before.
func TestLeaseContentionDynamo(t *testing.T) {
	c := contention{goroutines: 32, cycles: 500, resources: 4, crashes: 32, crashLease: 200 * time.Millisecond}
	got := runContention(t, c)
	report(t, "lease contention on DynamoDB (dynalite)", c, got)
	if got.cycles != c.goroutines*c.cycles || got.acquisitions != got.cycles {
		t.Errorf("%d cycles with %d acquisitions, want %d of each", got.cycles, got.acquisitions, c.goroutines*c.cycles)
	}
	if n := len(got.doubleHolds); n > 0 {
		t.Errorf("%d double holds; first ones:\n%s", n, strings.Join(got.doubleHolds[:min(n, 10)], "\n"))
	}
	if got.conflicts == 0 {
		t.Error("the store refused no acquisition: there was no contention to prove anything with")
	}
	if got.reclaimed != got.crashes || got.crashes != c.crashes {
		t.Errorf("%d of %d abandoned leases reclaimed (%d crashes planned)", got.reclaimed, got.crashes, c.crashes)
	}
}

// TestLeaseContentionRecordCatchesDoubleHolds proves the record of holders
// can fail: against a store whose acquisitions ignore their condition, it
// must find resources held twice.
func TestLeaseContentionRecordCatchesDoubleHolds(t *testing.T) {
	c := contention{goroutines: 8, cycles: 20, resources: 2, breakAcquire: true}
	got := runContention(t, c)
	report(t, "the same run against a store that ignores the lease condition", c, got)
	if len(got.doubleHolds) == 0 {
		t.Fatal("the record found no double hold although every acquisition succeeds unconditionally")
	}
	if got.conflicts != 0 {
		t.Errorf("the broken store refused %d acquisitions", got.conflicts)
	}
}

// holding is one entry of the record: who took a resource, and when its
// lease expires if its holder abandoned it.
type holding struct {
	holder              string
	acquiredAt, expires time.Time
	abandoned           bool
}

// holders is the independent record: each holder enters itself right
// after Acquire returns and removes itself right before it calls Release,
// so its entry lies within the time the store grants it the resource. Two
// entries for one resource at once are a double hold, unless the first
// was abandoned and its lease expired before the second was taken.
type holders struct {
	mu              sync.Mutex
	held            map[string]holding
	doubleHolds     []string
	reclaimed       int
	maxReclaimDelay time.Duration
}

// took records that h holds resource.
func (r *holders) took(resource string, h holding) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.held[resource]; ok {
		switch {
		case prev.abandoned && prev.expires.Before(h.acquiredAt) && prev.expires.Before(now):
			r.reclaimed++
			r.maxReclaimDelay = max(r.maxReclaimDelay, now.Sub(prev.expires))
		case prev.abandoned:
			r.doubleHolds = append(r.doubleHolds, fmt.Sprintf("%s: taken by %s at %s, before the abandoned lease of %s expired at %s",
				resource, h.holder, h.acquiredAt.Format(time.StampMicro), prev.holder, prev.expires.Format(time.StampMicro)))
		default:
			r.doubleHolds = append(r.doubleHolds, fmt.Sprintf("%s: taken by %s while %s holds it", resource, h.holder, prev.holder))
		}
	}
	r.held[resource] = h
}

// releasing removes holder's entry of resource. An entry of someone else
// there means they took it while holder held it, which took reported.
func (r *holders) releasing(resource, holder string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held[resource].holder == holder {
		delete(r.held, resource)
	}
}

func runContention(t *testing.T, c contention) tally {
	t.Helper()
	srv := dynalite.Start(t)
	api := &countingAPI{api: contentionClient(srv), breakAcquire: c.breakAcquire}
	table := fmt.Sprintf("contention-%d", tableSeq.Add(1))
	if err := dynamo.CreateTable(t.Context(), srv.Client(), table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(api, table)
	normal := pool("contended", c.resources, time.Minute, 10*time.Minute)
	crash := normal
	crash.Lease = c.crashLease
	// The package's own backoff (50 ms doubling to 1 s) paces the waiters.
	backoff := lease.WithBackoff(lease.DefaultBackoff)

	rec := &holders{held: map[string]holding{}}
	var (
		cycles, acquisitions atomic.Int64
		mu                   sync.Mutex
		abandoned            []*lease.Lease
		errs                 []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, fmt.Sprintf(format, args...))
	}
	// Goroutine g < c.crashes abandons its lease in one cycle, spread over
	// the first half of the run so every abandoned lease can be reclaimed.
	crashAt := func(g int) int {
		if g >= c.crashes {
			return -1
		}
		return c.cycles/10 + g*(c.cycles*4/10)/max(c.crashes, 1)
	}
	// A lease abandoned and not reclaimed long after it expired fails the
	// run at once, rather than when the waiting goroutines give up.
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			rec.mu.Lock()
			for res, h := range rec.held {
				if h.abandoned && time.Since(h.expires) > reclaimWithin {
					cancel(fmt.Errorf("the lease of %s abandoned by %s expired %s ago and was not reclaimed", res, h.holder, time.Since(h.expires).Round(time.Second)))
				}
			}
			rec.mu.Unlock()
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range c.goroutines {
		wg.Go(func() {
			for cycle := range c.cycles {
				holder := fmt.Sprintf("g%02d-c%03d", g, cycle)
				if cycle == crashAt(g) {
					// Renewing once an hour and never releasing: dead.
					l, err := lease.Acquire(ctx, st, "staging", crash, holder, backoff, lease.WithRenewEvery(time.Hour))
					if err != nil {
						fail("%s (crashing): %v", holder, err)
						return
					}
					cycles.Add(1)
					acquisitions.Add(1)
					r := l.Record()
					rec.took(r.Resource, holding{holder: r.Holder, acquiredAt: r.AcquiredAt, expires: r.ExpiresAt, abandoned: true})
					mu.Lock()
					abandoned = append(abandoned, l)
					mu.Unlock()
					continue
				}
				l, err := lease.Acquire(ctx, st, "staging", normal, holder, backoff)
				if err != nil {
					fail("%s: %v", holder, err)
					return
				}
				acquisitions.Add(1)
				r := l.Record()
				rec.took(r.Resource, holding{holder: r.Holder, acquiredAt: r.AcquiredAt, expires: r.ExpiresAt})
				// Hold it for a moment, so overlapping holds overlap in the record too.
				time.Sleep(time.Duration(mrand.IntN(500)) * time.Microsecond)
				rec.releasing(r.Resource, r.Holder)
				if err := l.Release(ctx); err != nil && !c.breakAcquire {
					fail("%s: release: %v", holder, err)
				}
				cycles.Add(1)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		t.Errorf("run stopped: %v", err)
	}
	for _, e := range errs[:min(len(errs), 10)] {
		t.Error(e)
	}
	if len(errs) > 10 {
		t.Errorf("... and %d more errors", len(errs)-10)
	}
	// Back, the crashed holders find their leases gone.
	for _, l := range abandoned {
		if err := l.Release(context.WithoutCancel(ctx)); !errors.Is(err, store.ErrNotHeld) && !c.breakAcquire {
			t.Errorf("late release by the crashed %s = %v, want ErrNotHeld", l.Record().Holder, err)
		}
	}
	if !c.breakAcquire {
		if left, err := st.Leases(context.WithoutCancel(ctx), "staging", normal.Name); err != nil || len(left) != 0 {
			t.Errorf("leases left after the run: %v, %v", left, err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return tally{
		cycles: int(cycles.Load()), acquisitions: int(acquisitions.Load()),
		conflicts: api.conflicts.Load(), doubleHolds: rec.doubleHolds,
		crashes: len(abandoned), reclaimed: rec.reclaimed, maxReclaimDelay: rec.maxReclaimDelay,
		calls: api.calls.Load(), wall: wall,
	}
}

// report prints the run's figures to the test log and, for the real
// store, to repo.FiguresDir for make test to print.
func report(t *testing.T, title string, c contention, got tally) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d goroutines x %d cycles on %d resources\n", title, c.goroutines, c.cycles, c.resources)
	row := func(k string, v any) { fmt.Fprintf(&b, "  %-38s %v\n", k, v) }
	row("cycles", got.cycles)
	row("acquisitions", got.acquisitions)
	row("conflicts seen by the store (ErrLeased)", got.conflicts)
	if c.breakAcquire {
		row("double holds found (must be > 0)", len(got.doubleHolds))
	} else {
		row("double holds found (must be 0)", len(got.doubleHolds))
	}
	if c.crashes > 0 {
		row("abandoned leases reclaimed after expiry", fmt.Sprintf("%d of %d (lease %s; latest %s after expiry)", got.reclaimed, got.crashes, c.crashLease, got.maxReclaimDelay.Round(time.Millisecond)))
	}
	row("DynamoDB calls", got.calls)
	row("wall time", got.wall.Round(time.Millisecond))
	row("calls/s", fmt.Sprintf("%.0f", float64(got.calls)/got.wall.Seconds()))
	row("cycles/s", fmt.Sprintf("%.0f", float64(got.cycles)/got.wall.Seconds()))
	t.Log("\n" + b.String())
	if !c.breakAcquire {
		if err := repo.WriteFigures("3-lease-contention.txt", "(internal/lease TestLeaseContentionDynamo)\n"+b.String()); err != nil {
			t.Logf("figures not written: %v", err)
		}
	}
}

// contentionClient is a client of srv whose connection pool fits 32
// concurrent callers: the default keeps 2 idle connections per host, so
// the others would open (and leave in TIME_WAIT) a connection per call.
func contentionClient(srv *dynalite.Server) *dynamodb.Client {
	return dynamodb.New(srv.Client().Options(), func(o *dynamodb.Options) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		tr.IdleConnTimeout = 2 * time.Second // below Node's 5 s keep-alive, as dynalite.Client does
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	})
}

// countingAPI counts the store's DynamoDB calls and the acquisitions it
// lost; with breakAcquire it drops the condition of every PutItem.
type countingAPI struct {
	api          dynamo.API
	breakAcquire bool
	calls        atomic.Int64
	conflicts    atomic.Int64
}

func (c *countingAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.calls.Add(1)
	if c.breakAcquire {
		cp := *in
		cp.ConditionExpression, cp.ExpressionAttributeNames, cp.ExpressionAttributeValues = nil, nil, nil
		in = &cp
	}
	out, err := c.api.PutItem(ctx, in, opts...)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		c.conflicts.Add(1)
	}
	return out, err
}

func (c *countingAPI) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.calls.Add(1)
	return c.api.UpdateItem(ctx, in, opts...)
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.calls.Add(1)
	return c.api.GetItem(ctx, in, opts...)
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.calls.Add(1)
	return c.api.Query(ctx, in, opts...)
}
