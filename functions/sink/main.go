// Command sink is the sink Lambda behind a function URL: it stores the
// notifications the system under test sends during journeys (see package
// handler), and, with an inbox domain, the mail SES's receipt rule hands
// it.
//
// Environment: JOURNEYGATE_TABLE (required, the DynamoDB table); the
// bearer token as JOURNEYGATE_SINK_TOKEN_SECRET (a Secrets Manager secret's
// ARN or name, whose SecretString is the token, read once at cold start)
// or JOURNEYGATE_SINK_TOKEN (the token itself), not both; and/or
// JOURNEYGATE_SINK_HMAC_SECRET (at least one credential is required);
// JOURNEYGATE_SINK_MAX_BODY (bytes), JOURNEYGATE_SINK_CORRELATE
// (comma-separated JSON Pointers), JOURNEYGATE_DELIVERY_TTL (a Go
// duration); JOURNEYGATE_INBOX_DOMAIN and JOURNEYGATE_INBOX_BUCKET (both
// or neither: the inbox domain, and where SES stores its mail) and
// JOURNEYGATE_INBOX_PREFIX. An unreadable token secret stops the function
// from starting, with an error naming the variable and the secret, never
// the value.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/awsenv"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/secrets/awssm"
	"github.com/journeygate/journeygate/internal/store/dynamo"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("sink cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// build reads the configuration and wires the handler with the AWS
// configuration of the Lambda environment (package awsenv).
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler.Function, error) {
	return wire(ctx, getenv, log, func(context.Context) (aws.Config, error) { return awsenv.Config(getenv) })
}

// wire reads the configuration, loads the AWS configuration with loadAWS,
// reads the token secret and wires the handler, with the SES inbox when
// the construct configured one (inboxFromEnv).
func wire(ctx context.Context, getenv func(string) string, log *slog.Logger, loadAWS func(context.Context) (aws.Config, error)) (*handler.Function, error) {
	table := getenv("JOURNEYGATE_TABLE")
	if table == "" {
		return nil, errors.New("JOURNEYGATE_TABLE is not set")
	}
	cfg := handler.Config{Token: getenv("JOURNEYGATE_SINK_TOKEN"), HMACSecret: getenv("JOURNEYGATE_SINK_HMAC_SECRET")}
	tokenSecret := getenv("JOURNEYGATE_SINK_TOKEN_SECRET")
	if tokenSecret != "" && cfg.Token != "" {
		return nil, errors.New("JOURNEYGATE_SINK_TOKEN_SECRET and JOURNEYGATE_SINK_TOKEN are both set: set one")
	}
	if s := getenv("JOURNEYGATE_SINK_MAX_BODY"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_SINK_MAX_BODY: %w", err)
		}
		cfg.MaxBody = n
	}
	for _, p := range strings.Split(getenv("JOURNEYGATE_SINK_CORRELATE"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.Correlate = append(cfg.Correlate, p)
		}
	}
	var opts []dynamo.Option
	if s := getenv("JOURNEYGATE_DELIVERY_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_DELIVERY_TTL: %w", err)
		}
		opts = append(opts, dynamo.WithDeliveryTTL(d))
	}
	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if tokenSecret != "" {
		r := secrets.New(secrets.WithSecretsManager(awssm.Fetcher(secretsmanager.NewFromConfig(awsCfg))))
		if cfg.Token, err = r.Resolve(ctx, "secretsmanager:"+tokenSecret); err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_SINK_TOKEN_SECRET: reading the sink token: %w", err)
		}
	}
	h, err := handler.New(cfg, dynamo.New(dynamodb.NewFromConfig(awsCfg), table, opts...), handler.WithLogger(log))
	if err != nil {
		return nil, err
	}
	in, err := inboxFromEnv(getenv, h, awsCfg)
	if err != nil {
		return nil, err
	}
	return &handler.Function{HTTP: h, Inbox: in}, nil
}
