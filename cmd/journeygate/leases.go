package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/journeygate/journeygate/shared/envconfig"
	"github.com/journeygate/journeygate/shared/lease"
	"github.com/journeygate/journeygate/shared/secrets"
	"github.com/journeygate/journeygate/shared/secrets/awssecrets"
	"github.com/journeygate/journeygate/shared/store"
)

// newLeases returns the lease manager of a run: pools leased in st, their
// env: references read with getenv, and secretsmanager: and ssm: ones
// (when the file has any) with the default AWS configuration, as a laptop
// with credentials for the environment's account has it. Its Redactor
// holds every secret of the run.
func newLeases(ctx context.Context, st store.Store, cfg *envconfig.Config, getenv func(string) string, log *slog.Logger) (*lease.Manager, error) {
	ls, ok := st.(store.LeaseStore)
	if !ok {
		return nil, fmt.Errorf("the store %T cannot lease test resources", st)
	}
	opts := []secrets.Option{secrets.WithGetenv(getenv)}
	if len(cfg.Refs()) > 0 {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading AWS configuration for the pools' secrets: %w", err)
		}
		opts = append(opts, secrets.WithSecretsManager(awssecrets.SecretsManager(secretsmanager.NewFromConfig(awsCfg))), secrets.WithParameterStore(awssecrets.ParameterStore(ssm.NewFromConfig(awsCfg))))
	}
	res := secrets.New(opts...)
	return lease.NewManager(ls, cfg, res, lease.WithLogger(secrets.NewLogger(log, res.Redactor())))
}
