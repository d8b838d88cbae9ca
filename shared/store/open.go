package store

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DynamoScheme prefixes a store spec that names a DynamoDB table.
const DynamoScheme = "dynamodb://"

// SpecHelp describes the store specs Open accepts, for flag help.
const SpecHelp = "result store: a file `path` (embedded store), or dynamodb://TABLE[?endpoint=URL&region=REGION&ttl=DURATION&create=true]"

// localRegion is the region used for a loopback endpoint when none is given.
const localRegion = "us-east-1"

var (
	schemeRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
)

// DynamoSpec is a parsed dynamodb:// store spec.
type DynamoSpec struct {
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
func (s DynamoSpec) Local() bool {
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

// ParseDynamoSpec parses "dynamodb://TABLE?endpoint=URL&region=R&ttl=D&create=true".
func ParseDynamoSpec(spec string) (DynamoSpec, error) {
	rest, ok := strings.CutPrefix(spec, DynamoScheme)
	if !ok {
		return DynamoSpec{}, fmt.Errorf("%w: store spec %q does not start with %s", ErrInvalid, spec, DynamoScheme)
	}
	table, rawQuery, _ := strings.Cut(rest, "?")
	if !tableNameRE.MatchString(table) {
		return DynamoSpec{}, fmt.Errorf("%w: store spec %q: table name %q must be 3-255 of A-Z a-z 0-9 _ . -", ErrInvalid, spec, table)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return DynamoSpec{}, fmt.Errorf("%w: store spec %q: %v", ErrInvalid, spec, err)
	}
	s := DynamoSpec{Table: table}
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "endpoint":
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return DynamoSpec{}, fmt.Errorf("%w: store spec %q: endpoint %q is not an http(s) URL", ErrInvalid, spec, v)
			}
			s.Endpoint = v
		case "region":
			s.Region = v
		case "ttl":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return DynamoSpec{}, fmt.Errorf("%w: store spec %q: ttl %q is not a non-negative duration", ErrInvalid, spec, v)
			}
			s.TTL = d
		case "create":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return DynamoSpec{}, fmt.Errorf("%w: store spec %q: create %q is not a boolean", ErrInvalid, spec, v)
			}
			s.Create = b
		default:
			return DynamoSpec{}, fmt.Errorf("%w: store spec %q: unknown parameter %q (known: endpoint, region, ttl, create)", ErrInvalid, spec, name)
		}
	}
	return s, nil
}

// Open opens the store spec names: "" is the embedded store at DefaultPath,
// "dynamodb://TABLE?..." the DynamoDB table (see ParseDynamoSpec), and
// anything else a path of the embedded store. A bad spec is ErrInvalid.
//
// For DynamoDB, a loopback endpoint gets dummy static credentials and
// region us-east-1 unless given; otherwise credentials and region come from
// the SDK's default chain (environment, shared config, SSO, roles). Open
// makes no request unless create=true.
func Open(ctx context.Context, spec string) (Store, error) {
	switch {
	case strings.HasPrefix(spec, DynamoScheme):
		s, err := ParseDynamoSpec(spec)
		if err != nil {
			return nil, err
		}
		d, err := OpenDynamo(ctx, s)
		if err != nil {
			return nil, err
		}
		return d, nil
	case schemeRE.MatchString(spec):
		return nil, fmt.Errorf("%w: store spec %q: unsupported scheme (use a file path or %sTABLE)", ErrInvalid, spec, DynamoScheme)
	case spec == "":
		spec = DefaultPath
	}
	e, err := OpenEmbedded(spec)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// OpenDynamo builds a DynamoDB client for s and returns the store on its table.
func OpenDynamo(ctx context.Context, s DynamoSpec) (*Dynamo, error) {
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
		var loads []func(*config.LoadOptions) error
		if s.Region != "" {
			loads = append(loads, config.WithRegion(s.Region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, loads...)
		if err != nil {
			return nil, fmt.Errorf("open dynamodb store %s: load AWS config: %w", s.Table, err)
		}
		if cfg.Region == "" {
			return nil, fmt.Errorf("%w: open dynamodb store %s: no region (add ?region= or set AWS_REGION)", ErrInvalid, s.Table)
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

func finishOpen(ctx context.Context, s DynamoSpec, client *dynamodb.Client) (*Dynamo, error) {
	if s.Create {
		if err := CreateTable(ctx, client, s.Table); err != nil {
			return nil, fmt.Errorf("open dynamodb store: %w", err)
		}
	}
	return NewDynamo(client, s.Table, WithTTL(s.TTL)), nil
}
