package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// notExists is the condition of every insert: no item has this key yet.
const notExists = "attribute_not_exists(#pk)"

// CreateRun stores a new run with one conditional PutItem; ErrExists if the ID is taken.
func (d *Store) CreateRun(ctx context.Context, r store.RunRecord) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	item, err := marshalItem(runItem{itemKeys: runKeys(r, d.ttl), RunRecord: r})
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode run %q: %w", d.table, r.ID, err)
	}
	if err := d.putNew(ctx, item, fmt.Sprintf("run %q", r.ID)); err != nil {
		return err
	}
	d.cacheEnv(r.ID, r.Environment)
	return nil
}

// PutResult stores a result, its steps and its four history keys with one
// conditional PutItem; ErrExists on a duplicate, ErrNotFound without its
// run. The run's environment is read once per run and process (GetItem).
func (d *Store) PutResult(ctx context.Context, r journey.Result) error {
	if err := store.ValidateResult(r); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	env, err := d.runEnv(ctx, r.RunID)
	if err != nil {
		return err
	}
	if err := store.CheckResultEnvironment(r, store.RunRecord{ID: r.RunID, Environment: env}); err != nil {
		return err
	}
	item, err := boundedResultItem(resultKeys(r, d.ttl), r)
	if err != nil {
		return fmt.Errorf("result %s/%s attempt %d: %w", r.RunID, r.Journey, r.Attempt, err)
	}
	return d.putNew(ctx, item, fmt.Sprintf("result %s/%s attempt %d", r.RunID, r.Journey, r.Attempt))
}

// runEnv returns the run's environment from the cache or a consistent GetItem; ErrNotFound without the run.
func (d *Store) runEnv(ctx context.Context, runID string) (string, error) {
	if env, ok := d.cachedEnv(runID); ok {
		return env, nil
	}
	out, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(d.table),
		Key:                      runKey(runID),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#env"),
		ExpressionAttributeNames: map[string]string{"#env": attrEnv},
	})
	if err != nil {
		return "", d.fail(ctx, fmt.Sprintf("get run %q", runID), err)
	}
	if out.Item == nil {
		return "", fmt.Errorf("run %q: %w", runID, store.ErrNotFound)
	}
	var it struct {
		Environment string `json:"environment"`
	}
	if err := unmarshalItem(out.Item, &it); err != nil || it.Environment == "" {
		return "", fmt.Errorf("dynamodb %s: run %q has no readable environment: %v", d.table, runID, err)
	}
	d.cacheEnv(runID, it.Environment)
	return it.Environment, nil
}

func runKey(runID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(runPK(runID)), attrSK: str(skRun)}
}

// PutVerdict records the verdict and finish time on the run item with one
// conditional UpdateItem; ErrExists on a second call, ErrNotFound without the run.
func (d *Store) PutVerdict(ctx context.Context, runID string, v gate.Verdict, finishedAt time.Time) error {
	if err := store.ValidateVerdict(runID, v, finishedAt); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	av, err := boundedVerdict(v)
	if err != nil {
		return fmt.Errorf("verdict for run %q: %w", runID, err)
	}
	fin, err := marshalValue(finishedAt)
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode finish time: %w", d.table, err)
	}
	_, err = d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(d.table),
		Key:                                 runKey(runID),
		UpdateExpression:                    aws.String("SET #v = :v, #f = :f"),
		ConditionExpression:                 aws.String("attribute_exists(#pk) AND attribute_not_exists(#v)"),
		ExpressionAttributeNames:            map[string]string{"#pk": attrPK, "#v": attrVerdict, "#f": attrFinish},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":v": av, ":f": fin},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	ccf, lost := conditionFailed(err)
	switch {
	case err == nil:
		return nil
	case !lost:
		return d.fail(ctx, fmt.Sprintf("put verdict for run %q", runID), err)
	case ccf.Item != nil:
		// DynamoDB returned the item: it exists, so the verdict was there.
		return fmt.Errorf("verdict for run %q: %w", runID, store.ErrExists)
	}
	// Local stand-ins do not return the old item: one read tells the cases apart.
	if _, err := d.runEnv(ctx, runID); err != nil {
		return err
	}
	return fmt.Errorf("verdict for run %q: %w", runID, store.ErrExists)
}

// GetRun reads the run item strongly consistently; ErrNotFound if it does not exist.
func (d *Store) GetRun(ctx context.Context, runID string) (store.RunRecord, error) {
	if err := store.ValidateRunID(runID); err != nil {
		return store.RunRecord{}, err
	}
	if err := d.ready(ctx); err != nil {
		return store.RunRecord{}, err
	}
	out, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            runKey(runID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.RunRecord{}, d.fail(ctx, fmt.Sprintf("get run %q", runID), err)
	}
	if out.Item == nil {
		return store.RunRecord{}, fmt.Errorf("run %q: %w", runID, store.ErrNotFound)
	}
	return d.decodeRun(out.Item)
}

