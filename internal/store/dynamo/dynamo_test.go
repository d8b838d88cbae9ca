package dynamo_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/dynalite"
)

var tableSeq atomic.Int64

// newTable creates a fresh table on client and returns its name.
func newTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := "journeygate-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := dynamo.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return name
}

// countingAPI counts the requests the store makes, by operation.
type countingAPI struct {
	api dynamo.API
	mu  sync.Mutex
	n   map[string]int
}

func newCounting(api dynamo.API) *countingAPI {
	return &countingAPI{api: api, n: map[string]int{}}
}

func (c *countingAPI) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

// take returns the counts since the last take and resets them.
func (c *countingAPI) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func (c *countingAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem")
	return c.api.PutItem(ctx, in, opts...)
}

func (c *countingAPI) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem")
	return c.api.UpdateItem(ctx, in, opts...)
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem")
	return c.api.GetItem(ctx, in, opts...)
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.count("Query")
	return c.api.Query(ctx, in, opts...)
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDynamoRequestCounts pins the request budget issue 7 counts on: one
// write per run, one per result, one for the verdict, one per sink
// delivery, one Query to read a run's results back, one per read of a
// run's deliveries; a History or RecentRuns read is one Query of an index
// (keys only) and one GetItem per item it lists. functions' TestStoreCallsPerRun pins how the functions
// compose these per journey run, per run and per gate decision.
func TestDynamoRequestCounts(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := newTable(t, client)
	// Like the cloud: the orchestration creates the run, each runner Lambda
	// (a fresh process) writes one result, the gate reads and decides.
	orchestrator, runner, gateFn := newCounting(client), newCounting(client), newCounting(client)
	orch, run, gt := dynamo.New(orchestrator, table), dynamo.New(runner, table), dynamo.New(gateFn, table)
	ctx := t.Context()
	names := []string{"checkout", "login", "alert-to-notification", "silence"}
	steps := []struct {
		name string
		api  *countingAPI
		call func() error
		want map[string]int
	}{
		{"CreateRun", orchestrator, func() error { return orch.CreateRun(ctx, runRecord("run-1")) }, map[string]int{"PutItem": 1}},
		{"PutResult in the creating process", orchestrator, func() error { return orch.PutResult(ctx, result("run-1", names[0], 1)) },
			map[string]int{"PutItem": 1}},
		{"PutResult in a fresh process", runner, func() error { return run.PutResult(ctx, result("run-1", names[1], 1)) },
			map[string]int{"GetItem": 1, "PutItem": 1}},
		{"PutResult again in that process", runner, func() error { return run.PutResult(ctx, result("run-1", names[2], 1)) },
			map[string]int{"PutItem": 1}},
		{"PutResult of a retry", runner, func() error { return run.PutResult(ctx, result("run-1", names[3], 2)) },
			map[string]int{"PutItem": 1}},
		{"Results", gateFn, func() error {
			rs, err := gt.Results(ctx, "run-1")
			if err == nil && len(rs) != 4 {
				err = fmt.Errorf("got %d results, want 4", len(rs))
			}
			return err
		}, map[string]int{"Query": 1}},
		{"LoadRun", gateFn, func() error {
			r, rs, err := store.LoadRun(ctx, gt, "run-1")
			if err == nil && (len(rs) != 4 || r.ID != "run-1") {
				err = fmt.Errorf("got run %q with %d results, want run-1 with 4", r.ID, len(rs))
			}
			return err
		}, map[string]int{"Query": 1}},
		{"PutVerdict", gateFn, func() error {
			return gt.PutVerdict(ctx, "run-1", gate.Verdict{Status: gate.Succeeded}, t0.Add(time.Minute))
		}, map[string]int{"UpdateItem": 1}},
		{"second PutVerdict", gateFn, func() error {
			err := gt.PutVerdict(ctx, "run-1", gate.Verdict{Status: gate.Failed}, t0.Add(time.Hour))
			if errors.Is(err, store.ErrExists) {
				return nil
			}
			return fmt.Errorf("error = %v, want ErrExists", err)
		}, map[string]int{"UpdateItem": 1, "GetItem": 1}}, // the stand-in returns no old item
		{"GetRun", gateFn, func() error { _, err := gt.GetRun(ctx, "run-1"); return err }, map[string]int{"GetItem": 1}},
		{"History with a limit", gateFn, func() error {
			rs, err := gt.History(ctx, store.HistoryQuery{Journey: "login", Environment: "local", Limit: 1})
			if err == nil && len(rs) != 1 {
				err = fmt.Errorf("got %d results, want 1", len(rs))
			}
			return err
		}, map[string]int{"Query": 1, "GetItem": 1}},
		{"RecentRuns", gateFn, func() error {
			runs, err := gt.RecentRuns(ctx, store.RunQuery{Environment: "local"})
			if err == nil && len(runs) != 1 {
				err = fmt.Errorf("got %d runs, want 1", len(runs))
			}
			return err
		}, map[string]int{"Query": 1, "GetItem": 1}},
		// The sink Lambda stores each notification with one write; an
		// await reads them with one Query per poll.
		{"PutDelivery", runner, func() error {
			// Received now: deliveries expire (DefaultDeliveryTTL) and reads skip expired ones.
			return run.PutDelivery(ctx, journey.Delivery{ID: "d-1", RunID: "run-1", ReceivedAt: time.Now().UTC(), Body: []byte(`{"status":"firing"}`)})
		}, map[string]int{"PutItem": 1}},
		{"Deliveries", runner, func() error {
			ds, _, err := run.Deliveries(ctx, "run-1", "", 0)
			if err == nil && len(ds) != 1 {
				err = fmt.Errorf("got %d deliveries, want 1", len(ds))
			}
			return err
		}, map[string]int{"Query": 1}},
	}
	for _, api := range []*countingAPI{orchestrator, runner, gateFn} {
		api.take()
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.call(); err != nil {
				t.Fatal(err)
			}
			if got := s.api.take(); !sameCounts(got, s.want) {
				t.Errorf("requests = %v, want %v", got, s.want)
			}
		})
	}
}

