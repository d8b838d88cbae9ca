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

// PageRetention is how long a page record outlives its PagedAt before the
// table's TTL may delete it; a record gone is no record, so the next
// failure pages.
const PageRetention = 30 * 24 * time.Hour

const (
	kindPage     = "page"
	pkPagePrefix = "PAGE#"
	skPage       = "PAGE"
)

var _ store.PageStore = (*Store)(nil)

// pageItem is the page record of one (environment, journey); it carries
// no GSI key, so no index lists it.
type pageItem struct {
	itemKeys
	store.PageRecord
}

// pagePK prefixes the environment with its length, so no pair of names
// (which may contain '#') shares a partition with another pair.
func pagePK(environment, journeyName string) string {
	return pkPagePrefix + strconv.Itoa(len(environment)) + "#" + environment + "#" + journeyName
}

func pageKey(environment, journeyName string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(pagePK(environment, journeyName)), attrSK: str(skPage)}
}

// LastPage reads the pair's page item with one strongly consistent
// GetItem; ErrNotFound if there is none.
func (d *Store) LastPage(ctx context.Context, environment, journeyName string) (store.PageRecord, error) {
	if err := store.ValidatePageKey(environment, journeyName); err != nil {
		return store.PageRecord{}, err
	}
	if err := d.ready(ctx); err != nil {
		return store.PageRecord{}, err
	}
	what := store.DescribePage(environment, journeyName)
	out, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            pageKey(environment, journeyName),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.PageRecord{}, d.fail(ctx, "get "+what, err)
	}
	if out.Item == nil {
		return store.PageRecord{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	var it pageItem
	if err := unmarshalItem(out.Item, &it); err != nil {
		return store.PageRecord{}, fmt.Errorf("dynamodb %s: decode %s: %w", d.table, what, err)
	}
	return it.PageRecord, nil
}

// PutPage writes the pair's page item with one unconditional PutItem,
// replacing the previous one.
func (d *Store) PutPage(ctx context.Context, p store.PageRecord) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := d.ready(ctx); err != nil {
		return err
	}
	item, err := marshalItem(pageItem{
		itemKeys: itemKeys{
			PK: pagePK(p.Environment, p.Journey), SK: skPage, Kind: kindPage,
			ExpiresAt: p.PagedAt.Add(PageRetention).Unix(),
		},
		PageRecord: p,
	})
	if err != nil {
		return fmt.Errorf("dynamodb %s: encode %s: %w", d.table, store.DescribePage(p.Environment, p.Journey), err)
	}
	if _, err := d.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item}); err != nil {
		return d.fail(ctx, "put "+store.DescribePage(p.Environment, p.Journey), err)
	}
	return nil
}
