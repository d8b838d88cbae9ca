package awslocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/journeygate/journeygate/test/awslocal"
)

func echo(prefix string) awslocal.LambdaFunc {
	return func(_ context.Context, payload []byte) ([]byte, error) {
		return json.Marshal(map[string]string{"from": prefix, "got": string(payload)})
	}
}

// The real Lambda client invokes each version of a function by qualifier,
// sees a function error in FunctionError with the error payload, and
// gets ResourceNotFoundException for a version or function that does not
// exist.
func TestLambdaInvokeByQualifier(t *testing.T) {
	l := awslocal.StartLambda(t)
	l.AddVersion("orders", "6", echo("v6"))
	l.AddVersion("orders", "7", func(context.Context, []byte) ([]byte, error) {
		return nil, errors.New("orders table not found")
	})
	l.AddVersion("orders", "$LATEST", echo("latest"))
	l.SetAlias("orders", "live", "6")
	client := l.Client(func(o *lambda.Options) { o.Retryer = retry.NewStandard(noBackoff) })

	invoke := func(name, qualifier string) (*lambda.InvokeOutput, error) {
		in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"order":1}`)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		return client.Invoke(ctx(t), in)
	}

	for _, tc := range []struct{ name, qualifier, wantFrom, wantVersion string }{
		{"orders", "6", "v6", "6"},
		{"orders", "live", "v6", "6"},
		{"orders:6", "", "v6", "6"},
		{"arn:aws:lambda:us-east-1:000000000000:function:orders", "6", "v6", "6"},
		{"arn:aws:lambda:us-east-1:000000000000:function:orders:live", "", "v6", "6"},
		{"orders", "", "latest", "$LATEST"},
	} {
		out, err := invoke(tc.name, tc.qualifier)
		if err != nil {
			t.Fatalf("%s qualifier %q: %v", tc.name, tc.qualifier, err)
		}
		var reply map[string]string
		if err := json.Unmarshal(out.Payload, &reply); err != nil {
			t.Fatalf("%s: payload %q: %v", tc.name, out.Payload, err)
		}
		if out.StatusCode != 200 || out.FunctionError != nil || reply["from"] != tc.wantFrom || reply["got"] != `{"order":1}` || aws.ToString(out.ExecutedVersion) != tc.wantVersion {
			t.Errorf("%s qualifier %q: status %d, function error %v, reply %v, executed %q; want %s from version %s", tc.name, tc.qualifier, out.StatusCode, aws.ToString(out.FunctionError), reply, aws.ToString(out.ExecutedVersion), tc.wantFrom, tc.wantVersion)
		}
	}

	out, err := invoke("orders", "7")
	if err != nil {
		t.Fatalf("a function error is no API error: %v", err)
	}
	var fe struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(out.Payload, &fe); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || fe.ErrorMessage != "orders table not found" || fe.ErrorType != "errorString" || aws.ToString(out.ExecutedVersion) != "7" {
		t.Errorf("function error %q, payload %s, executed %q", aws.ToString(out.FunctionError), out.Payload, aws.ToString(out.ExecutedVersion))
	}

	for _, tc := range []struct{ name, qualifier, wantCode string }{
		{"orders", "9", "ResourceNotFoundException"},
		{"payments", "", "ResourceNotFoundException"},
		{"orders:6", "7", "InvalidParameterValueException"},
	} {
		_, err := invoke(tc.name, tc.qualifier)
		var nf *lambdatypes.ResourceNotFoundException
		var ip *lambdatypes.InvalidParameterValueException
		switch {
		case tc.wantCode == "ResourceNotFoundException" && errors.As(err, &nf):
			if !strings.Contains(aws.ToString(nf.Message), "function:"+strings.TrimSuffix(tc.name+":"+tc.qualifier, ":")) {
				t.Errorf("message %q should name the function and version", aws.ToString(nf.Message))
			}
		case tc.wantCode == "InvalidParameterValueException" && errors.As(err, &ip):
		default:
			t.Errorf("%s qualifier %q: err = %v, want %s", tc.name, tc.qualifier, err, tc.wantCode)
		}
	}

	invs := l.Invocations()
	if len(invs) != 7 || invs[6].Version != "7" || invs[6].FunctionError != "Unhandled" || string(invs[6].Payload) != `{"order":1}` {
		t.Errorf("invocations %+v: want 7, the last of version 7 with its function error", invs)
	}
	reqs := l.Requests()
	if len(reqs) != 10 || reqs[9].Operation != "Invoke" || reqs[9].ErrorCode != "InvalidParameterValueException" {
		t.Errorf("requests %+v: want 10, the last rejected", reqs)
	}
}

// A throttle is retried by the SDK's standard retryer; other injected
// codes surface; DryRun and Event answer without a reply.
func TestLambdaFaultsAndInvocationTypes(t *testing.T) {
	l := awslocal.StartLambda(t)
	l.AddVersion("orders", "1", echo("v1"))
	client := l.Client(func(o *lambda.Options) { o.Retryer = retry.NewStandard(noBackoff) })
	in := &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")}

	l.ThrottleNext(1)
	if _, err := client.Invoke(ctx(t), in); err != nil {
		t.Fatalf("one throttle should be retried: %v", err)
	}
	l.FailNext(1, "AccessDeniedException", "not allowed")
	_, err := client.Invoke(ctx(t), in, func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("err = %v, want AccessDeniedException", err)
	}

	dry := *in
	dry.InvocationType = lambdatypes.InvocationTypeDryRun
	out, err := client.Invoke(ctx(t), &dry)
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: %v, status %d; want 204", err, statusOf(out))
	}
	ev := *in
	ev.InvocationType = lambdatypes.InvocationTypeEvent
	out, err = client.Invoke(ctx(t), &ev)
	if err != nil || out.StatusCode != 202 {
		t.Errorf("Event: %v, status %d; want 202", err, statusOf(out))
	}
	if n := len(l.Invocations()); n != 2 {
		t.Errorf("%d invocations ran, want 2 (the retried one and the event; not the dry run)", n)
	}
}

func statusOf(out *lambda.InvokeOutput) int32 {
	if out == nil {
		return 0
	}
	return out.StatusCode
}
