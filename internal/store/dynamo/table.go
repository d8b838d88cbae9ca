package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/shared/poll"
)

// TableAPI is the part of *dynamodb.Client that CreateTable uses.
type TableAPI interface {
	// CreateTable starts creating a table.
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	// DescribeTable reports a table's status.
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

var _ TableAPI = (*dynamodb.Client)(nil)

// TTLAttribute is the attribute the table's time-to-live setting must name.
const TTLAttribute = attrExpires

// createTableTimeout bounds CreateTable's wait for the table to become active.
const createTableTimeout = 2 * time.Minute

var tableBackoff = poll.Backoff{First: 20 * time.Millisecond, Max: time.Second, Factor: 2}

// TableInput describes the table the DynamoDB store needs: on-demand, the
// base key (PK, SK) and four global secondary indexes on (GSInPK, GSISK),
// projecting keys only: an index entry costs one write unit however large
// its item, and History and RecentRuns read the items from the table. The
// CDK construct must declare the same, plus time to live on TTLAttribute
// (local stand-ins cannot set TTL).
func TableInput(table string) *dynamodb.CreateTableInput {
	s := types.ScalarAttributeTypeS
	attrs := []types.AttributeDefinition{{AttributeName: aws.String(attrPK), AttributeType: s}, {AttributeName: aws.String(attrSK), AttributeType: s}}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range []struct{ name, pk string }{
		{IndexHistoryByEnvJourney, attrGSI1PK},
		{IndexByEnvironment, attrGSI2PK},
		{IndexHistoryByJourney, attrGSI3PK},
		{IndexAll, attrGSI4PK},
	} {
		attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(ix.pk), AttributeType: s})
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.pk), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrGSISK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		})
	}
	attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(attrGSISK), AttributeType: s})
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
	}
}

// CreateTable creates the store's table as TableInput describes, unless it
// exists, and waits until it and its indexes are active. It is for tests and
// local set-up; in the cloud the CDK stack owns the table.
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	_, err := client.CreateTable(ctx, TableInput(table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	wctx, cancel := context.WithTimeout(ctx, createTableTimeout)
	defer cancel()
	err = poll.Until(wctx, tableBackoff, func(ctx context.Context) error {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		if st := out.Table.TableStatus; st != types.TableStatusActive {
			return fmt.Errorf("table is %s", st)
		}
		for _, ix := range out.Table.GlobalSecondaryIndexes {
			if ix.IndexStatus != types.IndexStatusActive {
				return fmt.Errorf("index %s is %s", aws.ToString(ix.IndexName), ix.IndexStatus)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create table %s: waiting until active: %w", table, err)
	}
	return nil
}