func (d *Store) decodeRun(item map[string]types.AttributeValue) (store.RunRecord, error) {
	var it runItem
	if err := unmarshalItem(item, &it); err != nil {
		return store.RunRecord{}, fmt.Errorf("dynamodb %s: decode run %q: %w", d.table, it.PK, err)
	}
	return it.RunRecord, nil
}

func (d *Store) decodeResult(item map[string]types.AttributeValue) (journey.Result, error) {
	var it resultItem
	if err := unmarshalItem(item, &it); err != nil {
		return journey.Result{}, fmt.Errorf("dynamodb %s: decode result %s %s: %w", d.table, it.PK, it.SK, err)
	}
	return it.Result, nil
}

// Results returns the run's results sorted by journey, then attempt, from one Query of the run's partition; ErrNotFound if the run does not exist.
func (d *Store) Results(ctx context.Context, runID string) ([]journey.Result, error) {
	_, out, err := d.RunResults(ctx, runID)
	return out, err
}

// RunResults returns the run and its results from one strongly consistent
// Query of the run's partition (more pages only past 1 MB); ErrNotFound if
// the run does not exist.
func (d *Store) RunResults(ctx context.Context, runID string) (store.RunRecord, []journey.Result, error) {
	if err := store.ValidateRunID(runID); err != nil {
		return store.RunRecord{}, nil, err
	}
	if err := d.ready(ctx); err != nil {
		return store.RunRecord{}, nil, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(runPK(runID))},
		ConsistentRead:            aws.Bool(true),
	}
	var run *store.RunRecord
	var results []journey.Result
	err := d.query(ctx, in, 0, func(item map[string]types.AttributeValue) error {
		switch kindOf(item) {
		case kindRun:
			r, err := d.decodeRun(item)
			run = &r
			return err
		case kindResult:
			r, err := d.decodeResult(item)
			results = append(results, r)
			return err
		}
		return nil // other records of the run are not results
	})
	if err != nil {
		return store.RunRecord{}, nil, d.wrapQuery(ctx, fmt.Sprintf("query run %q", runID), err)
	}
	if run == nil {
		return store.RunRecord{}, nil, fmt.Errorf("run %q: %w", runID, store.ErrNotFound)
	}
	slices.SortStableFunc(results, func(a, b journey.Result) int {
		return cmp.Or(strings.Compare(a.Journey, b.Journey), cmp.Compare(a.Attempt, b.Attempt))
	})
	return *run, results, nil
}

