package lambdatarget_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/lambdatarget"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/awslocal"
)

// orders starts a local Lambda whose function orders has a healthy
// version 6 (live) and a broken version 7.
func orders(t *testing.T) *awslocal.Lambda {
	t.Helper()
	l := awslocal.StartLambda(t)
	l.AddVersion("orders", "6", func(_ context.Context, payload []byte) ([]byte, error) {
		var in struct{ Order int }
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"order": in.Order, "status": "accepted"})
	})
	l.AddVersion("orders", "7", func(context.Context, []byte) ([]byte, error) {
		return nil, errors.New("orders table not found")
	})
	l.SetAlias("orders", "live", "6")
	return l
}

// run executes a one-step journey whose step is do, as a run deploying
// version at BeforeAllowTraffic.
func run(version string, do journey.StepFunc) journey.Result {
	j := journey.Journey{
		Name: "order-accepted", Tier: journey.TierGlobal, Owner: "team-a", Mode: journey.ModeEnforce,
		Steps: []journey.Step{{Name: "invoke", SLA: time.Minute, Do: do}},
	}
	return journey.Execute(context.Background(), j, journey.Options{RunID: "r-1", Stage: trigger.BeforeAllowTraffic, TargetVersion: version})
}

func invokeOrder(c *lambdatarget.Client) journey.StepFunc {
	return func(ctx context.Context, t *journey.T) error {
		reply, err := c.Invoke(ctx, t, "orders", []byte(`{"order":42}`))
		if err != nil {
			return err
		}
		var out struct{ Status string }
		if err := json.Unmarshal(reply, &out); err != nil || out.Status != "accepted" {
			return journey.Failf("order not accepted: %s", reply)
		}
		return nil
	}
}

func client(l *awslocal.Lambda) *lambdatarget.Client {
	return lambdatarget.New(l.Client(func(o *lambda.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}))
}

// The target version is what runs: the healthy one passes, the broken one
// fails naming the function, the version and the function's error, with
// the exchange as evidence; neither reached the live alias.
func TestInvokeRunsTheTargetVersion(t *testing.T) {
	l := orders(t)
	c := client(l)

	res := run("6", invokeOrder(c))
	if res.Outcome != journey.Passed {
		t.Fatalf("version 6 is healthy: %s %s", res.Outcome, res.Message)
	}

	res = run("7", invokeOrder(c))
	if res.Outcome != journey.Failed {
		t.Fatalf("version 7 is broken: outcome %s (%s), want failed", res.Outcome, res.Message)
	}
	for _, w := range []string{"function orders:7", "Unhandled function error", "errorString: orders table not found"} {
		if !strings.Contains(res.Message, w) {
			t.Errorf("message %q lacks %q", res.Message, w)
		}
	}
	ev := res.Steps[0].Evidence
	if len(ev) == 0 || ev[0].Label != "Invoke orders:7" || !strings.Contains(ev[0].Detail, `{"order":42}`) ||
		!strings.Contains(ev[0].Detail, "function error Unhandled") || !strings.Contains(ev[0].Detail, "orders table not found") {
		t.Errorf("evidence %+v, want the invocation of orders:7 with its payload and error", ev)
	}

	var versions []string
	for _, inv := range l.Invocations() {
		versions = append(versions, inv.Qualifier+"→"+inv.Version)
	}
	if strings.Join(versions, " ") != "6→6 7→7" {
		t.Errorf("invocations %v, want version 6 then 7, each by qualifier", versions)
	}
}

// A run without a target version cannot invoke it: an error that says
// so, ending an Eventually at once, and no call.
func TestInvokeWithoutTargetVersion(t *testing.T) {
	l := orders(t)
	c := client(l)
	res := run("", func(ctx context.Context, t *journey.T) error {
		return journey.Eventually(ctx, t, "the order accepted", func(ctx context.Context) error {
			_, err := c.Invoke(ctx, t, "orders", nil)
			return err
		})
	})
	if res.Outcome != journey.Errored || !strings.Contains(res.Message, "invoke orders: run r-1 has no target version to invoke (stage BeforeAllowTraffic)") {
		t.Errorf("outcome %s, message %q; want error naming the missing target version", res.Outcome, res.Message)
	}
	if n := len(l.Requests()); n != 0 {
		t.Errorf("%d calls made without a version to call", n)
	}

	// An alias can still be invoked by name.
	res = run("", func(ctx context.Context, t *journey.T) error {
		_, err := c.InvokeQualified(ctx, t, "orders", "live", []byte(`{"order":1}`))
		return err
	})
	if res.Outcome != journey.Passed {
		t.Errorf("invoking live: %s %s", res.Outcome, res.Message)
	}
}

// A version that does not exist is an infrastructure error naming it, and
// asking again cannot help: an Eventually ends at the first answer.
func TestInvokeUnknownVersionIsFinal(t *testing.T) {
	l := orders(t)
	c := client(l)
	res := run("9", func(ctx context.Context, t *journey.T) error {
		return journey.Eventually(ctx, t, "the order accepted", func(ctx context.Context) error {
			_, err := c.Invoke(ctx, t, "orders", nil)
			return err
		})
	})
	if res.Outcome != journey.Errored || !strings.Contains(res.Message, "invoke orders:9") || !strings.Contains(res.Message, "ResourceNotFoundException") {
		t.Errorf("outcome %s, message %q; want error naming orders:9 not found", res.Outcome, res.Message)
	}
	if n := len(l.Requests()); n != 1 {
		t.Errorf("%d calls; a missing version should end the wait at the first", n)
	}
}

// The package-level Invoke uses the SDK's default configuration, so
// AWS_ENDPOINT_URL_LAMBDA points it at the local endpoint.
func TestDefaultClientHonoursEndpointVariable(t *testing.T) {
	l := orders(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_LAMBDA":     l.URL(),
		"AWS_REGION":                  awslocal.Region,
		"AWS_ACCESS_KEY_ID":           awslocal.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       awslocal.SecretAccessKey,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	res := run("7", func(ctx context.Context, t *journey.T) error {
		_, err := lambdatarget.Invoke(ctx, t, "orders", []byte(`{"order":42}`))
		return err
	})
	if res.Outcome != journey.Failed || !strings.Contains(res.Message, "function orders:7") {
		t.Errorf("outcome %s, message %q; want version 7's function error through the default client", res.Outcome, res.Message)
	}
	if inv := l.Invocations(); len(inv) != 1 || inv[0].Version != "7" {
		t.Errorf("invocations %+v, want one of version 7", inv)
	}
}
