package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
)

// RunLeases checks that the stores returned by open behave as
// store.LeaseStore requires; open must return a fresh, empty store, which
// RunLeases closes. rounds sizes the concurrency cases (at least 1).
func RunLeases(t *testing.T, rounds int, open func(t *testing.T) store.LeaseStore) {
	t.Helper()
	rounds = max(rounds, 1)
	cases := []testCase[store.LeaseStore]{
		{"AcquireAndRelease", testLeaseAcquireRelease},
		{"ExpiredLeaseIsReclaimed", testLeaseExpiry},
		{"OnlyTheHolderReleases", testLeaseHolderOnly},
		{"Renew", testLeaseRenew},
		{"Validation", testLeaseValidation},
		{"NamesWithSeparators", testLeaseSeparators},
		{"ConcurrentAcquirers", func(t *testing.T, s store.LeaseStore) { testLeaseConcurrent(t, s, rounds) }},
	}
	runCases(t, open, cases)
}

func newLease(resource, holder string, acquired time.Time, d time.Duration) store.Lease {
	return store.Lease{
		Environment: "staging", Pool: "tenants", Resource: resource, Holder: holder,
		AcquiredAt: acquired, ExpiresAt: acquired.Add(d),
	}
}

func leaseCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkLeases compares a pool's leases with want (times as instants).
func checkLeases(t *testing.T, s store.LeaseStore, env, pool string, want ...store.Lease) {
	t.Helper()
	got, err := s.Leases(leaseCtx(t), env, pool)
	if err != nil {
		t.Fatalf("Leases(%s, %s): %v", env, pool, err)
	}
	if len(got) != len(want) {
		t.Fatalf("Leases(%s, %s) = %d leases, want %d:\n%s", env, pool, len(got), len(want), dump(got))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Environment != w.Environment || g.Pool != w.Pool || g.Resource != w.Resource || g.Holder != w.Holder ||
			!g.AcquiredAt.Equal(w.AcquiredAt) || !g.ExpiresAt.Equal(w.ExpiresAt) {
			t.Errorf("Leases[%d]:\ngot:  %s\nwant: %s", i, dump(g), dump(w))
		}
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s = %v, want %v", what, err, target)
	}
}

func testLeaseAcquireRelease(t *testing.T, s store.LeaseStore) {
	ctx := leaseCtx(t)
	checkLeases(t, s, "staging", "tenants")
	a := newLease("tenant-a", "run-1/j/1#x", at(0), 10*time.Minute)
	if err := s.AcquireLease(ctx, a); err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	b := newLease("tenant-b", "run-2/j/1#y", at(time.Second), 10*time.Minute)
	if err := s.AcquireLease(ctx, b); err != nil {
		t.Fatalf("AcquireLease of another resource: %v", err)
	}
	// Held: neither another holder nor the holder itself acquires it again.
	wantErr(t, "AcquireLease by another holder", s.AcquireLease(ctx, newLease("tenant-a", "run-3/j/1#z", at(time.Minute), time.Minute)), store.ErrLeased)
	wantErr(t, "AcquireLease by the holder again", s.AcquireLease(ctx, newLease("tenant-a", a.Holder, at(time.Minute), time.Minute)), store.ErrLeased)
	// Still held at the very instant it expires.
	wantErr(t, "AcquireLease at the expiry instant", s.AcquireLease(ctx, newLease("tenant-a", "run-3/j/1#z", a.ExpiresAt, time.Minute)), store.ErrLeased)
	checkLeases(t, s, "staging", "tenants", a, b)
	checkLeases(t, s, "production", "tenants")
	checkLeases(t, s, "staging", "accounts")

	if err := s.ReleaseLease(ctx, a); err != nil {
		t.Fatalf("ReleaseLease: %v", err)
	}
	checkLeases(t, s, "staging", "tenants", b)
	wantErr(t, "ReleaseLease twice", s.ReleaseLease(ctx, a), store.ErrNotHeld)
	// Released: free at once, long before the old expiry.
	c := newLease("tenant-a", "run-3/j/1#z", at(2*time.Second), time.Minute)
	if err := s.AcquireLease(ctx, c); err != nil {
		t.Fatalf("AcquireLease after release: %v", err)
	}
	checkLeases(t, s, "staging", "tenants", c, b)
	// The same resource in another environment or pool is another lease.
	for _, l := range []store.Lease{
		{Environment: "production", Pool: "tenants", Resource: "tenant-a", Holder: "p", AcquiredAt: at(0), ExpiresAt: at(time.Hour)},
		{Environment: "staging", Pool: "accounts", Resource: "tenant-a", Holder: "q", AcquiredAt: at(0), ExpiresAt: at(time.Hour)},
	} {
		if err := s.AcquireLease(ctx, l); err != nil {
			t.Errorf("AcquireLease(%s/%s/%s): %v", l.Environment, l.Pool, l.Resource, err)
		}
	}
}

