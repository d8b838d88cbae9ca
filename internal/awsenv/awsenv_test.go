package awsenv_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/journeygate/journeygate/internal/awsenv"
)

// lambdaEnv is what Lambda sets that the SDK reads, with the shared files
// and instance metadata kept away from this machine's AWS set-up.
var lambdaEnv = map[string]string{
	"AWS_REGION":                  "eu-west-1",
	"AWS_DEFAULT_REGION":          "eu-west-1",
	"AWS_ACCESS_KEY_ID":           "ASIAEXAMPLE",
	"AWS_SECRET_ACCESS_KEY":       "secret",
	"AWS_SESSION_TOKEN":           "session",
	"AWS_CONFIG_FILE":             "/nonexistent",
	"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
	"AWS_EC2_METADATA_DISABLED":   "true",
}

// setenv sets env in the process for the test, clearing the AWS variables
// this test does not name (a service client reads some of them itself).
func setenv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// TestSameAsLoadDefaultConfig: in a Lambda's environment, Config gives the
// clients what config.LoadDefaultConfig gave them: the region, the
// execution role's credentials, the defaults LoadDefaultConfig applies,
// and the endpoint overrides, global and per service.
func TestSameAsLoadDefaultConfig(t *testing.T) {
	for name, extra := range map[string]map[string]string{
		"no override": nil,
		"global endpoint": {
			"AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
		},
		"service endpoint": {
			"AWS_ENDPOINT_URL":                 "http://127.0.0.1:4566",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:4567",
		},
		"service endpoint alone": {
			"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
		},
		"overrides ignored": {
			"AWS_ENDPOINT_URL":                    "http://127.0.0.1:4566",
			"AWS_ENDPOINT_URL_DYNAMODB":           "http://127.0.0.1:8000",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range lambdaEnv {
				env[k] = v
			}
			for k, v := range extra {
				env[k] = v
			}
			setenv(t, env)
			want, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, err := awsenv.Config(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if got.Region != want.Region {
				t.Errorf("region %q, want %q", got.Region, want.Region)
			}
			if g, w := aws.ToString(got.BaseEndpoint), aws.ToString(want.BaseEndpoint); g != w {
				t.Errorf("base endpoint %q, want %q", g, w)
			}
			if got.DefaultsMode != want.DefaultsMode || got.AccountIDEndpointMode != want.AccountIDEndpointMode ||
				got.RequestChecksumCalculation != want.RequestChecksumCalculation || got.ResponseChecksumValidation != want.ResponseChecksumValidation {
				t.Errorf("defaults %v %v %v %v, want %v %v %v %v", got.DefaultsMode, got.AccountIDEndpointMode, got.RequestChecksumCalculation, got.ResponseChecksumValidation,
					want.DefaultsMode, want.AccountIDEndpointMode, want.RequestChecksumCalculation, want.ResponseChecksumValidation)
			}
			gc, err := got.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			wc, err := want.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if gc.AccessKeyID != wc.AccessKeyID || gc.SecretAccessKey != wc.SecretAccessKey || gc.SessionToken != wc.SessionToken || gc.CanExpire != wc.CanExpire {
				t.Errorf("credentials %+v, want %+v", gc, wc)
			}
			// Each client resolves its own endpoint from the configuration.
			for svc, endpoint := range map[string]func(aws.Config) *string{
				"dynamodb":       func(c aws.Config) *string { return dynamodb.NewFromConfig(c).Options().BaseEndpoint },
				"secretsmanager": func(c aws.Config) *string { return secretsmanager.NewFromConfig(c).Options().BaseEndpoint },
			} {
				if g, w := aws.ToString(endpoint(got)), aws.ToString(endpoint(want)); g != w {
					t.Errorf("%s client's endpoint %q, want %q", svc, g, w)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		unset []string
		set   map[string]string
		want  string
	}{
		"no region":                {unset: []string{"AWS_REGION", "AWS_DEFAULT_REGION"}, want: "AWS_REGION is not set"},
		"no access key":            {unset: []string{"AWS_ACCESS_KEY_ID"}, want: "no AWS credentials in the environment"},
		"no secret key":            {unset: []string{"AWS_SECRET_ACCESS_KEY"}, want: "no AWS credentials in the environment"},
		"bad ignore endpoints":     {set: map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes"}, want: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"},
		"default region is enough": {unset: []string{"AWS_REGION"}},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range lambdaEnv {
				env[k] = v
			}
			for _, k := range tc.unset {
				delete(env, k)
			}
			for k, v := range tc.set {
				env[k] = v
			}
			cfg, err := awsenv.Config(func(k string) string { return env[k] })
			if tc.want == "" {
				if err != nil || cfg.Region != "eu-west-1" {
					t.Fatalf("Config: region %q, %v", cfg.Region, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
				if v := env[k]; v != "" && strings.Contains(err.Error(), v) {
					t.Errorf("error %q shows %s", err, k)
				}
			}
		})
	}
}
