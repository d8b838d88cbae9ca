package awssecrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/secrets/awssm"
)

// SecretsManagerAPI is the Secrets Manager call a resolver makes
// (*secretsmanager.Client implements it).
type SecretsManagerAPI = awssm.API

// ParameterStoreAPI is the SSM call a resolver makes (*ssm.Client
// implements it).
type ParameterStoreAPI interface {
	// GetParameter reads one parameter.
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ ParameterStoreAPI = (*ssm.Client)(nil)

// SecretsManager fetches a secret's SecretString by name or ARN.
func SecretsManager(c SecretsManagerAPI) secrets.Fetcher { return awssm.Fetcher(c) }

// ParameterStore fetches a parameter's value, decrypted.
func ParameterStore(c ParameterStoreAPI) secrets.Fetcher { return parameterStore{c} }

type parameterStore struct{ c ParameterStoreAPI }

func (p parameterStore) Fetch(ctx context.Context, name string) (string, error) {
	out, err := p.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	var nf *ssmtypes.ParameterNotFound
	var vnf *ssmtypes.ParameterVersionNotFound
	if errors.As(err, &nf) || errors.As(err, &vnf) {
		return "", fmt.Errorf("%w: %w", secrets.ErrNotFound, err)
	}
	if err != nil {
		return "", err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", errors.New("the parameter has no value")
	}
	return *out.Parameter.Value, nil
}
