package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

// RunDeliveries checks that the delivery stores returned by open behave as
// store.DeliveryStore requires, and that store.NewSinkReader over them
// behaves as journey.SinkReader requires; open must return a fresh, empty
// store whose deliveries expire store.DefaultDeliveryTTL after they were
// received (the default).
func RunDeliveries(t *testing.T, open func(t *testing.T) store.DeliveryStore) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, ds store.DeliveryStore)
	}{
		{"RoundTripAndOrder", testDeliveryRoundTrip},
		{"Paging", testDeliveryPaging},
		{"Duplicate", testDeliveryDuplicate},
		{"Validation", testDeliveryValidation},
		{"CancelledContext", testDeliveryCancelled},
		{"ReaderBlocksUntilDelivery", testReaderBlocks},
		{"ReaderRunIsolation", testReaderIsolation},
		{"ReaderCursor", testReaderCursor},
		{"ReaderLateDelivery", testReaderLateDelivery},
		{"Expiry", testDeliveryExpiry},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

// recent is when the cases' deliveries were received: lately, since
// deliveries expire, with base's nanoseconds so times round-trip exactly.
var recent = time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Add(time.Duration(base.Nanosecond()))

// received returns recent plus d.
func received(d time.Duration) time.Time { return recent.Add(d) }

// fastPoll keeps reader tests quick.
var fastPoll = poll.Backoff{First: 2 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 2}

func newDelivery(runID string, n int, received time.Time) journey.Delivery {
	return journey.Delivery{
		ID:         fmt.Sprintf("%s#%d", runID, n),
		RunID:      runID,
		ReceivedAt: received,
		Header:     http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
		Body:       []byte(fmt.Sprintf(`{"n":%d,"text":"überfällig \u0001"}`, n)),
	}
}

func mustPutDelivery(t *testing.T, ds store.DeliveryStore, d journey.Delivery) {
	t.Helper()
	if err := ds.PutDelivery(context.Background(), d); err != nil {
		t.Fatalf("PutDelivery(%s): %v", d.ID, err)
	}
}

func deliveryIDs(ds []journey.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func checkDeliveries(t *testing.T, what string, got, want []journey.Delivery) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", what, deliveryIDs(got), deliveryIDs(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.RunID != w.RunID || !g.ReceivedAt.Equal(w.ReceivedAt) || !bytes.Equal(g.Body, w.Body) ||
			!(len(g.Header) == 0 && len(w.Header) == 0 || reflect.DeepEqual(g.Header, w.Header)) {
			t.Errorf("%s [%s]: delivery differs\ngot:  %s\nwant: %s", what, w.ID, dump(g), dump(w))
		}
	}
}

func testDeliveryRoundTrip(t *testing.T, ds store.DeliveryStore) {
	d1 := newDelivery("run-1", 1, recent)
	d2 := newDelivery("run-1", 2, received(time.Second).In(pst))
	d3 := newDelivery("run-1", 3, received(2*time.Second))
	d3.Header, d3.Body = nil, nil
	other := newDelivery("run-10", 1, received(time.Millisecond))
	for _, d := range []journey.Delivery{d3, other, d1, d2} { // not in time order
		mustPutDelivery(t, ds, d)
	}
	got, next, err := ds.Deliveries(t.Context(), "run-1", "", 0)
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	checkDeliveries(t, "Deliveries(run-1)", got, []journey.Delivery{d1, d2, d3})
	if want := store.DeliveryPosition(d3); next != want {
		t.Errorf("next = %q, want the last position %q", next, want)
	}
	got, _, err = ds.Deliveries(t.Context(), "run-2", "", 0)
	if err != nil || len(got) != 0 {
		t.Errorf("Deliveries(unknown run) = %v, %v; want none, no error", deliveryIDs(got), err)
	}
}

func testDeliveryPaging(t *testing.T, ds store.DeliveryStore) {
	var want []journey.Delivery
	for i := range 5 {
		d := newDelivery("run-1", i+1, received(time.Duration(i)*time.Second))
		mustPutDelivery(t, ds, d)
		want = append(want, d)
	}
	var got []journey.Delivery
	after := ""
	for range 4 {
		page, next, err := ds.Deliveries(t.Context(), "run-1", after, 2)
		if err != nil {
			t.Fatalf("Deliveries(after %q): %v", after, err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d deliveries with limit 2", len(page))
		}
		if len(page) == 0 && next != after {
			t.Errorf("empty page moved the cursor from %q to %q", after, next)
		}
		got = append(got, page...)
		after = next
	}
	checkDeliveries(t, "pages", got, want)
	// A time-only position ("T#") selects everything received at or after T.
	page, _, err := ds.Deliveries(t.Context(), "run-1", store.DeliveryPosition(journey.Delivery{ReceivedAt: received(3 * time.Second)}), 0)
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "after a time", page, want[3:])
}

