package backend

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/embedded"
)

// SpecHelp describes the store specs Open accepts, for flag help.
const SpecHelp = "result store: a file `path` (embedded store), or dynamodb://TABLE[?endpoint=URL&region=REGION&ttl=DURATION&create=true]"

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// Open opens the store spec names: "" is the embedded store at
// embedded.DefaultPath, "dynamodb://TABLE?..." the DynamoDB table (see
// dynamo.ParseSpec), and anything else a path of the embedded store. A bad
// spec is store.ErrInvalid.
//
// For DynamoDB, a loopback endpoint gets dummy static credentials and
// region us-east-1 unless given; otherwise credentials and region come from
// the SDK's default chain (environment, shared config, SSO, roles). Open
// makes no request unless create=true.
func Open(ctx context.Context, spec string) (store.Store, error) {
	switch {
	case strings.HasPrefix(spec, dynamo.Scheme):
		s, err := dynamo.ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		d, err := OpenDynamo(ctx, s)
		if err != nil {
			return nil, err
		}
		return d, nil
	case schemeRE.MatchString(spec):
		return nil, fmt.Errorf("%w: store spec %q: unsupported scheme (use a file path or %sTABLE)", store.ErrInvalid, spec, dynamo.Scheme)
	case spec == "":
		spec = embedded.DefaultPath
	}
	e, err := embedded.Open(spec)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// OpenDynamo opens the DynamoDB table s names (dynamo.Open): a loopback
// endpoint with dummy static credentials, a table in AWS with the SDK's
// default chain (environment, shared config, SSO, roles) and s.Region if
// given. It makes no request unless s.Create.
func OpenDynamo(ctx context.Context, s dynamo.Spec) (*dynamo.Store, error) {
	return dynamo.Open(ctx, s, defaultConfig)
}

// defaultConfig loads the SDK's default configuration, in region if given.
func defaultConfig(ctx context.Context, region string) (aws.Config, error) {
	var loads []func(*config.LoadOptions) error
	if region != "" {
		loads = append(loads, config.WithRegion(region))
	}
	return config.LoadDefaultConfig(ctx, loads...)
}