// bigEvidence is a result whose evidence far exceeds DynamoDB's 400 KB item limit.
func bigEvidence(runID string) journey.Result {
	r := result(runID, "checkout", 1)
	huge := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	r.Steps = []journey.StepResult{
		{Name: "one", Outcome: journey.Failed, Evidence: []journey.Evidence{{Label: "huge", Detail: huge}, {Label: "small", Detail: "keep me"}}},
		{Name: "two", Outcome: journey.Skipped, Evidence: []journey.Evidence{{Label: "also huge", Detail: "ü" + huge}}},
	}
	return r
}

func TestDynamoBoundsLargeResults(t *testing.T) {
	client := dynalite.Start(t).Client()
	s := dynamo.New(client, newTable(t, client))
	if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	in := bigEvidence("run-1")
	if err := s.PutResult(t.Context(), in); err != nil {
		t.Fatalf("PutResult with 2 MiB of evidence: %v", err)
	}
	got, err := s.Results(t.Context(), "run-1")
	if err != nil || len(got) != 1 {
		t.Fatalf("Results = %d, %v; want 1 result", len(got), err)
	}
	ev := got[0].Steps[0].Evidence
	if !strings.Contains(ev[0].Detail, "truncated by the journeygate store") || len(ev[0].Detail) >= len(in.Steps[0].Evidence[0].Detail) {
		t.Errorf("huge evidence is %d bytes and carries no truncation note", len(ev[0].Detail))
	}
	if !strings.HasPrefix(ev[0].Detail, "0123456789abcdef") {
		t.Errorf("truncated evidence lost its head: %.40q", ev[0].Detail)
	}
	if ev[1].Detail != "keep me" {
		t.Errorf("small evidence = %q, want it unchanged", ev[1].Detail)
	}
	if got[0].Steps[1].Evidence[0].Detail[:2] != "ü" {
		t.Errorf("truncation broke the leading rune")
	}
	if in.Steps[0].Evidence[0].Detail != strings.Repeat("0123456789abcdef", 64<<10) {
		t.Error("PutResult modified the caller's result")
	}
}

func TestDynamoDeliveryBodies(t *testing.T) {
	client := dynalite.Start(t).Client()
	s := dynamo.New(client, newTable(t, client))
	json := []byte(`{"alerts":[` + strings.Repeat(`{"status":"firing","labels":{"alertname":"JourneyGate"}},`, 15000) + `{}]}`)
	random := make([]byte, store.MaxDeliveryBody)
	rand.Read(random)
	tests := []struct {
		name    string
		body    []byte
		wantErr error
	}{
		{"small", []byte(`{"ok":true}`), nil},
		{"empty", nil, nil},
		{"large but compressible", json[:min(len(json), store.MaxDeliveryBody)], nil},
		{"large and incompressible", random, store.ErrTooLarge},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := journey.Delivery{ID: "d-" + strconv.Itoa(i), RunID: "run-" + strconv.Itoa(i), ReceivedAt: time.Now(), Body: tt.body}
			err := s.PutDelivery(t.Context(), d)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutDelivery(%d bytes) error = %v, want %v", len(tt.body), err, tt.wantErr)
			}
			if tt.wantErr == store.ErrTooLarge && !errors.Is(err, store.ErrInvalid) {
				t.Errorf("a too large delivery is not ErrInvalid too: %v", err)
			}
			got, _, err := s.Deliveries(t.Context(), d.RunID, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != nil {
				if len(got) != 0 {
					t.Errorf("a rejected delivery was stored")
				}
				return
			}
			if len(got) != 1 || string(got[0].Body) != string(tt.body) {
				t.Errorf("body of %d bytes did not round-trip (got %d deliveries)", len(tt.body), len(got))
			}
		})
	}
}

// rawItem reads an item as stored, for checks on attributes the Store API hides.
func rawItem(t *testing.T, client *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem(%s, %s) = %v, %v", pk, sk, out, err)
	}
	return out.Item
}