func testDeliveryDuplicate(t *testing.T, ds store.DeliveryStore) {
	d := newDelivery("run-1", 1, recent)
	mustPutDelivery(t, ds, d)
	dup := d
	dup.Body = []byte("overwritten")
	if err := ds.PutDelivery(t.Context(), dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate PutDelivery error = %v, want ErrExists", err)
	}
	got, _, err := ds.Deliveries(t.Context(), "run-1", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "after duplicate", got, []journey.Delivery{d})
}

func testDeliveryValidation(t *testing.T, ds store.DeliveryStore) {
	with := func(f func(*journey.Delivery)) journey.Delivery {
		d := newDelivery("run-1", 1, recent)
		f(&d)
		return d
	}
	tests := []struct {
		name  string
		call  func(ctx context.Context) error
		field string
	}{
		{"no run ID", func(ctx context.Context) error {
			return ds.PutDelivery(ctx, with(func(d *journey.Delivery) { d.RunID = "" }))
		}, "Delivery.RunID"},
		{"no ID", func(ctx context.Context) error {
			return ds.PutDelivery(ctx, with(func(d *journey.Delivery) { d.ID = "" }))
		}, "Delivery.ID"},
		{"ID too long", func(ctx context.Context) error {
			return ds.PutDelivery(ctx, with(func(d *journey.Delivery) { d.ID = strings.Repeat("x", store.MaxDeliveryIDLen+1) }))
		}, "Delivery.ID"},
		{"no receive time", func(ctx context.Context) error {
			return ds.PutDelivery(ctx, with(func(d *journey.Delivery) { d.ReceivedAt = time.Time{} }))
		}, "Delivery.ReceivedAt"},
		{"body too large", func(ctx context.Context) error {
			return ds.PutDelivery(ctx, with(func(d *journey.Delivery) { d.Body = make([]byte, store.MaxDeliveryBody+1) }))
		}, "Delivery.Body"},
		{"list without run", func(ctx context.Context) error { _, _, err := ds.Deliveries(ctx, "", "", 0); return err }, "runID"},
		{"negative limit", func(ctx context.Context) error { _, _, err := ds.Deliveries(ctx, "run-1", "", -1); return err }, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t.Context())
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the field %s", err, tt.field)
			}
		})
	}
	got, _, err := ds.Deliveries(t.Context(), "run-1", "", 0)
	if err != nil || len(got) != 0 {
		t.Errorf("after invalid writes Deliveries = %v, %v; want none", deliveryIDs(got), err)
	}
}

func testDeliveryCancelled(t *testing.T, ds store.DeliveryStore) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := ds.PutDelivery(ctx, newDelivery("run-1", 1, recent)); !errors.Is(err, context.Canceled) {
		t.Errorf("PutDelivery with cancelled context: error = %v, want context.Canceled", err)
	}
	if _, _, err := ds.Deliveries(ctx, "run-1", "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Deliveries with cancelled context: error = %v, want context.Canceled", err)
	}
	if got, _, err := ds.Deliveries(t.Context(), "run-1", "", 0); err != nil || len(got) != 0 {
		t.Errorf("Deliveries = %v, %v; a cancelled PutDelivery must not write", deliveryIDs(got), err)
	}
}

// bounded is the context of a Next that should return at once: a reader
// that wrongly waits fails the case in 10 s instead of hanging the suite.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newReader(ds store.DeliveryStore) journey.SinkReader {
	return store.NewSinkReader(ds, func(runID string) string { return "https://sink.example/run/" + runID }, fastPoll)
}

type nextResult struct {
	ds     []journey.Delivery
	cursor string
	err    error
}

func nextAsync(ctx context.Context, r journey.SinkReader, runID, cursor string) <-chan nextResult {
	ch := make(chan nextResult, 1)
	go func() {
		ds, c, err := r.Next(ctx, runID, cursor)
		ch <- nextResult{ds, c, err}
	}()
	return ch
}

func testReaderBlocks(t *testing.T, ds store.DeliveryStore) {
	r := newReader(ds)
	if got := r.URL("run-1"); got != "https://sink.example/run/run-1" {
		t.Errorf("URL = %q", got)
	}
	ch := nextAsync(t.Context(), r, "run-1", "")
	select {
	case res := <-ch:
		t.Fatalf("Next returned %v, %v before any delivery", deliveryIDs(res.ds), res.err)
	case <-time.After(100 * time.Millisecond):
	}
	d := newDelivery("run-1", 1, time.Now())
	mustPutDelivery(t, ds, d)
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("Next: %v", res.err)
		}
		checkDeliveries(t, "Next", res.ds, []journey.Delivery{d})
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return within 5s of the delivery")
	}
	// Once ctx ends, Next returns ctx's error.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, c, err := r.Next(ctx, "run-2", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next without deliveries: error = %v, want context.DeadlineExceeded", err)
	}
	if c != "" {
		t.Errorf("Next without deliveries moved the cursor to %q", c)
	}
}

