package dynamo_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/test/dynalite"
)

// TestDynamoOverrideRequests pins the override's cost and shape: one
// conditional PutItem carrying the TTL attribute, one Query to read them,
// one GetItem and one conditional UpdateItem to revise a verdict.
func TestDynamoOverrideRequests(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := newTable(t, client)
	api := newCounting(client)
	s := dynamo.New(api, table)
	ctx := t.Context()

	o := gate.Override{Deployment: "d-1", By: "alice", Reason: "INC-42", At: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.PutOverride(ctx, o); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"PutItem": 1}) {
		t.Errorf("PutOverride requests = %v, want one PutItem", got)
	}
	item := rawItem(t, client, table, "OVERRIDE#d-1", "AT#"+t0.UTC().Format("2006-01-02T15:04:05.000000000Z"))
	if want := strconv.FormatInt(t0.Add(time.Hour+dynamo.OverrideRetention).Unix(), 10); expiresAt(item) != want {
		t.Errorf("expiresAt = %q, want %s (the override's expiry plus OverrideRetention)", expiresAt(item), want)
	}
	if k, ok := item["kind"].(*types.AttributeValueMemberS); !ok || k.Value != "override" {
		t.Errorf("kind = %#v, want override", item["kind"])
	}
	if _, err := s.Overrides(ctx, "d-1"); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"Query": 1}) {
		t.Errorf("Overrides requests = %v, want one Query", got)
	}

	if err := s.CreateRun(ctx, runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutVerdict(ctx, "run-1", gate.Verdict{Status: gate.Failed, Summary: "Failed"}, t0); err != nil {
		t.Fatal(err)
	}
	api.take()
	if err := s.ReviseVerdict(ctx, "run-1", 0, gate.Verdict{Status: gate.Succeeded, Overridden: &o}, t0.Add(time.Minute), "bob", "overridden"); err != nil {
		t.Fatal(err)
	}
	if got := api.take(); !sameCounts(got, map[string]int{"GetItem": 1, "UpdateItem": 1}) {
		t.Errorf("ReviseVerdict requests = %v, want one GetItem and one UpdateItem", got)
	}
}

// TestDynamoRevisionsStayBounded revises a verdict with huge texts up to
// MaxRevisions times: the run item must stay under DynamoDB's item limit.
func TestDynamoRevisionsStayBounded(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := newTable(t, client)
	s := dynamo.New(client, table)
	ctx := t.Context()
	huge := strings.Repeat("0123456789abcdef", 16<<10) // 256 KiB
	big := gate.Verdict{Status: gate.Failed, Summary: huge, Reasons: []gate.Reason{{Journey: "a", Message: huge}}}
	if err := s.CreateRun(ctx, runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutVerdict(ctx, "run-1", big, t0); err != nil {
		t.Fatal(err)
	}
	for i := range store.MaxRevisions {
		if err := s.ReviseVerdict(ctx, "run-1", i, big, t0.Add(time.Duration(i+1)*time.Minute), "bob", "again"); err != nil {
			t.Fatalf("revision %d: %v", i+1, err)
		}
	}
	run, err := s.GetRun(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Revisions) != store.MaxRevisions {
		t.Fatalf("%d revisions", len(run.Revisions))
	}
	if !strings.Contains(run.Revisions[0].Verdict.Summary, "truncated by the journeygate store") {
		t.Errorf("a replaced verdict should be cut to its budget, with a note")
	}
}