func expiresAt(item map[string]types.AttributeValue) string {
	if n, ok := item["expiresAt"].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

func TestDynamoTTL(t *testing.T) {
	client := dynalite.Start(t).Client()
	received := t0.Add(time.Minute)
	day := func(n int) string { return strconv.FormatInt(t0.Add(time.Duration(n)*24*time.Hour).Unix(), 10) }
	tests := []struct {
		name                 string
		opts                 []dynamo.Option
		run, res, deliveries string
	}{
		{"default keeps records, expires deliveries after 7 days", nil, "", "",
			strconv.FormatInt(received.Add(store.DefaultDeliveryTTL).Unix(), 10)},
		{"WithTTL applies to everything", []dynamo.Option{dynamo.WithTTL(30 * 24 * time.Hour)}, day(30),
			strconv.FormatInt(t0.Add(time.Millisecond).Add(30*24*time.Hour).Unix(), 10),
			strconv.FormatInt(received.Add(30*24*time.Hour).Unix(), 10)},
		{"WithDeliveryTTL overrides it for deliveries", []dynamo.Option{dynamo.WithTTL(30 * 24 * time.Hour), dynamo.WithDeliveryTTL(time.Hour)}, day(30),
			strconv.FormatInt(t0.Add(time.Millisecond).Add(30*24*time.Hour).Unix(), 10),
			strconv.FormatInt(received.Add(time.Hour).Unix(), 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := newTable(t, client)
			s := dynamo.New(client, table, tt.opts...)
			if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutResult(t.Context(), result("run-1", "checkout", 1)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutDelivery(t.Context(), journey.Delivery{ID: "d1", RunID: "run-1", ReceivedAt: received}); err != nil {
				t.Fatal(err)
			}
			if got := expiresAt(rawItem(t, client, table, "RUN#run-1", "RUN")); got != tt.run {
				t.Errorf("run expiresAt = %q, want %q", got, tt.run)
			}
			if got := expiresAt(rawItem(t, client, table, "RUN#run-1", "RESULT#checkout#000001")); got != tt.res {
				t.Errorf("result expiresAt = %q, want %q", got, tt.res)
			}
			if got := expiresAt(rawItem(t, client, table, "SINK#run-1", store.DeliveryPosition(journey.Delivery{ID: "d1", ReceivedAt: received}))); got != tt.deliveries {
				t.Errorf("delivery expiresAt = %q, want %q", got, tt.deliveries)
			}
		})
	}
}

// TestDynamoUnavailable stops the server mid-run: every call fails fast
// with an error that names the table and is none of the sentinel errors.
func TestDynamoUnavailable(t *testing.T) {
	srv := dynalite.Start(t)
	client := srv.Client()
	table := newTable(t, client)
	s := dynamo.New(client, table)
	if err := s.CreateRun(t.Context(), runRecord("run-1")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	calls := map[string]func() error{
		"CreateRun":  func() error { return s.CreateRun(t.Context(), runRecord("run-2")) },
		"PutResult":  func() error { return s.PutResult(t.Context(), result("run-1", "checkout", 1)) },
		"PutVerdict": func() error { return s.PutVerdict(t.Context(), "run-1", gate.Verdict{Status: gate.Failed}, t0) },
		"GetRun":     func() error { _, err := s.GetRun(t.Context(), "run-1"); return err },
		"Results":    func() error { _, err := s.Results(t.Context(), "run-1"); return err },
		"History":    func() error { _, err := s.History(t.Context(), store.HistoryQuery{}); return err },
		"RecentRuns": func() error { _, err := s.RecentRuns(t.Context(), store.RunQuery{}); return err },
		"PutDelivery": func() error {
			return s.PutDelivery(t.Context(), journey.Delivery{ID: "d", RunID: "run-1", ReceivedAt: t0})
		},
		"Deliveries": func() error { _, _, err := s.Deliveries(t.Context(), "run-1", "", 0); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := call()
			switch {
			case err == nil:
				t.Fatal("succeeded against a stopped server")
			case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrInvalid):
				t.Errorf("error = %v; an unreachable store must not look like a data answer", err)
			case !strings.Contains(err.Error(), table):
				t.Errorf("error %q does not name the table", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %s to fail", d)
			}
		})
	}
}

func TestDynamoClosed(t *testing.T) {
	client := dynalite.Start(t).Client()
	s := dynamo.New(client, newTable(t, client))
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := s.GetRun(t.Context(), "run-1"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRun after Close: error = %v, want a closed-store error", err)
	}
}

func TestCreateTableIsIdempotent(t *testing.T) {
	client := dynalite.Start(t).Client()
	table := newTable(t, client)
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		names = append(names, aws.ToString(ix.IndexName))
		// Keys only: an index write is one unit however large the item.
		if ix.Projection == nil || ix.Projection.ProjectionType != types.ProjectionTypeKeysOnly {
			t.Errorf("index %s projects %+v, want keys only", aws.ToString(ix.IndexName), ix.Projection)
		}
	}
	if len(names) != 4 {
		t.Errorf("indexes = %v, want 4", names)
	}
}