func testReaderIsolation(t *testing.T, ds store.DeliveryStore) {
	r := newReader(ds)
	ch := nextAsync(t.Context(), r, "run-1", "")
	mustPutDelivery(t, ds, newDelivery("run-10", 1, time.Now()))
	mustPutDelivery(t, ds, newDelivery("run-", 1, time.Now()))
	select {
	case res := <-ch:
		t.Fatalf("Next(run-1) returned %v, %v for other runs' deliveries", deliveryIDs(res.ds), res.err)
	case <-time.After(150 * time.Millisecond):
	}
	mine := newDelivery("run-1", 1, time.Now())
	mustPutDelivery(t, ds, mine)
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatal(res.err)
		}
		checkDeliveries(t, "Next(run-1)", res.ds, []journey.Delivery{mine})
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return")
	}
}

func testReaderCursor(t *testing.T, ds store.DeliveryStore) {
	r := newReader(ds)
	now := time.Now()
	d1, d2 := newDelivery("run-1", 1, now), newDelivery("run-1", 2, now.Add(time.Millisecond))
	mustPutDelivery(t, ds, d1)
	mustPutDelivery(t, ds, d2)
	got, c1, err := r.Next(bounded(t), "run-1", "")
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "first Next", got, []journey.Delivery{d1, d2})
	d3 := newDelivery("run-1", 3, now.Add(2*time.Millisecond))
	mustPutDelivery(t, ds, d3)
	got, c2, err := r.Next(bounded(t), "run-1", c1)
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "second Next", got, []journey.Delivery{d3})
	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Millisecond)
	defer cancel()
	if got, _, err := r.Next(ctx, "run-1", c2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next at the end = %v, %v; want to block until the deadline", deliveryIDs(got), err)
	}
	if _, _, err := r.Next(t.Context(), "run-1", "not a cursor"); err == nil {
		t.Error("Next with a garbage cursor succeeded")
	}
}

// testReaderLateDelivery stores a delivery whose ReceivedAt is older than
// one the reader already returned, as two sink instances racing do.
func testReaderLateDelivery(t *testing.T, ds store.DeliveryStore) {
	r := newReader(ds)
	now := time.Now()
	newer := newDelivery("run-1", 2, now)
	mustPutDelivery(t, ds, newer)
	got, c, err := r.Next(bounded(t), "run-1", "")
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "first Next", got, []journey.Delivery{newer})
	late := newDelivery("run-1", 1, now.Add(-time.Second))
	mustPutDelivery(t, ds, late)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	got, _, err = r.Next(ctx, "run-1", c)
	if err != nil {
		t.Fatalf("Next after a late delivery: %v", err)
	}
	checkDeliveries(t, "Next after a late delivery", got, []journey.Delivery{late})
}

// testDeliveryExpiry: a delivery received more than DefaultDeliveryTTL ago
// is never returned, though the store may still hold it (DynamoDB deletes
// expired items days late); it neither counts towards a limit nor ends a
// listing, and a reader waits on past it.
func testDeliveryExpiry(t *testing.T, ds store.DeliveryStore) {
	now := time.Now()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	var expired []journey.Delivery
	for i := range 3 {
		d := newDelivery("run-1", i+1, ago(store.DefaultDeliveryTTL+time.Duration(3-i)*time.Minute))
		mustPutDelivery(t, ds, d)
		expired = append(expired, d)
	}
	live := newDelivery("run-1", 4, ago(store.DefaultDeliveryTTL-time.Minute))
	fresh := newDelivery("run-1", 5, now)
	mustPutDelivery(t, ds, live)
	mustPutDelivery(t, ds, fresh)
	mustPutDelivery(t, ds, newDelivery("run-2", 1, ago(store.DefaultDeliveryTTL+time.Hour)))

	got, next, err := ds.Deliveries(t.Context(), "run-1", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "Deliveries with three expired", got, []journey.Delivery{live, fresh})
	if want := store.DeliveryPosition(fresh); next != want {
		t.Errorf("next = %q, want %q", next, want)
	}
	// Limit 1: the expired deliveries before the live one take no part of it.
	page, next, err := ds.Deliveries(t.Context(), "run-1", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "first page of 1", page, []journey.Delivery{live})
	if page, _, err = ds.Deliveries(t.Context(), "run-1", next, 1); err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "second page of 1", page, []journey.Delivery{fresh})
	if page, _, err = ds.Deliveries(t.Context(), "run-1", store.DeliveryPosition(expired[0]), 0); err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, "after an expired one", page, []journey.Delivery{live, fresh})

	// A run whose only delivery expired has none, and its reader waits.
	got, next, err = ds.Deliveries(t.Context(), "run-2", "", 0)
	if err != nil || len(got) != 0 || next != "" {
		t.Errorf("Deliveries(run-2) = %v, %q, %v; want none, the cursor unmoved", deliveryIDs(got), next, err)
	}
	r := newReader(ds)
	if got, _, err := r.Next(bounded(t), "run-1", ""); err != nil {
		t.Fatal(err)
	} else {
		checkDeliveries(t, "reader", got, []journey.Delivery{live, fresh})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	if got, _, err := r.Next(ctx, "run-2", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("reader of a run with only an expired delivery = %v, %v; want to wait until the deadline", deliveryIDs(got), err)
	}
}
