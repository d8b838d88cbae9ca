// Command hook is the hook Lambda: it starts one state machine execution
// per deployment hook, pipeline job, schedule or manual request (see
// package handler).
//
// Environment: JOURNEYGATE_STATE_MACHINE_ARN (required),
// JOURNEYGATE_ENVIRONMENT (required: the environment deployments through
// this hook are tested against), JOURNEYGATE_TABLE (required: the DynamoDB
// table, read for CodePipeline verdicts and written for report marks and
// last-resort verdicts), JOURNEYGATE_SERVICES (comma-separated services
// added to every deployment's, optional), JOURNEYGATE_DEPLOYMENT_SERVICES (a
// JSON object of deployment group to the services it deploys, optional),
// JOURNEYGATE_RUN_BUDGET_SECONDS (the longest a run may take, optional:
// an ECS hook is asked back no later than when it ends),
// JOURNEYGATE_REPORT_BUCKET (where
// the gate writes run reports, named in CodePipeline failure messages;
// optional).
//
// Logs and the LateReports metric (package metrics) go to standard output.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/internal/awsenv"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/store/dynamo"
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
		ReportBucket:    getenv("JOURNEYGATE_REPORT_BUCKET"),
	}
	if raw := getenv("JOURNEYGATE_DEPLOYMENT_SERVICES"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &cfg.DeploymentServices); err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_DEPLOYMENT_SERVICES is not a JSON object of deployment group to services: %w", err)
		}
	}
	if raw := getenv("JOURNEYGATE_RUN_BUDGET_SECONDS"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("JOURNEYGATE_RUN_BUDGET_SECONDS is %q, not a positive number of seconds", raw)
		}
		cfg.RunBudget = time.Duration(n) * time.Second
	}
	table := getenv("JOURNEYGATE_TABLE")
	if table == "" {
		return nil, errors.New("JOURNEYGATE_TABLE is not set")
	}
	for _, s := range strings.Split(getenv("JOURNEYGATE_SERVICES"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Services = append(cfg.Services, s)
		}
	}
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	cfg.Region = awsCfg.Region
	return handler.New(cfg, sfn.NewFromConfig(awsCfg), codedeploy.NewFromConfig(awsCfg), codepipeline.NewFromConfig(awsCfg),
		dynamo.New(dynamodb.NewFromConfig(awsCfg), table),
		handler.WithLogger(log), handler.WithMetrics(&metrics.Emitter{W: os.Stdout}))
}
