package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
)

// OverrideRetention is how long an override item outlives its ExpiresAt
// before the table's TTL may delete it: it no longer applies, but stays
// readable for audit (the verdicts it changed keep a copy for good).
const OverrideRetention = 90 * 24 * time.Hour

// revisionBudget bounds each replaced verdict kept in a run's revisions, so
// MaxRevisions of them and the current verdict fit the run item.
const revisionBudget = 32 * 1024

const (
	kindOverride      = "override"
	pkOverridePrefix  = "OVERRIDE#"
	skOverridePrefix  = "AT#"
	attrRevisions     = "revisions"
	overrideCondition = "attribute_not_exists(#pk)"
)

var (
	_ store.OverrideStore  = (*Store)(nil)
	_ store.VerdictReviser = (*Store)(nil)
)

// overrideItem is one override. Its expiry is "until": "expiresAt" is the
// table's TTL attribute (epoch seconds, OverrideRetention later).
type overrideItem struct {
	itemKeys
	Deployment string    `json:"deployment"`
	By         string    `json:"by"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
	Until      time.Time `json:"until"`
}

func overridePK(deployment string) string { return pkOverridePrefix + deployment }

// PutOverride records o with one conditional PutItem into its deployment's
// partition; ErrExists if an override with the same At is stored.
func (d *Store) PutOverride(ctx context.Context, o gate.Override) error {
	if err := store.ValidateOverride(o); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	item, err := marshalItem(overrideItem{
		itemKeys: itemKeys{
			PK: overridePK(o.Deployment), SK: skOverridePrefix + store.TimeKey(o.At), Kind: kindOverride,
			ExpiresAt: o.ExpiresAt.Add(OverrideRetention).Unix(),
		},
		Deployment: o.Deployment, By: o.By, Reason: o.Reason, At: o.At, Until: o.ExpiresAt,
	})
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode override: %w", d.table, err)
	}
	_, err = d.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(d.table),
		Item:                     item,
		ConditionExpression:      aws.String(overrideCondition),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	what := fmt.Sprintf("override of deployment %q at %s", o.Deployment, store.TimeKey(o.At))
	if _, ok := conditionFailed(err); ok {
		return fmt.Errorf("%s: %w", what, store.ErrExists)
	}
	if err != nil {
		return d.fail(ctx, "put "+what, err)
	}
	return nil
}

// Overrides returns deployment's overrides, oldest first, from one
// strongly consistent Query of its partition.
func (d *Store) Overrides(ctx context.Context, deployment string) ([]gate.Override, error) {
	if err := store.CheckName("deployment", deployment, true); err != nil {
		return nil, err
	}
	if err := d.ready(ctx); err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(overridePK(deployment))},
		ConsistentRead:            aws.Bool(true),
	}
	var out []gate.Override
	err := d.query(ctx, in, 0, func(item map[string]types.AttributeValue) error {
		if kindOf(item) != kindOverride {
			return nil
		}
		var it overrideItem
		if err := unmarshalItem(item, &it); err != nil {
			return fmt.Errorf("dynamodb %s: decode override %s %s: %w", d.table, it.PK, it.SK, err)
		}
		out = append(out, gate.Override{Deployment: it.Deployment, By: it.By, Reason: it.Reason, At: it.At, ExpiresAt: it.Until})
		return nil
	})
	if err != nil {
		return nil, d.wrapQuery(ctx, fmt.Sprintf("query overrides of deployment %q", deployment), err)
	}
	return out, nil
}

// ReviseVerdict reads the run item (one consistent GetItem) and replaces
// its verdict with one UpdateItem that appends the old verdict to
// "revisions", conditional on the verdict existing and the revisions being
// the ones seen: a concurrent re-decision makes it ErrConflict.
func (d *Store) ReviseVerdict(ctx context.Context, runID string, seen int, v gate.Verdict, at time.Time, by, why string) error {
	if err := store.ValidateRevision(runID, seen, v, at, by, why); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	run, err := d.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	rev, err := store.RevisionFor(run, seen, at, by, why)
	if err != nil {
		return err
	}
	entry, err := boundedRevision(rev)
	if err != nil {
		return fmt.Errorf("revision of run %q: %w", runID, err)
	}
	av, err := boundedVerdict(v)
	if err != nil {
		return fmt.Errorf("verdict for run %q: %w", runID, err)
	}
	cond := "attribute_exists(#v) AND attribute_not_exists(#rv)"
	values := map[string]types.AttributeValue{
		":v":     av,
		":entry": &types.AttributeValueMemberL{Value: []types.AttributeValue{entry}},
		":empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
	}
	if seen > 0 {
		cond = "attribute_exists(#v) AND size(#rv) = :seen"
		values[":seen"] = &types.AttributeValueMemberN{Value: fmt.Sprint(seen)}
	}
	_, err = d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       runKey(runID),
		UpdateExpression:          aws.String("SET #v = :v, #rv = list_append(if_not_exists(#rv, :empty), :entry)"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#v": attrVerdict, "#rv": attrRevisions},
		ExpressionAttributeValues: values,
	})
	if _, lost := conditionFailed(err); lost {
		// The run and its verdict were read above and are never deleted:
		// another re-decision got there first.
		return fmt.Errorf("verdict of run %q: revised concurrently: %w", runID, store.ErrConflict)
	}
	if err != nil {
		return d.fail(ctx, fmt.Sprintf("revise verdict of run %q", runID), err)
	}
	return nil
}

// boundedRevision marshals a revision, truncating the replaced verdict's
// texts until it fits revisionBudget.
func boundedRevision(r store.Revision) (types.AttributeValue, error) {
	av, err := marshalValue(r)
	if err != nil {
		return nil, fmt.Errorf("encode revision: %w", err)
	}
	for _, limit := range textCaps {
		if valueSize(av) <= revisionBudget {
			return av, nil
		}
		t := r
		t.Verdict = truncateVerdict(r.Verdict, limit)
		if av, err = marshalValue(t); err != nil {
			return nil, fmt.Errorf("encode revision: %w", err)
		}
	}
	if n := valueSize(av); n > revisionBudget {
		return nil, store.Invalidf("Revision", "is %d bytes with every text cut to %d bytes, over the budget of %d", n, textCaps[len(textCaps)-1], revisionBudget)
	}
	return av, nil
}
