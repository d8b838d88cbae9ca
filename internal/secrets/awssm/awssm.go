// Package awssm adapts the AWS SDK's Secrets Manager client alone to
// secrets.Fetcher, for the secretsmanager: references of package secrets.
//
// Package awssecrets adapts both Secrets Manager and Parameter Store; a
// program that reads only Secrets Manager (the sink's token) imports this
// one instead, so that it does not link the SSM client: every linked
// package's initialisers run at each cold start (issue 19).
package awssm

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/journeygate/journeygate/internal/secrets"
)

// API is the Secrets Manager call a resolver makes
// (*secretsmanager.Client implements it).
type API interface {
	// GetSecretValue reads a secret's current value.
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Fetcher fetches a secret's SecretString by name or ARN.
func Fetcher(c API) secrets.Fetcher { return fetcher{c} }

type fetcher struct{ c API }

func (s fetcher) Fetch(ctx context.Context, name string) (string, error) {
	out, err := s.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", fmt.Errorf("%w: %w", secrets.ErrNotFound, err)
	}
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", errors.New("the secret has no SecretString (binary secrets are not supported)")
	}
	return *out.SecretString, nil
}
