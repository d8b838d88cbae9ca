package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// PutDelivery stores d in its run's sink partition with one conditional PutItem; ErrExists if its position is taken.
func (d *Store) PutDelivery(ctx context.Context, dl journey.Delivery) error {
	if err := store.ValidateDelivery(dl); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	item, err := boundedDeliveryItem(deliveryKeys(dl, d.deliveryTTL), dl)
	if err != nil {
		return fmt.Errorf("delivery %q of run %q: %w", dl.ID, dl.RunID, err)
	}
	return d.putNew(ctx, item, fmt.Sprintf("delivery %q of run %q", dl.ID, dl.RunID))
}

// Deliveries returns runID's deliveries positioned after after, oldest
// first, at most limit (0 = all), from strongly consistent Query pages. An
// expired delivery is never returned: DynamoDB deletes expired items only
// eventually (within days), so the Query filters them out (deliveryLive).
func (d *Store) Deliveries(ctx context.Context, runID, after string, limit int) ([]journey.Delivery, string, error) {
	if err := store.ValidateDeliveryQuery(runID, limit); err != nil {
		return nil, after, err
	}
	if err := d.ready(ctx); err != nil {
		return nil, after, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		FilterExpression:          aws.String(deliveryLive),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(sinkPK(runID)), ":now": epoch(d.now())},
		ConsistentRead:            aws.Bool(true),
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk > :after")
		in.ExpressionAttributeNames["#sk"] = attrSK
		in.ExpressionAttributeValues[":after"] = str(after)
	}
	var out []journey.Delivery
	next := after
	err := d.query(ctx, in, limit, func(item map[string]types.AttributeValue) error {
		var it deliveryItem
		if err := unmarshalItem(item, &it); err != nil {
			return fmt.Errorf("dynamodb %s: decode delivery %s %s: %w", d.table, it.PK, it.SK, err)
		}
		body, err := deliveryBody(it)
		if err != nil {
			return fmt.Errorf("dynamodb %s: %w", d.table, err)
		}
		out = append(out, journey.Delivery{ID: it.ID, RunID: it.RunID, ReceivedAt: it.ReceivedAt, Header: it.Header, Body: body})
		next = it.SK
		return nil
	})
	if err != nil {
		return nil, after, d.wrapQuery(ctx, fmt.Sprintf("query deliveries of run %q", runID), err)
	}
	return out, next, nil
}

// deliveryLive keeps the deliveries that have not expired: those without
// the TTL attribute, and those whose expiry (epoch seconds) is still
// ahead of :now, the current epoch second; deliveryExpired is the same
// rule for the embedded store. A Query's Limit counts the items read
// before this filter, so d.query reads on until it has limit live ones.
const deliveryLive = "attribute_not_exists(#exp) OR #exp > :now"

// epoch is t as a DynamoDB number of epoch seconds.
func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}