func testLeaseExpiry(t *testing.T, s store.LeaseStore) {
	ctx := leaseCtx(t)
	dead := newLease("tenant-a", "crashed-holder", at(0), 10*time.Minute)
	if err := s.AcquireLease(ctx, dead); err != nil {
		t.Fatal(err)
	}
	// One nanosecond past the expiry, another holder reclaims it.
	next := newLease("tenant-a", "next-holder", dead.ExpiresAt.Add(time.Nanosecond), 10*time.Minute)
	if err := s.AcquireLease(ctx, next); err != nil {
		t.Fatalf("AcquireLease after expiry: %v", err)
	}
	checkLeases(t, s, "staging", "tenants", next)
	// The dead holder, back, can neither renew nor release it.
	wantErr(t, "RenewLease by the reclaimed holder", s.RenewLease(ctx, dead, at(time.Hour)), store.ErrNotHeld)
	wantErr(t, "ReleaseLease by the reclaimed holder", s.ReleaseLease(ctx, dead), store.ErrNotHeld)
	checkLeases(t, s, "staging", "tenants", next)
	// An expired lease nobody reclaimed is still its holder's to release.
	if err := s.ReleaseLease(ctx, next); err != nil {
		t.Fatalf("ReleaseLease of an expired, unclaimed lease: %v", err)
	}
	checkLeases(t, s, "staging", "tenants")
}

func testLeaseHolderOnly(t *testing.T, s store.LeaseStore) {
	ctx := leaseCtx(t)
	l := newLease("tenant-a", "holder-1", at(0), time.Hour)
	wantErr(t, "ReleaseLease of a lease never acquired", s.ReleaseLease(ctx, l), store.ErrNotHeld)
	wantErr(t, "RenewLease of a lease never acquired", s.RenewLease(ctx, l, at(2*time.Hour)), store.ErrNotHeld)
	checkLeases(t, s, "staging", "tenants")
	if err := s.AcquireLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	other := l
	other.Holder = "holder-2"
	wantErr(t, "ReleaseLease by a non-holder", s.ReleaseLease(ctx, other), store.ErrNotHeld)
	wantErr(t, "RenewLease by a non-holder", s.RenewLease(ctx, other, at(2*time.Hour)), store.ErrNotHeld)
	prefix := l
	prefix.Holder = "holder-"
	wantErr(t, "ReleaseLease by a holder whose name is a prefix", s.ReleaseLease(ctx, prefix), store.ErrNotHeld)
	checkLeases(t, s, "staging", "tenants", l)
	// Still held: the non-holder's release freed nothing.
	wantErr(t, "AcquireLease after a non-holder's release", s.AcquireLease(ctx, newLease("tenant-a", "holder-3", at(time.Minute), time.Minute)), store.ErrLeased)
}

func testLeaseRenew(t *testing.T, s store.LeaseStore) {
	ctx := leaseCtx(t)
	l := newLease("tenant-a", "holder-1", at(0), time.Minute)
	if err := s.AcquireLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.RenewLease(ctx, l, at(time.Hour)); err != nil {
		t.Fatalf("RenewLease: %v", err)
	}
	renewed := l
	renewed.ExpiresAt = at(time.Hour)
	checkLeases(t, s, "staging", "tenants", renewed)
	// Past the original expiry it is still held.
	wantErr(t, "AcquireLease past the original expiry", s.AcquireLease(ctx, newLease("tenant-a", "holder-2", at(2*time.Minute), time.Minute)), store.ErrLeased)
	if err := s.AcquireLease(ctx, newLease("tenant-a", "holder-2", at(time.Hour+time.Nanosecond), time.Minute)); err != nil {
		t.Errorf("AcquireLease past the renewed expiry: %v", err)
	}
}

