package dynamo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/journeygate/journeygate/internal/store"
)

// Scheme prefixes a store spec that names a DynamoDB table.
const Scheme = "dynamodb://"

// localRegion is the region used for a loopback endpoint when none is given.
const localRegion = "us-east-1"

// validTableName reports whether name is a DynamoDB table name: 3-255 of
// A-Z a-z 0-9 _ . -. A loop, not a regexp: ^[...]{3,255}$ compiles to a
// program of 255 repetitions, and compiling it as a package variable cost
// every cold start of every function 3-11 ms (issue 19).
func validTableName(name string) bool {
	if len(name) < 3 || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// Spec is a parsed dynamodb:// store spec.
type Spec struct {
	// Table is the table name.
	Table string
	// Endpoint overrides the service endpoint (a local stand-in); "" = AWS.
	Endpoint string
	// Region is the AWS region; "" = the SDK's default chain (us-east-1 for a loopback endpoint).
	Region string
	// TTL is passed to WithTTL (0 = keep forever).
	TTL time.Duration
	// Create makes Open create the table if it does not exist (local set-up).
	Create bool
}

// Local reports whether the endpoint is on the loopback interface, where
// dummy static credentials stand in for real ones.
func (s Spec) Local() bool {
	if s.Endpoint == "" {
		return false
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseSpec parses "dynamodb://TABLE?endpoint=URL&region=R&ttl=D&create=true".
func ParseSpec(spec string) (Spec, error) {
	rest, ok := strings.CutPrefix(spec, Scheme)
	if !ok {
		return Spec{}, fmt.Errorf("%w: store spec %q does not start with %s", store.ErrInvalid, spec, Scheme)
	}
	table, rawQuery, _ := strings.Cut(rest, "?")
	if !validTableName(table) {
		return Spec{}, fmt.Errorf("%w: store spec %q: table name %q must be 3-255 of A-Z a-z 0-9 _ . -", store.ErrInvalid, spec, table)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Spec{}, fmt.Errorf("%w: store spec %q: %v", store.ErrInvalid, spec, err)
	}
	s := Spec{Table: table}
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "endpoint":
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return Spec{}, fmt.Errorf("%w: store spec %q: endpoint %q is not an http(s) URL", store.ErrInvalid, spec, v)
			}
			s.Endpoint = v
		case "region":
			s.Region = v
		case "ttl":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return Spec{}, fmt.Errorf("%w: store spec %q: ttl %q is not a non-negative duration", store.ErrInvalid, spec, v)
			}
			s.TTL = d
		case "create":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Spec{}, fmt.Errorf("%w: store spec %q: create %q is not a boolean", store.ErrInvalid, spec, v)
			}
			s.Create = b
		default:
			return Spec{}, fmt.Errorf("%w: store spec %q: unknown parameter %q (known: endpoint, region, ttl, create)", store.ErrInvalid, spec, name)
		}
	}
	return s, nil
}

// Open builds a DynamoDB client for s and returns the store on its table.
// A loopback endpoint gets dummy static credentials; a table in AWS gets
// the AWS configuration cloud returns for s.Region ("" when the spec gives
// none): package backend passes the SDK's default chain
// (backend.OpenDynamo). This package does not import the SDK's config
// package itself: every Lambda function links this one (New), and config
// would link the clients of its credential providers (STS, SSO, SSO OIDC,
// sign-in) into each, whose initialisers run at every cold start (issue
// 19).
func Open(ctx context.Context, s Spec, cloud func(ctx context.Context, region string) (aws.Config, error)) (*Store, error) {
	var opts dynamodb.Options
	if s.Local() {
		opts = dynamodb.Options{
			Region:      s.Region,
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			HTTPClient:  &http.Client{Transport: localTransport()},
		}
		if opts.Region == "" {
			opts.Region = localRegion
		}
	} else {
		if cloud == nil {
			return nil, fmt.Errorf("open dynamodb store %s: no AWS configuration for a table in AWS", s.Table)
		}
		cfg, err := cloud(ctx, s.Region)
		if err != nil {
			return nil, fmt.Errorf("open dynamodb store %s: load AWS config: %w", s.Table, err)
		}
		if cfg.Region == "" {
			return nil, fmt.Errorf("%w: open dynamodb store %s: no region (add ?region= or set AWS_REGION)", store.ErrInvalid, s.Table)
		}
		client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			if s.Endpoint != "" {
				o.BaseEndpoint = aws.String(s.Endpoint)
			}
		})
		return finishOpen(ctx, s, client)
	}
	opts.BaseEndpoint = aws.String(s.Endpoint)
	return finishOpen(ctx, s, dynamodb.New(opts))
}

// LocalIdleTimeout is how long a connection to a loopback endpoint may sit
// idle: well below the keep-alive timeout of local stand-ins (dynalite's
// Node server closes idle connections after 5 s), so a request never goes
// out on a connection the server is closing at that moment.
const LocalIdleTimeout = 2 * time.Second

// localTransport is the default transport with LocalIdleTimeout.
func localTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.IdleConnTimeout = LocalIdleTimeout
	return tr
}

func finishOpen(ctx context.Context, s Spec, client *dynamodb.Client) (*Store, error) {
	if s.Create {
		if err := CreateTable(ctx, client, s.Table); err != nil {
			return nil, fmt.Errorf("open dynamodb store: %w", err)
		}
	}
	return New(client, s.Table, WithTTL(s.TTL)), nil
}
