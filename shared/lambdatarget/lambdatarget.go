package lambdatarget

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/journeygate/journeygate/shared/journey"
)

// API is the part of *lambda.Client a Client uses.
type API interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Client invokes functions' versions for journeys.
type Client struct {
	api API
}

// New returns a Client calling api, for example lambda.NewFromConfig(cfg).
func New(api API) *Client { return &Client{api: api} }

// loadDefault loads the SDK's default configuration once per process.
var loadDefault = sync.OnceValues(func() (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lambdatarget: AWS configuration: %w", err)
	}
	return New(lambda.NewFromConfig(cfg)), nil
})

// Default returns the Client on the SDK's default configuration, loaded on
// first use: region, credentials and endpoint (AWS_ENDPOINT_URL_LAMBDA,
// AWS_ENDPOINT_URL) from the environment.
func Default() (*Client, error) { return loadDefault() }

// Invoke invokes the run's target version of function with the default
// Client; see Client.Invoke.
func Invoke(ctx context.Context, t *journey.T, function string, payload []byte) ([]byte, error) {
	c, err := Default()
	if err != nil {
		return nil, journey.Stop(err)
	}
	return c.Invoke(ctx, t, function, payload)
}

// Invoke invokes function (a name or an unqualified ARN) at the version
// the run deploys (t.TargetVersion) with payload, and returns the
// function's reply. A run without a target version (a schedule, a
// trigger that does not know it) is an error that ends an Eventually at
// once; InvokeQualified calls an alias or a version of one's choosing.
func (c *Client) Invoke(ctx context.Context, t *journey.T, function string, payload []byte) ([]byte, error) {
	version := t.TargetVersion()
	if version == "" {
		stage := string(t.Stage())
		if stage == "" {
			stage = "none"
		}
		return nil, journey.Stop(fmt.Errorf("invoke %s: run %s has no target version to invoke (stage %s): only a deployment that names the version it deploys has one; InvokeQualified invokes an alias such as live", function, t.RunID(), stage))
	}
	return c.InvokeQualified(ctx, t, function, version, payload)
}

// InvokeQualified invokes function at qualifier (a version, or an alias
// such as live) with payload synchronously, and returns its reply. The
// call is kept as the step's evidence. A function error is a failed
// assertion (journey.Failure) naming function, qualifier, the version that
// ran and the error; an API error is an infrastructure fault, final when
// asking again cannot help (no such function or version, access denied,
// a bad request).
func (c *Client) InvokeQualified(ctx context.Context, t *journey.T, function, qualifier string, payload []byte) ([]byte, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	name := function
	if qualifier != "" {
		name += ":" + qualifier
	}
	label := "Invoke " + name
	start := time.Now()
	out, err := c.api.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		Qualifier:      optional(qualifier),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	elapsed := roundDuration(time.Since(start))
	if err != nil {
		t.Exchange(label, payload, fmt.Sprintf("→ no answer after %s: %v", elapsed, err), nil)
		err = fmt.Errorf("invoke %s: %w", name, err)
		switch {
		case ctx.Err() != nil:
			// The step's deadline ended the call: the SLA's business.
			return nil, err
		case final(err):
			return nil, journey.Final(journey.Infra(err))
		}
		return nil, journey.Infra(err)
	}
	ran := aws.ToString(out.ExecutedVersion)
	answer := fmt.Sprintf("→ %d after %s", out.StatusCode, elapsed)
	if ran != "" && ran != qualifier {
		answer += ", version " + ran
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		t.Exchange(label, payload, answer+", function error "+fe, out.Payload)
		return out.Payload, &journey.Failure{Msg: functionError(name, ran, fe, out.Payload)}
	}
	t.Exchange(label, payload, answer, out.Payload)
	return out.Payload, nil
}

// final says whether an API error stays the same however often asked.
func final(err error) bool {
	var nf *types.ResourceNotFoundException
	var ae smithy.APIError
	if errors.As(err, &nf) {
		return true
	}
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "InvalidParameterValueException", "InvalidRequestContentException", "RequestTooLargeException", "UnrecognizedClientException":
			return true
		}
	}
	return false
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
