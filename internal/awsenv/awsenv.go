// Package awsenv builds the AWS SDK configuration of a Lambda function from
// the environment Lambda gives it, for the functions' mains (functions/*,
// lambda/*) instead of config.LoadDefaultConfig.
//
// config.LoadDefaultConfig serves every way a program may be configured
// (shared config files and profiles, SSO, web identity, assumed roles,
// instance metadata), so it links the STS, SSO, SSO OIDC and sign-in
// clients into every binary, and each client's package initialisers (its
// endpoint tables) run at every cold start of every function whether or not
// a Lambda ever uses them (issue 19). A Lambda function needs none of that:
// Lambda sets the region and the execution role's credentials in the
// environment. Config reads those and nothing else, and leaves the retryer
// and the HTTP client unset, so every client keeps its own defaults, as
// with LoadDefaultConfig.
//
// Read: AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_ACCOUNT_ID (the
// credentials), AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (endpoint
// overrides, as the SDK reads them: local stand-ins in tests and benchmarks)
// and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS. Not read: shared config and
// credentials files, AWS_PROFILE, the retry, defaults-mode and checksum
// settings; the defaults are LoadDefaultConfig's.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// Config returns the AWS configuration of a Lambda function from its
// environment (getenv: os.Getenv in a Lambda): the region, the execution
// role's credentials and any endpoint override. A missing region or
// missing credentials are an error naming the variables, so a function
// that could not call AWS says so at start instead of at its first call.
//
// The credentials are static, read once, and need no refresh (nor does
// SnapStart-style credential expiry concern these functions): Lambda puts
// temporary credentials of the execution role into the environment of each
// execution environment (sandbox) it starts, and refreshes them per
// sandbox, by starting new sandboxes with new ones, not by changing a
// running one's. The SDK's default chain reads them once too, into the same
// static provider, so nothing changes there. SnapStart, which resumes a
// snapshot and serves credentials from an endpoint rather than the
// environment, is not offered for OS-only runtimes such as the functions'
// provided.al2023; a runtime without credentials in its environment fails
// here, at start.
func Config(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set (Lambda sets it in every function's environment)")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set (Lambda sets them, with AWS_SESSION_TOKEN, from the function's execution role)")
	}
	src := source{getenv}
	ignore, _, err := src.GetIgnoreConfiguredEndpoints(context.Background())
	if err != nil {
		return aws.Config{}, err
	}
	cfg := aws.Config{
		Region: region,
		Credentials: credentials.StaticCredentialsProvider{
			Value: aws.Credentials{
				AccessKeyID: key, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"),
				AccountID: getenv("AWS_ACCOUNT_ID"), Source: "EnvConfigCredentials",
			},
			Source: []aws.CredentialSource{aws.CredentialSourceEnvVars},
		},
		// LoadDefaultConfig's defaults, which a client does not apply
		// itself when the configuration leaves them unset.
		Logger:                     logging.NewStandardLogger(os.Stderr),
		DefaultsMode:               aws.DefaultsModeLegacy,
		AccountIDEndpointMode:      aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		// Each client looks here for its AWS_ENDPOINT_URL_<SERVICE>.
		ConfigSources: []any{src},
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" && !ignore {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
}

// source answers the clients' questions about configured endpoints, as the
// SDK's own environment configuration (config.EnvConfig) does: each
// service client asks its ConfigSources for GetServiceBaseEndpoint and
// GetIgnoreConfiguredEndpoints (package internal/configsources of the SDK).
type source struct{ getenv func(string) string }

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SDK ID>, the service's
// SDK ID in upper case with spaces as underscores (Secrets Manager:
// AWS_ENDPOINT_URL_SECRETS_MANAGER).
func (s source) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := s.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// (true or false, any case), which turns every endpoint override off.
func (s source) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	switch v := s.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); {
	case v == "":
		return false, false, nil
	case strings.EqualFold(v, "true"):
		return true, true, nil
	case strings.EqualFold(v, "false"):
		return false, true, nil
	default:
		return false, false, fmt.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is %q, not true or false", v)
	}
}
