package lease_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/poll"
	"github.com/journeygate/journeygate/test/dynalite"
)

var tableSeq atomic.Int64

// stores returns a fresh embedded store and a fresh DynamoDB store (on
// dynalite) per call, by name.
func stores(t *testing.T) map[string]func(t *testing.T) store.LeaseStore {
	client := dynalite.Start(t).Client()
	return map[string]func(t *testing.T) store.LeaseStore{
		"embedded": func(t *testing.T) store.LeaseStore {
			s, err := embedded.Open(filepath.Join(t.TempDir(), "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"dynamodb": func(t *testing.T) store.LeaseStore {
			name := "lease-" + strconv.FormatInt(tableSeq.Add(1), 10)
			if err := dynamo.CreateTable(t.Context(), client, name); err != nil {
				t.Fatal(err)
			}
			return dynamo.New(client, name)
		},
	}
}

func pool(name string, n int, leaseFor, wait time.Duration) envconfig.Pool {
	p := envconfig.Pool{Name: name, Lease: leaseFor, Wait: wait}
	for i := range n {
		p.Resources = append(p.Resources, envconfig.PoolResource{ID: fmt.Sprintf("%s-%d", name, i), Values: map[string]string{"key": fmt.Sprintf("value-of-%s-%d", name, i)}})
	}
	return p
}

var fast = lease.WithBackoff(poll.Backoff{First: time.Millisecond, Max: 10 * time.Millisecond, Factor: 2})

// TestConcurrentAcquirersNeverShare: many goroutines, more than resources,
// acquire, use and release a pool's resources over many rounds; no
// resource is ever held by two at once, and everyone gets one in the end.
func TestConcurrentAcquirersNeverShare(t *testing.T) {
	rounds := 10
	if testing.Short() {
		rounds = 2
	}
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			p := pool("tenants", 3, time.Minute, 30*time.Second)
			for round := range rounds {
				var inUse sync.Map // resource -> holder
				var grants atomic.Int64
				var wg sync.WaitGroup
				for g := range 8 {
					wg.Go(func() {
						holder := fmt.Sprintf("round-%d-g-%d", round, g)
						l, err := lease.Acquire(t.Context(), st, "staging", p, holder, fast)
						if err != nil {
							t.Errorf("%s: %v", holder, err)
							return
						}
						id := l.Resource().ID
						if other, taken := inUse.LoadOrStore(id, holder); taken {
							t.Errorf("round %d: %s leased to %s while %s holds it", round, id, holder, other)
						}
						grants.Add(1)
						time.Sleep(time.Duration(1+g%3) * time.Millisecond)
						inUse.Delete(id)
						if err := l.Release(t.Context()); err != nil {
							t.Errorf("%s: release: %v", holder, err)
						}
					})
				}
				wg.Wait()
				if n := grants.Load(); n != 8 {
					t.Fatalf("round %d: %d of 8 acquirers got a resource", round, n)
				}
			}
			if left, err := st.Leases(t.Context(), "staging", "tenants"); err != nil || len(left) != 0 {
				t.Errorf("leases left after every release: %v, %v", left, err)
			}
		})
	}
}

func TestExhaustedPoolFailsNamingThePool(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			p := pool("tenants", 3, time.Minute, 0)
			var held []*lease.Lease
			for i := range 3 {
				l, err := lease.Acquire(t.Context(), st, "staging", p, "holder-"+strconv.Itoa(i), fast)
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, l)
			}
			p.Wait = 300 * time.Millisecond
			start := time.Now()
			_, err := lease.Acquire(t.Context(), st, "staging", p, "late", fast)
			var ue *lease.UnavailableError
			if !errors.As(err, &ue) {
				t.Fatalf("Acquire = %v, want *UnavailableError", err)
			}
			if got, want := err.Error(), "pool tenants: no resource free within 300ms (3 leased)"; got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
			if waited := time.Since(start); waited < 300*time.Millisecond {
				t.Errorf("gave up after %s, before the pool's wait of 300ms", waited)
			}
			// Wait 0 tries once.
			p.Wait = 0
			if _, err := lease.Acquire(t.Context(), st, "staging", p, "impatient", fast); err == nil || err.Error() != "pool tenants: no resource free within 0s (3 leased)" {
				t.Errorf("Acquire with no wait = %v", err)
			}
			// A resource released while another waits is taken by it.
			p.Wait = 10 * time.Second
			go func() {
				time.Sleep(100 * time.Millisecond)
				held[1].Release(context.Background())
			}()
			l, err := lease.Acquire(t.Context(), st, "staging", p, "patient", fast)
			if err != nil {
				t.Fatalf("Acquire while one is released: %v", err)
			}
			if l.Resource().ID != held[1].Resource().ID {
				t.Errorf("got %s, want the released %s", l.Resource().ID, held[1].Resource().ID)
			}
			// A run that ends first says so.
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err = lease.Acquire(ctx, st, "staging", p, "cancelled", fast)
			if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pool tenants: no resource free after") {
				t.Errorf("Acquire with the run ending = %v", err)
			}
		})
	}
}

// TestDeadHolderIsReclaimed: a holder that stops renewing (it died) loses
// the resource once its lease expires; back, it cannot release it.
func TestDeadHolderIsReclaimed(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			// A lease long enough that the next Acquire comes within it on
			// a loaded machine.
			p := pool("tenants", 1, 2*time.Second, 0)
			// Renewing once an hour: as good as dead.
			dead, err := lease.Acquire(t.Context(), st, "staging", p, "dead", fast, lease.WithRenewEvery(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lease.Acquire(t.Context(), st, "staging", p, "early", fast); err == nil {
				t.Fatal("a live lease was taken")
			}
			// Acquire returns as soon as the lease expired; the wait only
			// bounds a lease never reclaimed.
			p.Wait = time.Minute
			next, err := lease.Acquire(t.Context(), st, "staging", p, "next", fast)
			if err != nil {
				t.Fatalf("expired lease not reclaimed: %v", err)
			}
			if err := dead.Release(t.Context()); !errors.Is(err, store.ErrNotHeld) {
				t.Errorf("release by the reclaimed holder = %v, want ErrNotHeld", err)
			}
			if err := next.Release(t.Context()); err != nil {
				t.Errorf("release by the new holder: %v", err)
			}
		})
	}
}

// TestRenewalKeepsTheLease: a live holder keeps its resource well past
// the lease duration.
func TestRenewalKeepsTheLease(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			// Renewals ten times a lease: one delayed by a loaded machine
			// does not lose it.
			p := pool("tenants", 1, time.Second, 0)
			l, err := lease.Acquire(t.Context(), st, "staging", p, "live", fast, lease.WithRenewEvery(100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2500 * time.Millisecond) // past two lease durations
			if _, err := lease.Acquire(t.Context(), st, "staging", p, "thief", fast); err == nil {
				t.Fatal("a renewed lease was taken after its first expiry")
			}
			if err := l.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := l.Release(t.Context()); err != nil {
				t.Errorf("second release: %v", err)
			}
			if _, err := lease.Acquire(t.Context(), st, "staging", p, "after", fast); err != nil {
				t.Errorf("released resource not free: %v", err)
			}
		})
	}
}
