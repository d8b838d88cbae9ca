// Command sink is the sink Lambda behind a function URL: it stores the
// notifications the system under test sends during journeys (see package
// handler).
//
// Environment: JOURNEYGATE_TABLE (required, the DynamoDB table),
// JOURNEYGATE_SINK_TOKEN and/or JOURNEYGATE_SINK_HMAC_SECRET (at least
// one), JOURNEYGATE_SINK_MAX_BODY (bytes), JOURNEYGATE_SINK_CORRELATE
// (comma-separated JSON Pointers), JOURNEYGATE_DELIVERY_TTL (a Go duration).
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
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/shared/store"
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

// build reads the configuration and wires the handler.
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler.Handler, error) {
	table := getenv("JOURNEYGATE_TABLE")
	if table == "" {
		return nil, errors.New("JOURNEYGATE_TABLE is not set")
	}
	cfg := handler.Config{Token: getenv("JOURNEYGATE_SINK_TOKEN"), HMACSecret: getenv("JOURNEYGATE_SINK_HMAC_SECRET")}
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
	var opts []store.DynamoOption
	if s := getenv("JOURNEYGATE_DELIVERY_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_DELIVERY_TTL: %w", err)
		}
		opts = append(opts, store.WithDeliveryTTL(d))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return handler.New(cfg, store.NewDynamo(dynamodb.NewFromConfig(awsCfg), table, opts...), handler.WithLogger(log))
}