// History returns matching results newest first from the one index whose
// partition fits the filters, reading pages until Since or Limit.
func (d *Store) History(ctx context.Context, q store.HistoryQuery) ([]journey.Result, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := d.ready(ctx); err != nil {
		return nil, err
	}
	index, attr, pk := IndexAll, attrGSI4PK, pkHistAll
	switch {
	case q.Journey != "" && q.Environment != "":
		index, attr, pk = IndexHistoryByEnvJourney, attrGSI1PK, histEnvJourneyPK(q.Environment, q.Journey)
	case q.Environment != "":
		index, attr, pk = IndexByEnvironment, attrGSI2PK, histPK(q.Environment)
	case q.Journey != "":
		index, attr, pk = IndexHistoryByJourney, attrGSI3PK, histPK(q.Journey)
	}
	items, err := d.indexed(ctx, newestFirst(d.table, index, attr, pk, q.Since), q.Limit)
	if err != nil {
		return nil, d.wrapQuery(ctx, "query history "+index, err)
	}
	out := make([]journey.Result, 0, len(items))
	for _, item := range items {
		r, err := d.decodeResult(item)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RecentRuns returns matching runs newest first from the index that fits the filter.
func (d *Store) RecentRuns(ctx context.Context, q store.RunQuery) ([]store.RunRecord, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := d.ready(ctx); err != nil {
		return nil, err
	}
	index, attr, pk := IndexAll, attrGSI4PK, pkRunsAll
	if q.Environment != "" {
		index, attr, pk = IndexByEnvironment, attrGSI2PK, runsPK(q.Environment)
	}
	items, err := d.indexed(ctx, newestFirst(d.table, index, attr, pk, q.Since), q.Limit)
	if err != nil {
		return nil, d.wrapQuery(ctx, "query runs "+index, err)
	}
	out := make([]store.RunRecord, 0, len(items))
	for _, item := range items {
		r, err := d.decodeRun(item)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// indexGets bounds the GetItem requests indexed has in flight at once.
const indexGets = 8

// indexed reads up to limit (0 = all) keys from an index, which projects
// keys only, and then each item from the table, in the index's order:
// one eventually consistent GetItem per key, and a strongly consistent
// one for a key whose item that did not return yet (the index lists an
// item only after the table has it). An item gone from the table by then
// (expired) is left out. Request errors are *queryError.
func (d *Store) indexed(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]map[string]types.AttributeValue, error) {
	var keys []map[string]types.AttributeValue
	err := d.query(ctx, in, limit, func(item map[string]types.AttributeValue) error {
		keys = append(keys, map[string]types.AttributeValue{attrPK: item[attrPK], attrSK: item[attrSK]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	items := make([]map[string]types.AttributeValue, len(keys))
	errs := make([]error, len(keys))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	slots := make(chan struct{}, indexGets)
	for i, key := range keys {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			for _, consistent := range []bool{false, true} {
				out, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: key, ConsistentRead: aws.Bool(consistent)})
				if err != nil {
					errs[i] = &queryError{err}
					cancel()
					return
				}
				if out.Item != nil {
					items[i] = out.Item
					return
				}
			}
		}()
	}
	wg.Wait()
	// The first error that is not the cancellation the first one caused.
	var first error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if first == nil {
			first = e
		}
		if !errors.Is(e, context.Canceled) {
			return nil, e
		}
	}
	if first != nil {
		return nil, first
	}
	out := items[:0]
	for _, item := range items {
		if item != nil {
			out = append(out, item)
		}
	}
	return out, nil
}

// newestFirst queries one index partition from the newest GSISK down to since.
func newestFirst(table, index, pkAttr, pk string, since time.Time) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ScanIndexForward:          aws.Bool(false),
	}
	if !since.IsZero() {
		// GSISK starts with the fixed-width time, so ">= T" keeps StartedAt >= since.
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk >= :since")
		in.ExpressionAttributeNames["#sk"] = attrGSISK
		in.ExpressionAttributeValues[":since"] = str(store.TimeKey(since))
	}
	return in
}

// queryError marks an error returned by a Query request, as opposed to one from decoding.
type queryError struct{ err error }

func (e *queryError) Error() string { return e.err.Error() }
func (e *queryError) Unwrap() error { return e.err }

// query runs in page by page, calling each for every item, until limit
// items (0 = all) or the last page; it never reads a page it does not need.
func (d *Store) query(ctx context.Context, in *dynamodb.QueryInput, limit int, each func(map[string]types.AttributeValue) error) error {
	n := 0
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(min(limit-n, 1000)))
		}
		out, err := d.api.Query(ctx, in)
		if err != nil {
			return &queryError{err}
		}
		for _, item := range out.Items {
			if err := each(item); err != nil {
				return err
			}
			if n++; limit > 0 && n >= limit {
				return nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// wrapQuery adds context to request errors; decoding errors already have it.
func (d *Store) wrapQuery(ctx context.Context, what string, err error) error {
	if qe, ok := err.(*queryError); ok {
		return d.fail(ctx, what, qe.err)
	}
	return err
}

// putNew writes item only if its key is free: one conditional PutItem. A
// taken key is ErrExists; any other failure is wrapped as what failed.
func (d *Store) putNew(ctx context.Context, item map[string]types.AttributeValue, what string) error {
	_, err := d.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(d.table),
		Item:                     item,
		ConditionExpression:      aws.String(notExists),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if _, ok := conditionFailed(err); ok {
		return fmt.Errorf("%s: %w", what, store.ErrExists)
	}
	if err != nil {
		return d.fail(ctx, "put "+what, err)
	}
	return nil
}

// MarkReported sets the run item's reportedAt once, with one conditional
// UpdateItem (CreateRun writes a zero time, so "unset" is absent or zero);
// ErrNotFound without the run.
func (d *Store) MarkReported(ctx context.Context, runID string, at time.Time) error {
	if err := store.ValidateRunID(runID); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	av, err := marshalValue(at.UTC())
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode report time: %w", d.table, err)
	}
	zero, err := marshalValue(time.Time{})
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode zero time: %w", d.table, err)
	}
	_, err = d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       runKey(runID),
		UpdateExpression:          aws.String("SET #r = :r"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND (attribute_not_exists(#r) OR #r = :zero)"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#r": attrReported},
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": av, ":zero": zero},
	})
	if _, lost := conditionFailed(err); lost {
		// Marked before, or no such run: one read tells them apart.
		if _, gerr := d.GetRun(ctx, runID); gerr != nil {
			return gerr
		}
		return nil
	}
	if err != nil {
		return d.fail(ctx, fmt.Sprintf("mark run %q reported", runID), err)
	}
	return nil
}
