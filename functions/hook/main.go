// Command hook is the hook Lambda: it starts one state machine execution
// per deployment hook, pipeline job, schedule or manual request (see
// package handler).
//
// Environment: JOURNEYGATE_STATE_MACHINE_ARN (required),
// JOURNEYGATE_ENVIRONMENT (required: the environment deployments through
// this hook are tested against), JOURNEYGATE_SERVICES (comma-separated
// services added to every deployment's, optional).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/journeygate/journeygate/functions/hook/handler"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("hook cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// build reads the configuration and wires the handler.
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler.Handler, error) {
	cfg := handler.Config{
		StateMachineArn: getenv("JOURNEYGATE_STATE_MACHINE_ARN"),
		Environment:     getenv("JOURNEYGATE_ENVIRONMENT"),
	}
	for _, s := range strings.Split(getenv("JOURNEYGATE_SERVICES"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Services = append(cfg.Services, s)
		}
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return handler.New(cfg, sfn.NewFromConfig(awsCfg), codedeploy.NewFromConfig(awsCfg), codepipeline.NewFromConfig(awsCfg), handler.WithLogger(log))
}
