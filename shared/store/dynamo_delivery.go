package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/shared/journey"
)

// PutDelivery stores d in its run's sink partition with one conditional PutItem; ErrExists if its position is taken.
func (d *Dynamo) PutDelivery(ctx context.Context, dl journey.Delivery) error {
	if err := ValidateDelivery(dl); err != nil {
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
// first, at most limit (0 = all), from strongly consistent Query pages.
func (d *Dynamo) Deliveries(ctx context.Context, runID, after string, limit int) ([]journey.Delivery, string, error) {
	if err := validateDeliveryQuery(runID, limit); err != nil {
		return nil, after, err
	}
	if err := d.ready(ctx); err != nil {
		return nil, after, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(sinkPK(runID))},
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
