package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/internal/store"
)

// API is the part of *dynamodb.Client the store uses; tests wrap it to count or break calls.
type API interface {
	// PutItem writes one item.
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	// UpdateItem changes one item.
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	// GetItem reads one item.
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	// Query reads one page of a partition.
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// runEnvCacheSize bounds the cache of run environments PutResult consults.
const runEnvCacheSize = 4096

// Option configures New.
type Option func(*Store)

// WithTTL makes runs and results expire d after their StartedAt, through
// the expiresAt attribute (epoch seconds) the table's TTL setting names; 0,
// the default, keeps them forever. It also sets the deliveries' TTL unless
// WithDeliveryTTL does.
func WithTTL(d time.Duration) Option {
	return func(s *Store) { s.ttl = d }
}

// WithDeliveryTTL makes sink deliveries expire d after they were received
// (default DefaultDeliveryTTL; 0 keeps them): reads skip them at once, and
// the table's TTL deletes them eventually.
func WithDeliveryTTL(d time.Duration) Option {
	return func(s *Store) { s.deliveryTTL, s.deliveryTTLSet = d, true }
}

// Store is a store.Store and a store.DeliveryStore in one DynamoDB table;
// doc.go describes the key scheme. Every write is one conditional
// single-item request; GetRun and Results read strongly consistently,
// History and RecentRuns read global secondary indexes (eventually
// consistent).
type Store struct {
	api            API
	table          string
	ttl            time.Duration
	deliveryTTL    time.Duration
	deliveryTTLSet bool
	now            func() time.Time // when reads decide a delivery expired
	closed         atomic.Bool

	// envs caches run ID -> environment (immutable once stored), so a
	// process writing many results of one run reads the run once.
	mu   sync.Mutex
	envs map[string]string
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.DeliveryStore = (*Store)(nil)
	_ store.RunReader     = (*Store)(nil)
)

// New returns a store in table, which must exist with the schema
// TableInput describes; client is required. It makes no request.
func New(client API, table string, opts ...Option) *Store {
	d := &Store{api: client, table: table, envs: map[string]string{}, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	if !d.deliveryTTLSet {
		d.deliveryTTL = store.DefaultDeliveryTTL
		if d.ttl > 0 {
			d.deliveryTTL = d.ttl
		}
	}
	return d
}

// Table returns the table's name.
func (d *Store) Table() string { return d.table }

// Close marks the store closed; the client is the caller's and stays open.
func (d *Store) Close() error {
	d.closed.Store(true)
	return nil
}

var errNoClient = errors.New("no DynamoDB client")

// ready reports whether an operation may start.
func (d *Store) ready(ctx context.Context) error {
	switch {
	case d.closed.Load():
		return fmt.Errorf("dynamodb store %s: %w", d.table, store.ErrClosed)
	case d.api == nil:
		return fmt.Errorf("dynamodb store %s: %w", d.table, errNoClient)
	case d.table == "":
		return errors.New("dynamodb store: table name is empty")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dynamodb store %s: %w", d.table, err)
	}
	return nil
}

// fail wraps a request error with what was being done, and with the
// context's error when the context ended, so errors.Is finds it.
func (d *Store) fail(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("dynamodb %s: %s: %w (%v)", d.table, what, cerr, err)
	}
	return fmt.Errorf("dynamodb %s: %s: %w", d.table, what, err)
}

// conditionFailed reports whether err is a lost conditional write.
func conditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	ok := errors.As(err, &ccf)
	return ccf, ok
}

func (d *Store) cachedEnv(runID string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	env, ok := d.envs[runID]
	return env, ok
}

func (d *Store) cacheEnv(runID, env string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.envs) >= runEnvCacheSize {
		clear(d.envs)
	}
	d.envs[runID] = env
}
