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
)

// LeaseRetention is how long a lease item outlives its expiry before the
// DynamoDB table's TTL may delete it. The item's own expiry decides who may
// take the resource; the TTL only clears leases of resources no longer used.
const LeaseRetention = 24 * time.Hour

const (
	kindLease       = "lease"
	pkLeasePrefix   = "LEASE#"
	skLeasePrefix   = "RES#"
	attrHolder      = "holder"
	attrLeaseUntil  = "until"
	attrLeaseAcq    = "acquiredAt"
	leaseFreeCond   = "attribute_not_exists(#pk) OR attribute_not_exists(#until) OR #until < :now"
	leaseHolderCond = "#holder = :holder"
)

var _ store.LeaseStore = (*Store)(nil)

// leaseItem is one resource's lease. "until" is the lease's expiry as the
// fixed-width UTC time (timeKey), so conditions compare it as a string;
// "expiresAt", the table's TTL attribute, is LeaseRetention later. A
// released lease keeps its item without holder and until.
type leaseItem struct {
	itemKeys
	Environment string    `json:"environment"`
	Pool        string    `json:"pool"`
	Resource    string    `json:"resource"`
	Holder      string    `json:"holder,omitempty"`
	AcquiredAt  time.Time `json:"acquiredAt"`
	Until       string    `json:"until,omitempty"`
}

// leasePK prefixes the environment with its length, so no pair of names
// (which may contain '#') shares a partition with another pair.
func leasePK(environment, pool string) string {
	return pkLeasePrefix + strconv.Itoa(len(environment)) + "#" + environment + "#" + pool
}

func leaseItemKey(l store.Lease) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(leasePK(l.Environment, l.Pool)), attrSK: str(skLeasePrefix + l.Resource)}
}

func leaseTTL(until time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(until.Add(LeaseRetention).Unix(), 10)}
}

// AcquireLease writes the lease item with one PutItem, conditional on the
// item not existing, having been released, or having expired before
// l.AcquiredAt.
func (d *Store) AcquireLease(ctx context.Context, l store.Lease) error {
	if err := store.ValidateLease(l); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	item, err := marshalItem(leaseItem{
		itemKeys: itemKeys{
			PK: leasePK(l.Environment, l.Pool), SK: skLeasePrefix + l.Resource, Kind: kindLease,
			ExpiresAt: l.ExpiresAt.Add(LeaseRetention).Unix(),
		},
		Environment: l.Environment, Pool: l.Pool, Resource: l.Resource, Holder: l.Holder,
		AcquiredAt: l.AcquiredAt, Until: store.TimeKey(l.ExpiresAt),
	})
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode %s: %w", d.table, store.DescribeLease(l), err)
	}
	_, err = d.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(d.table),
		Item:                      item,
		ConditionExpression:       aws.String(leaseFreeCond),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#until": attrLeaseUntil},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": str(store.TimeKey(l.AcquiredAt))},
	})
	if _, ok := conditionFailed(err); ok {
		return fmt.Errorf("%s: %w", store.DescribeLease(l), store.ErrLeased)
	}
	if err != nil {
		return d.fail(ctx, "acquire "+store.DescribeLease(l), err)
	}
	return nil
}

// RenewLease moves the lease's expiry with one UpdateItem, conditional on
// the holder.
func (d *Store) RenewLease(ctx context.Context, l store.Lease, until time.Time) error {
	if err := store.ValidateRenewal(l, until); err != nil {
		return err
	}
	return d.updateHeld(ctx, l, "renew", &dynamodb.UpdateItemInput{
		UpdateExpression: aws.String("SET #until = :until, #exp = :exp"),
		ExpressionAttributeNames: map[string]string{
			"#holder": attrHolder, "#until": attrLeaseUntil, "#exp": attrExpires,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":holder": str(l.Holder), ":until": str(store.TimeKey(until)), ":exp": leaseTTL(until),
		},
	})
}

// ReleaseLease frees the resource with one UpdateItem that removes the
// holder and the expiry, conditional on the holder. The item stays (its
// TTL attribute set from the release time), so no DeleteItem is needed.
func (d *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if err := store.ValidateLeaseKey(l); err != nil {
		return err
	}
	return d.updateHeld(ctx, l, "release", &dynamodb.UpdateItemInput{
		UpdateExpression:         aws.String("REMOVE #holder, #until SET #exp = :exp"),
		ExpressionAttributeNames: map[string]string{"#holder": attrHolder, "#until": attrLeaseUntil, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":holder": str(l.Holder), ":exp": leaseTTL(time.Now()),
		},
	})
}

// updateHeld sends in for l's item on condition that l.Holder holds it.
func (d *Store) updateHeld(ctx context.Context, l store.Lease, verb string, in *dynamodb.UpdateItemInput) error {
	if err := d.ready(ctx); err != nil {
		return err
	}
	in.TableName = aws.String(d.table)
	in.Key = leaseItemKey(l)
	in.ConditionExpression = aws.String(leaseHolderCond)
	_, err := d.api.UpdateItem(ctx, in)
	if _, ok := conditionFailed(err); ok {
		return fmt.Errorf("%s by %q: %w", store.DescribeLease(l), l.Holder, store.ErrNotHeld)
	}
	if err != nil {
		return d.fail(ctx, verb+" "+store.DescribeLease(l), err)
	}
	return nil
}

// Leases reads the pool's partition with one consistent Query.
func (d *Store) Leases(ctx context.Context, environment, pool string) ([]store.Lease, error) {
	if err := store.ValidatePool(environment, pool); err != nil {
		return nil, err
	}
	if err := d.ready(ctx); err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(leasePK(environment, pool))},
		ConsistentRead:            aws.Bool(true),
	}
	var out []store.Lease
	err := d.query(ctx, in, 0, func(item map[string]types.AttributeValue) error {
		if kindOf(item) != kindLease {
			return nil
		}
		var it leaseItem
		if err := unmarshalItem(item, &it); err != nil {
			return fmt.Errorf("dynamodb %s: decode lease %s %s: %w", d.table, it.PK, it.SK, err)
		}
		if it.Holder == "" {
			return nil // released
		}
		until, err := time.Parse(store.TimeLayout, it.Until)
		if err != nil {
			return fmt.Errorf("dynamodb %s: decode lease %s %s: until %q: %w", d.table, it.PK, it.SK, it.Until, err)
		}
		out = append(out, store.Lease{
			Environment: it.Environment, Pool: it.Pool, Resource: it.Resource, Holder: it.Holder,
			AcquiredAt: it.AcquiredAt, ExpiresAt: until,
		})
		return nil
	})
	if err != nil {
		return nil, d.wrapQuery(ctx, fmt.Sprintf("query leases of pool %s/%s", environment, pool), err)
	}
	return out, nil
}
