package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/internal/awsenv"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/store/dynamo"
)

// Start runs the gate Lambda, configured from the process's environment.
// It never returns: a gate that cannot start (a missing variable, an
// unreadable environments file) logs why and exits 1 before serving any
// event.
func Start() {
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
	envs, err := environments(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsenv.Config(getenv)
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
		dynamo.New(dynamodb.NewFromConfig(awsCfg), table),
		codedeploy.NewFromConfig(awsCfg),
		codepipeline.NewFromConfig(awsCfg),
		opts...,
	)
}

// environments reads the environments file JOURNEYGATE_ENVIRONMENTS_FILE
// names (the construct bundles Props.EnvironmentsFile with the function),
// expanding its variables with getenv.
func environments(getenv func(string) string) (*envconfig.Config, error) {
	path := getenv("JOURNEYGATE_ENVIRONMENTS_FILE")
	if path == "" {
		return nil, errors.New("JOURNEYGATE_ENVIRONMENTS_FILE is not set: the environments file the construct bundles with the function (Props.EnvironmentsFile)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("JOURNEYGATE_ENVIRONMENTS_FILE: %w", err)
	}
	return envconfig.Parse(path, data, getenv)
}
