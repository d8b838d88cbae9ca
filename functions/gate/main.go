// Command gate is the gate Lambda: it decides, records and reports a run's
// verdict (see package handler).
//
// Environment: JOURNEYGATE_TABLE (required, the DynamoDB table),
// JOURNEYGATE_EVENT_BUS (the EventBridge bus for run-completed events,
// default "default"), JOURNEYGATE_ENVIRONMENTS_FILE (the environments file
// whose gate.freeze settings the gate applies: the one the construct
// bundles with the runner and the gate; default: the catalogue's embedded
// environments.yaml), JOURNEYGATE_REPORT_BUCKET
// (the S3 bucket the run's HTML report is written to, under
// reports/ENV/RUN.html; unset: no report).
//
// Logs and EMF metrics (package metrics) go to standard output.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/metrics"
	"github.com/journeygate/journeygate/shared/store"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("gate cannot start", "err", err)
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
	envs, err := journeys.EnvironmentsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	opts := []handler.Option{
		handler.WithEvents(eventbridge.NewFromConfig(awsCfg), getenv("JOURNEYGATE_EVENT_BUS")),
		handler.WithLogger(log),
		handler.WithMetrics(&metrics.Emitter{W: os.Stdout}),
		handler.WithEnvironments(envs),
	}
	if bucket := getenv("JOURNEYGATE_REPORT_BUCKET"); bucket != "" {
		opts = append(opts, handler.WithHTMLReports(s3.NewFromConfig(awsCfg), bucket, awsCfg.Region))
	}
	return handler.New(
		store.NewDynamo(dynamodb.NewFromConfig(awsCfg), table),
		codedeploy.NewFromConfig(awsCfg),
		codepipeline.NewFromConfig(awsCfg),
		opts...,
	)
}
