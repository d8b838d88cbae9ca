package dynamo_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/test/dynalite"
)

// TestDynamoLeaseRequests pins a lease's cost and shape: one conditional
// PutItem carrying the TTL attribute to acquire, one conditional
// UpdateItem to renew or release (no DeleteItem: the runner is granted
// none), one Query to list a pool.
func TestDynamoLeaseRequests(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := newTable(t, client)
	api := newCounting(client)
	s := dynamo.New(api, table)
	ctx := t.Context()
	l := store.Lease{Environment: "staging", Pool: "tenants", Resource: "tenant-a", Holder: "h1", AcquiredAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}

	if err := s.AcquireLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"PutItem": 1}) {
		t.Errorf("AcquireLease requests = %v, want one PutItem", got)
	}
	item := rawItem(t, client, table, "LEASE#7#staging#tenants", "RES#tenant-a")
	if want := strconv.FormatInt(l.ExpiresAt.Add(dynamo.LeaseRetention).Unix(), 10); expiresAt(item) != want {
		t.Errorf("expiresAt = %q, want %s (the lease's expiry plus LeaseRetention)", expiresAt(item), want)
	}
	if k, ok := item["kind"].(*types.AttributeValueMemberS); !ok || k.Value != "lease" {
		t.Errorf("kind = %#v, want lease", item["kind"])
	}
	if err := s.AcquireLease(ctx, store.Lease{Environment: "staging", Pool: "tenants", Resource: "tenant-a", Holder: "h2", AcquiredAt: t0, ExpiresAt: t0.Add(time.Minute)}); err == nil {
		t.Fatal("a held resource was acquired again")
	}
	if got := api.take(); !sameCounts(got, map[string]int{"PutItem": 1}) {
		t.Errorf("a lost AcquireLease made %v, want one PutItem", got)
	}
	if err := s.RenewLease(ctx, l, t0.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"UpdateItem": 1}) {
		t.Errorf("RenewLease requests = %v, want one UpdateItem", got)
	}
	item = rawItem(t, client, table, "LEASE#7#staging#tenants", "RES#tenant-a")
	if want := strconv.FormatInt(t0.Add(20*time.Minute+dynamo.LeaseRetention).Unix(), 10); expiresAt(item) != want {
		t.Errorf("renewed expiresAt = %q, want %s", expiresAt(item), want)
	}
	if _, err := s.Leases(ctx, "staging", "tenants"); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"Query": 1}) {
		t.Errorf("Leases requests = %v, want one Query", got)
	}
	if err := s.ReleaseLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"UpdateItem": 1}) {
		t.Errorf("ReleaseLease requests = %v, want one UpdateItem", got)
	}
	item = rawItem(t, client, table, "LEASE#7#staging#tenants", "RES#tenant-a")
	if _, held := item["holder"]; held {
		t.Errorf("released item still has a holder: %v", item)
	}
	if expiresAt(item) == "" {
		t.Error("released item lost its TTL attribute")
	}
}