func testLeaseValidation(t *testing.T, s store.LeaseStore) {
	ctx := leaseCtx(t)
	ok := newLease("tenant-a", "h", at(0), time.Minute)
	mod := func(f func(*store.Lease)) store.Lease { l := ok; f(&l); return l }
	bad := map[string]store.Lease{
		"no environment":      mod(func(l *store.Lease) { l.Environment = "" }),
		"no pool":             mod(func(l *store.Lease) { l.Pool = "" }),
		"no resource":         mod(func(l *store.Lease) { l.Resource = "" }),
		"no holder":           mod(func(l *store.Lease) { l.Holder = "" }),
		"NUL in resource":     mod(func(l *store.Lease) { l.Resource = "a\x00b" }),
		"long holder":         mod(func(l *store.Lease) { l.Holder = strings.Repeat("h", store.MaxNameLen+1) }),
		"no acquiredAt":       mod(func(l *store.Lease) { l.AcquiredAt = time.Time{} }),
		"expiry not after":    mod(func(l *store.Lease) { l.ExpiresAt = l.AcquiredAt }),
		"expiry before":       mod(func(l *store.Lease) { l.ExpiresAt = l.AcquiredAt.Add(-time.Second) }),
		"expiry beyond a day": mod(func(l *store.Lease) { l.ExpiresAt = l.AcquiredAt.Add(store.MaxLeaseDuration + time.Second) }),
	}
	for name, l := range bad {
		t.Run(name, func(t *testing.T) {
			wantErr(t, "AcquireLease", s.AcquireLease(ctx, l), store.ErrInvalid)
		})
	}
	wantErr(t, "ReleaseLease without holder", s.ReleaseLease(ctx, bad["no holder"]), store.ErrInvalid)
	wantErr(t, "RenewLease to zero", s.RenewLease(ctx, ok, time.Time{}), store.ErrInvalid)
	_, err := s.Leases(ctx, "", "tenants")
	wantErr(t, "Leases without environment", err, store.ErrInvalid)
	_, err = s.Leases(ctx, "staging", "")
	wantErr(t, "Leases without pool", err, store.ErrInvalid)
	checkLeases(t, s, "staging", "tenants")
}

func testLeaseSeparators(t *testing.T, s store.LeaseStore) {
	ctx := leaseCtx(t)
	// Pairs that a naive "env#pool" key would confuse.
	a := store.Lease{Environment: "a#b", Pool: "c", Resource: "r#1", Holder: "h/1", AcquiredAt: at(0), ExpiresAt: at(time.Hour)}
	b := store.Lease{Environment: "a", Pool: "b#c", Resource: "r#1", Holder: "h/2", AcquiredAt: at(0), ExpiresAt: at(time.Hour)}
	c := store.Lease{Environment: "ümlaut/env", Pool: "pool", Resource: "tenant/ä", Holder: "h#3", AcquiredAt: at(0).In(pst), ExpiresAt: at(time.Hour).In(pst)}
	for _, l := range []store.Lease{a, b, c} {
		if err := s.AcquireLease(ctx, l); err != nil {
			t.Fatalf("AcquireLease(%q/%q/%q): %v", l.Environment, l.Pool, l.Resource, err)
		}
	}
	checkLeases(t, s, a.Environment, a.Pool, a)
	checkLeases(t, s, b.Environment, b.Pool, b)
	checkLeases(t, s, c.Environment, c.Pool, c)
}

// testLeaseConcurrent: in each round, more acquirers than resources race
// for one pool at the same instant; no resource is ever granted twice, and
// every resource is granted once.
func testLeaseConcurrent(t *testing.T, s store.LeaseStore, rounds int) {
	ctx := leaseCtx(t)
	const resources, acquirers = 3, 8
	for round := range rounds {
		now := at(time.Duration(round) * time.Hour)
		var mu sync.Mutex
		granted := map[string][]string{}
		var failures []error
		var wg sync.WaitGroup
		for a := range acquirers {
			wg.Go(func() {
				holder := fmt.Sprintf("round-%d-holder-%d", round, a)
				for r := range resources {
					res := fmt.Sprintf("tenant-%d", (r+a)%resources)
					err := s.AcquireLease(ctx, newLease(res, holder, now, time.Minute))
					if errors.Is(err, store.ErrLeased) {
						continue
					}
					mu.Lock()
					if err != nil {
						failures = append(failures, err)
					} else {
						granted[res] = append(granted[res], holder)
					}
					mu.Unlock()
					return
				}
			})
		}
		wg.Wait()
		for _, err := range failures {
			t.Errorf("round %d: AcquireLease: %v", round, err)
		}
		if len(granted) != resources {
			t.Errorf("round %d: %d resources granted, want all %d: %v", round, len(granted), resources, granted)
		}
		for res, holders := range granted {
			if len(holders) != 1 {
				t.Errorf("round %d: %s granted to %d holders at once: %v", round, res, len(holders), holders)
			}
		}
		// Concurrent releases by holders and non-holders: only the holder's frees it.
		for res, holders := range granted {
			wg.Go(func() {
				l := newLease(res, holders[0], now, time.Minute)
				intruder := l
				intruder.Holder = holders[0] + "-intruder"
				if err := s.ReleaseLease(ctx, intruder); !errors.Is(err, store.ErrNotHeld) {
					t.Errorf("round %d: release of %s by a non-holder = %v, want ErrNotHeld", round, res, err)
				}
				if err := s.ReleaseLease(ctx, l); err != nil {
					t.Errorf("round %d: release of %s by its holder: %v", round, res, err)
				}
			})
		}
		wg.Wait()
	}
}
